# generated from cortex/_async/model_calls.py by codegen/twins.py; do not edit
"""Calls into user-supplied models (embedders, LLMs, extractors, callbacks), sync or async alike.

The async client awaits what they return when it is awaitable; the blocking twin calls them directly and rejects
awaitables (a coroutine function cannot run without an event loop).
"""

from __future__ import annotations

import inspect
from typing import Any

from cortex import embeddings as _embeddings
from cortex import llm as _llm
from cortex.embeddings import Vector
from cortex.errors import ConfigurationError

__all__ = ["ask_llm", "call_maybe", "embed_many"]


def embed_many(embedder: Any, texts: list[str]) -> list[Vector]:
    """Vectors for ``texts`` from any supported embedder."""
    return _embeddings.embed_texts(embedder, texts)


def ask_llm(llm: Any, system: str, prompt: str, *, model: str | None = None) -> str:
    """A JSON answer from any supported LLM."""
    return _llm.complete(llm, system, prompt, model=model, response_format="json")


def call_maybe(fn: Any, *args: Any, async_method: str | None = None) -> Any:
    """``fn(*args)``; prefers ``fn.<async_method>`` on the async client; awaits an awaitable result."""
    result = fn(*args)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise ConfigurationError(
            "an asynchronous callback was given to SyncCortex; use Cortex (async) for it"
        )
    return result
