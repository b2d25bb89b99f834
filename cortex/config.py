"""Client configuration: which backend to talk to, how to authenticate, timeouts and retries.

``convex_url`` (or the ``CONVEX_URL`` environment variable) selects a Convex deployment reached over HTTP. Without
one the client runs the embedded backend on ``local_path`` (``":memory:"`` for a throwaway store; ``None`` = the
embedded backend's default file). Secrets (``admin_key``, ``auth_token``) are ``SecretStr``: they never show in
``repr``, logs or error messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from cortex.errors import ConfigurationError

CONVEX_URL_ENV = "CONVEX_URL"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff timings. Delay before retry ``n`` (0-based) is ``min(max_delay, base_delay * 2**n)`` scaled by a
    random factor in ``[1 - jitter, 1]``; a server's ``Retry-After`` replaces it, capped at ``max_retry_after``."""

    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 60.0


def default_timeout() -> httpx.Timeout:
    """Connect 5 s; read, write and pool 60 s."""
    return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)


def as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A number is the read/write/pool timeout in seconds (connect stays at most 5 s); ``None`` = defaults."""
    if value is None:
        return default_timeout()
    if isinstance(value, httpx.Timeout):
        return value
    seconds = float(value)
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


class CortexConfig(BaseModel):
    """Configuration of ``Cortex`` / ``SyncCortex``. Immutable; snake_case names."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    convex_url: str | None = None
    """Convex deployment URL (``https://x.convex.cloud``); defaults to ``$CONVEX_URL``."""
    admin_key: SecretStr | None = None
    """Deployment admin key, sent as ``Authorization: Convex <key>``."""
    auth_token: SecretStr | None = None
    """User JWT, sent as ``Authorization: Bearer <jwt>``. Mutually exclusive with ``admin_key``."""
    timeout: float | httpx.Timeout | None = None
    """Seconds (read/write/pool; connect at most 5 s) or an ``httpx.Timeout``; default connect 5 s, read 60 s."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    """Retries after the first attempt, for failures that are safe to retry (see docs/transport.md)."""
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy)
    http_client: httpx.AsyncClient | httpx.Client | None = None
    """Your own httpx client (``AsyncClient`` for ``Cortex``, ``Client`` for ``SyncCortex``); you close it.
    Its timeouts apply unless ``timeout`` is set."""
    auth: Mapping[str, Any] | None = None
    """Auth/tenant context (``tenant_id``, ``user_id``, ``session_id``, ...), injected into calls that take it."""
    local_path: str | None = None
    """Embedded backend database file when no ``convex_url`` is set; ``":memory:"`` for a throwaway store."""
    allow_purge: bool = False
    """Embedded backend only: allow the whole-table ``purge_all`` functions (off by default; see
    ``docs/backend-differences.md``)."""
    embedder: Any = None
    """Embedding function for ``memory.remember``/``recall`` and fact deduplication: ``texts -> vectors``, sync or
    async (see ``cortex.embeddings``)."""
    llm: Any = None
    """LLM for fact extraction and belief revision, sync or async (see ``cortex.llm``)."""
    graph: Any = None
    """Graph database integration (an adapter object); optional."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or None
            raise ConfigurationError(
                f"invalid configuration: {where}: {first['msg']}", field=where
            ) from None

    @model_validator(mode="before")
    @classmethod
    def _url_from_env(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("convex_url") is None
            and data.get("local_path") is None
        ):
            env = os.environ.get(CONVEX_URL_ENV)
            if env:
                data = {**data, "convex_url": env}
        return data

    @field_validator("convex_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value:
            return None
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError(
                "convex_url must be an http(s) URL such as https://example.convex.cloud",
                field="convex_url",
            )
        return value

    @field_validator("auth", mode="before")
    @classmethod
    def _auth_to_wire(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, BaseModel):
            value = value.model_dump(by_alias=True, exclude_none=True)
        if not isinstance(value, Mapping):
            raise ConfigurationError("auth must be a mapping or a pydantic model", field="auth")
        return {to_camel(str(key)): item for key, item in value.items() if item is not None}

    @model_validator(mode="after")
    def _exclusive(self) -> CortexConfig:
        if self.admin_key is not None and self.auth_token is not None:
            raise ConfigurationError(
                "admin_key and auth_token are mutually exclusive: pass one of them",
                field="auth_token",
            )
        if self.convex_url is not None and self.local_path is not None:
            raise ConfigurationError(
                "convex_url and local_path are mutually exclusive: a client uses one backend",
                field="local_path",
            )
        return self

    @property
    def http_timeout(self) -> httpx.Timeout:
        """The effective ``httpx.Timeout``."""
        return as_timeout(self.timeout)

    @property
    def uses_embedded(self) -> bool:
        """True when the client runs the embedded backend (no ``convex_url``)."""
        return self.convex_url is None
