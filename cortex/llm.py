"""Pluggable language models for fact extraction and belief revision.

An LLM is anything that answers a prompt:

* a callable ``llm(system: str, prompt: str) -> str`` (or returning an awaitable, for ``Cortex``);
* an object with ``complete(system=..., prompt=..., model=..., response_format=...) -> str`` and optionally
  ``acomplete(...)`` (the async client prefers it);
* ``OpenAIChat()``: any OpenAI-compatible ``/chat/completions`` endpoint configured from the environment
  (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``CORTEX_LLM_MODEL``).

``LLMFactExtractor`` turns an LLM into a fact extractor for ``memory.remember``. Nothing in ``remember`` waits on
an LLM before the conversation and the memories are stored.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from typing import Any

import httpx

from cortex.errors import ConfigurationError, CortexError

__all__ = [
    "FACT_TYPES",
    "LLMFactExtractor",
    "OpenAIChat",
    "acomplete",
    "complete",
    "parse_extracted_facts",
    "parse_json_object",
    "resolve_openai_settings",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
FACT_TYPES = (
    "preference",
    "identity",
    "knowledge",
    "relationship",
    "event",
    "observation",
    "custom",
)


def resolve_openai_settings(api_key: str | None, base_url: str | None) -> tuple[str | None, str]:
    """``(api_key, base_url)`` from the arguments, else ``$OPENAI_API_KEY`` / ``$OPENAI_BASE_URL``."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError("OPENAI_BASE_URL must be an http(s) URL", field="base_url")
    return key, url


class OpenAIChat:
    """Chat completions from an OpenAI-compatible endpoint (``POST {base_url}/chat/completions``).

    ``complete`` blocks (for ``SyncCortex``); ``acomplete`` is the async form (for ``Cortex``). The answer's
    first choice's message content is returned. ``response_format="json"`` asks for a JSON object.
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        temperature: float = 0.0,
    ) -> None:
        self.api_key, self.base_url = resolve_openai_settings(api_key, base_url)
        self.model = model or os.environ.get("CORTEX_LLM_MODEL") or "gpt-4o-mini"
        self.timeout = timeout
        self.temperature = temperature

    def _request(
        self, system: str, prompt: str, model: str | None, response_format: str | None
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {
            "model": model or self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
        }
        if response_format == "json":
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return f"{self.base_url}/chat/completions", headers, body

    @staticmethod
    def _parse(response: httpx.Response) -> str:
        if response.status_code != 200:
            raise CortexError(
                f"LLM endpoint answered HTTP {response.status_code}: {response.text[:200]}",
                code="LLM_FAILED",
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise CortexError(
                "LLM endpoint answered an unexpected shape", code="LLM_FAILED"
            ) from exc
        return str(content or "")

    def complete(
        self,
        *,
        system: str,
        prompt: str,
        model: str | None = None,
        response_format: str | None = None,
    ) -> str:
        url, headers, body = self._request(system, prompt, model, response_format)
        with httpx.Client(timeout=self.timeout) as client:
            return self._parse(client.post(url, json=body, headers=headers))

    async def acomplete(
        self,
        *,
        system: str,
        prompt: str,
        model: str | None = None,
        response_format: str | None = None,
    ) -> str:
        url, headers, body = self._request(system, prompt, model, response_format)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return self._parse(await client.post(url, json=body, headers=headers))


def _invoke(
    llm: Any, system: str, prompt: str, model: str | None, fmt: str | None, use_async: bool
) -> Any:
    if use_async and hasattr(llm, "acomplete"):
        return llm.acomplete(system=system, prompt=prompt, model=model, response_format=fmt)
    if hasattr(llm, "complete"):
        return llm.complete(system=system, prompt=prompt, model=model, response_format=fmt)
    if callable(llm):
        return llm(system, prompt)
    raise ConfigurationError("an LLM must be callable or have complete()", field="llm")


async def acomplete(
    llm: Any,
    system: str,
    prompt: str,
    *,
    model: str | None = None,
    response_format: str | None = None,
) -> str:
    """Ask ``llm`` (any supported shape), awaiting it when it is asynchronous."""
    result = _invoke(llm, system, prompt, model, response_format, True)
    if inspect.isawaitable(result):
        result = await result
    return str(result)


def complete(
    llm: Any,
    system: str,
    prompt: str,
    *,
    model: str | None = None,
    response_format: str | None = None,
) -> str:
    """Ask a blocking ``llm`` (an awaitable answer is an error here)."""
    result = _invoke(llm, system, prompt, model, response_format, False)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise ConfigurationError(
            "this LLM is asynchronous; use it with Cortex (async), not SyncCortex", field="llm"
        )
    return str(result)


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_json_object(text: str) -> dict[str, Any]:
    """The first ``{...}`` JSON object in an LLM answer (code fences and chatter around it are ignored)."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise ValueError("no JSON object in the answer")
    value = json.loads(match.group(0))
    if not isinstance(value, dict):
        raise ValueError("the answer's JSON is not an object")
    return value


EXTRACTION_SYSTEM = (
    "You extract durable facts about the user (and the people and things they mention) from one exchange "
    "between a user and an assistant. Keep only facts worth remembering later: identity, preferences, "
    "relationships, plans, events, knowledge. Ignore greetings, questions and the assistant's own opinions. "
    'Answer with one JSON object: {"facts": [{"fact": "<one self-contained sentence>", "factType": '
    '"preference|identity|knowledge|relationship|event|observation|custom", "subject": "<who or what>", '
    '"predicate": "<short relation, e.g. lives in, works at, favorite color>", "object": "<value>", '
    '"confidence": <0-100>}]}. Answer {"facts": []} when there is nothing worth keeping.'
)


def parse_extracted_facts(text: str) -> list[dict[str, Any]]:
    """Facts from an extraction answer, normalised to ``remember``'s fact shape; malformed entries are dropped."""
    data = parse_json_object(text)
    out: list[dict[str, Any]] = []
    for item in data.get("facts") or []:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("fact"), str)
            or not item["fact"].strip()
        ):
            continue
        fact_type = item.get("factType") or item.get("fact_type") or "custom"
        confidence = item.get("confidence", 80)
        try:
            confidence = float(confidence)
        except (TypeError, ValueError):
            confidence = 80.0
        if confidence <= 1.0:
            confidence *= 100.0
        entry: dict[str, Any] = {
            "fact": item["fact"].strip(),
            "factType": fact_type if fact_type in FACT_TYPES else "custom",
            "confidence": max(0.0, min(100.0, confidence)),
        }
        for key in ("subject", "predicate", "object"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                entry[key] = value.strip()
        tags = item.get("tags")
        if isinstance(tags, list):
            entry["tags"] = [str(t) for t in tags]
        out.append(entry)
    return out


class LLMFactExtractor:
    """A fact extractor backed by an LLM: ``extractor(user_message, agent_response) -> list of facts``.

    Usable as ``RememberParams.extract_facts`` or as the client-wide extractor
    (``cortex.memory.configure(fact_extractor=...)``). ``aextract`` is used by the async client.
    A failing or malformed answer yields ``[]`` (the exchange is still remembered).
    """

    def __init__(self, llm: Any, *, model: str | None = None, subject: str | None = None) -> None:
        self.llm = llm
        self.model = model
        self.subject = subject

    def _prompt(self, user_message: str, agent_response: str) -> str:
        who = f" The user's id is {self.subject}." if self.subject else ""
        return f"User: {user_message}\nAssistant: {agent_response}\n{who}".strip()

    def __call__(self, user_message: str, agent_response: str) -> list[dict[str, Any]]:
        try:
            answer = complete(
                self.llm,
                EXTRACTION_SYSTEM,
                self._prompt(user_message, agent_response),
                model=self.model,
                response_format="json",
            )
            return parse_extracted_facts(answer)
        except (ValueError, CortexError, httpx.HTTPError):
            return []

    async def aextract(self, user_message: str, agent_response: str) -> list[dict[str, Any]]:
        try:
            answer = await acomplete(
                self.llm,
                EXTRACTION_SYSTEM,
                self._prompt(user_message, agent_response),
                model=self.model,
                response_format="json",
            )
            return parse_extracted_facts(answer)
        except (ValueError, CortexError, httpx.HTTPError):
            return []
