"""Named helpers that api.json call mappings refer to (``{"helper": "generateMessageId", "args": []}``).

Each helper is implemented once here; generated code calls it by its snake_case name. ``HELPERS`` maps the wire
(camelCase) name to the function; the generator checks that every helper a mapping names exists.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Callable
from typing import Any

_ALPHABET = string.digits + string.ascii_lowercase


def now() -> int:
    """The current time in epoch milliseconds (``Date.now()``)."""
    return time.time_ns() // 1_000_000


now_ms = now


def random_base36(length: int) -> str:
    """``length`` random base-36 characters (the random part of upstream-shaped ids)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def generate_id() -> str:
    """``<epoch ms>-<9 random base-36 characters>``: unique enough for client-side ids."""
    return f"{now_ms()}-{random_base36(9)}"


def _prefixed(prefix: str) -> Callable[[], str]:
    def make() -> str:
        return f"{prefix}-{generate_id()}"

    make.__name__ = f"generate_{prefix}_id"
    make.__doc__ = f"A new id of the form ``{prefix}-<epoch ms>-<random>``."
    return make


generate_conversation_id = _prefixed("conv")
generate_message_id = _prefixed("msg")
generate_memory_id = _prefixed("mem")
generate_fact_id = _prefixed("fact")
generate_context_id = _prefixed("ctx")
generate_orchestration_id = _prefixed("orch")


def generate_session_id() -> str:
    """``sess-<epoch ms in base 36>-<16 hex characters>``."""
    n, digits = now_ms(), []
    while n:
        n, r = divmod(n, 36)
        digits.append(_ALPHABET[r])
    return f"sess-{''.join(reversed(digits)) or '0'}-{secrets.token_hex(8)}"


def json_stringify(value: Any) -> str:
    """``JSON.stringify`` for JSON-compatible values (compact separators, like JavaScript)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


HELPERS: dict[str, Callable[..., Any]] = {
    "now": now,
    "generateId": generate_id,
    "generateConversationId": generate_conversation_id,
    "generateMessageId": generate_message_id,
    "generateMemoryId": generate_memory_id,
    "generateFactId": generate_fact_id,
    "generateContextId": generate_context_id,
    "generateOrchestrationId": generate_orchestration_id,
    "generateSessionId": generate_session_id,
    "jsonStringify": json_stringify,
}
