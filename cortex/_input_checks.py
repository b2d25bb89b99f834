"""Client-side input checks of the a2a, contexts, conversations, memory_spaces, mutable and sessions namespaces.

Every check raises ``cortex.errors.ValidationError`` with the code upstream's validators use, before anything is
sent. Also home of ``A2ATimeoutError`` (shared by the async and sync clients, so one ``except`` catches both).
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from cortex.errors import A2ATimeoutError as A2ATimeoutError  # raised by both a2a clients
from cortex.errors import ValidationError

__all__ = [
    "A2ATimeoutError",
    "build",
    "check_agent_id",
    "check_choice",
    "check_context_id",
    "check_int_range",
    "check_key",
    "check_memory_space_id",
    "check_message",
    "check_namespace",
    "check_text",
    "raw_field",
]

M = TypeVar("M", bound=BaseModel)


def build(cls: type[M], **fields: Any) -> M:
    """An args model from snake_case field values (``ValidationError`` when they do not fit)."""
    try:
        return cls(**fields)
    except PydanticValidationError as exc:
        errors = exc.errors()
        loc = ".".join(str(p) for p in errors[0]["loc"]) if errors else None
        raise ValidationError(
            f"invalid arguments: {exc}", field=loc or None, details=errors
        ) from None


def check_text(
    value: Any,
    field: str,
    *,
    missing: str,
    invalid: str | None = None,
    max_len: int | None = None,
    too_long: str | None = None,
) -> str:
    """A non-blank string of at most ``max_len`` characters."""
    if value is None:
        raise ValidationError(f"{field} is required", code=missing, field=field)
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a string, got {type(value).__name__}",
            code=invalid or missing,
            field=field,
        )
    if not value.strip():
        raise ValidationError(f"{field} is required and cannot be empty", code=missing, field=field)
    if max_len is not None and len(value) > max_len:
        raise ValidationError(
            f"{field} cannot exceed {max_len} characters (got {len(value)})",
            code=too_long or invalid or missing,
            field=field,
        )
    return value


def check_int_range(
    value: Any, field: str, code: str, *, low: float | None = None, high: float | None = None
) -> None:
    """An optional integer within ``[low, high]`` (``None`` passes)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValidationError(f"{field} must be a number", code=code, field=field)
    if isinstance(value, float) and not value.is_integer():
        raise ValidationError(f"{field} must be an integer, got {value}", code=code, field=field)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if low is not None and high is not None else ""
        bounds = bounds or (f">= {low:g}" if low is not None else f"<= {high:g}")
        raise ValidationError(f"{field} must be {bounds}, got {value}", code=code, field=field)


# -- a2a ------------------------------------------------------------------------------------------------------

_AGENT_ID = re.compile(r"[A-Za-z0-9_-]+")
MAX_MESSAGE_BYTES = 100 * 1024


def check_agent_id(value: Any, field: str) -> None:
    """An agent id: 1..100 characters of letters, digits, ``-`` and ``_``."""
    check_text(value, field, missing="INVALID_AGENT_ID", max_len=100)
    if not _AGENT_ID.fullmatch(value):
        raise ValidationError(
            f"{field} may only contain letters, digits, hyphens and underscores",
            code="INVALID_AGENT_ID",
            field=field,
        )


def check_message(value: Any) -> None:
    """A non-blank message of at most 100 KiB in UTF-8."""
    check_text(value, "message", missing="EMPTY_MESSAGE")
    size = len(value.encode("utf-8"))
    if size > MAX_MESSAGE_BYTES:
        raise ValidationError(
            f"message exceeds the maximum size of 100KB ({round(size / 1024)}KB)",
            code="MESSAGE_TOO_LARGE",
            field="message",
        )


# -- contexts, memory spaces, mutable -------------------------------------------------------------------------

_CONTEXT_ID = re.compile(r"ctx-\d+-[a-z0-9]+")
_MEMORY_SPACE_ID = re.compile(r"[A-Za-z0-9_-]+")
_NAMESPACE = re.compile(r"[A-Za-z0-9_.:-]+")
_KEY = re.compile(r"[A-Za-z0-9_.:/@-]+")


def check_context_id(value: Any, field: str) -> None:
    """A context id of the form ``ctx-<timestamp>-<random>``."""
    check_text(value, field, missing="MISSING_REQUIRED_FIELD")
    if not _CONTEXT_ID.fullmatch(value):
        raise ValidationError(
            f'invalid {field} format "{value}"; expected "ctx-<timestamp>-<random>"',
            code="INVALID_CONTEXT_ID_FORMAT",
            field=field,
        )


def check_memory_space_id(value: Any, field: str = "memorySpaceId") -> None:
    """A memory space id: at most 128 characters of letters, digits, ``-`` and ``_``."""
    check_text(value, field, missing="MISSING_MEMORYSPACE_ID")
    trimmed = value.strip()
    if len(trimmed) > 128:
        raise ValidationError(
            f"{field} must be 128 characters or less, got {len(trimmed)}",
            code="INVALID_MEMORYSPACE_ID",
            field=field,
        )
    if not _MEMORY_SPACE_ID.fullmatch(trimmed):
        raise ValidationError(
            f'invalid {field} format "{trimmed}"; only letters, digits, hyphens and underscores are allowed',
            code="INVALID_MEMORYSPACE_ID",
            field=field,
        )


def check_namespace(value: Any) -> None:
    """A mutable-store namespace: at most 100 characters of letters, digits, ``-_.:``."""
    check_text(value, "namespace", missing="MISSING_NAMESPACE", invalid="INVALID_NAMESPACE")
    if len(value) > 100:
        raise ValidationError(
            f"namespace exceeds the maximum length of 100 characters (got {len(value)})",
            code="NAMESPACE_TOO_LONG",
            field="namespace",
        )
    if not _NAMESPACE.fullmatch(value):
        raise ValidationError(
            f'invalid namespace format "{value}"', code="INVALID_NAMESPACE", field="namespace"
        )


def check_key(value: Any) -> None:
    """A mutable-store key: at most 255 characters of letters, digits, ``-_.:/@``."""
    check_text(value, "key", missing="MISSING_KEY", invalid="INVALID_KEY")
    if len(value) > 255:
        raise ValidationError(
            f"key exceeds the maximum length of 255 characters (got {len(value)})",
            code="KEY_TOO_LONG",
            field="key",
        )
    if not _KEY.fullmatch(value):
        raise ValidationError(f'invalid key format "{value}"', code="INVALID_KEY", field="key")


def raw_field(value: Any, alias: str, name: str | None = None) -> Any:
    """A field of a parameter given as a model or a mapping, before validation (``None`` when absent)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return getattr(value, name or alias, None)
    if isinstance(value, dict):
        found = value.get(alias)
        if found is None and name is not None:
            found = value.get(name)
        return found
    return None


def check_choice(value: Any, field: str, choices: tuple[str, ...], code: str) -> None:
    """An optional value among ``choices`` (``None`` passes)."""
    if value is not None and value not in choices:
        raise ValidationError(
            f'invalid {field} "{value}"; must be one of: {", ".join(choices)}',
            code=code,
            field=field,
        )
