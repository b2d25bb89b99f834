"""Turning Convex HTTP answers into typed errors (pure functions, shared by the async and sync transports)."""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from cortex.errors import (
    APIStatusError,
    AuthenticationError,
    BackendValidationError,
    BackendVersionMismatchError,
    BadRequestError,
    CortexError,
    FunctionError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)

_REQUEST_ID = re.compile(r"^\[Request ID: [^\]]*\]\s*")
_SERVER_ERROR = re.compile(r"^Server Error\s*\n?")
_UNCAUGHT = re.compile(r"^Uncaught (?:[A-Za-z]*Error): ")
_STACK_LINE = re.compile(r"^\s+at\s")
_CODE_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]{2,})(?::\s*(.*))?$", re.DOTALL)
_CODE_ONLY = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_MISSING_FIELD = re.compile(r"missing the required field `([^`]*)`")
_EXTRA_FIELD = re.compile(r"contains extra field `([^`]*)`")
_PATH = re.compile(r"^Path: (\S+)", re.MULTILINE)
_NO_FUNCTION = re.compile(r"Could not find public function for '([^']*)'")
_ARG_VALIDATION = "ArgumentValidationError: "


def clean_message(raw: str) -> str:
    """The useful part of a Convex error message: no request id, no "Server Error", no "Uncaught X:", no stack."""
    text = _REQUEST_ID.sub("", raw.strip())
    text = _SERVER_ERROR.sub("", text)
    text = _UNCAUGHT.sub("", text)
    lines = [line for line in text.splitlines() if not _STACK_LINE.match(line)]
    while lines and lines[-1].strip() in ("", "Called by client"):
        lines.pop()
    return "\n".join(lines).strip()


def _code_from_data(data: Any) -> tuple[str | None, str | None]:
    """(code, message) carried by a ConvexError's data: a string code (maybe ``CODE: text``) or ``{code, message}``."""
    if isinstance(data, str):
        match = _CODE_PREFIX.match(data.strip())
        if match:
            return match.group(1), match.group(2)
        return None, data
    if isinstance(data, dict):
        code = data.get("code")
        message = data.get("message")
        return (str(code) if code is not None else None), (
            str(message) if message is not None else None
        )
    return None, None


def _field_from(message: str) -> str | None:
    path_match = _PATH.search(message)
    base = ""
    if path_match and path_match.group(1) != "(root)":
        base = path_match.group(1).lstrip(".")
    for pattern in (_MISSING_FIELD, _EXTRA_FIELD):
        match = pattern.search(message)
        if match:
            return f"{base}.{match.group(1)}" if base else match.group(1)
    return base or None


def function_error(
    function: str, raw_message: str, data: Any = None, *, schema_version: str | None = None
) -> CortexError:
    """Map a ``{"status": "error"}`` answer to a ``CortexError`` subclass."""
    message = clean_message(raw_message)
    missing = _NO_FUNCTION.search(message)
    if missing:
        name = missing.group(1)
        return BackendVersionMismatchError(
            f"the backend has no public function {name!r}: it runs another Cortex version than this SDK"
            f" (generated from {schema_version or 'an unknown version'}); deploy the matching backend",
            function=name,
            schema_version=schema_version,
            raw_message=raw_message,
        )
    if message.startswith(_ARG_VALIDATION):
        detail = message[len(_ARG_VALIDATION) :]
        field = _field_from(detail)
        summary = detail.split("\n", 1)[0]
        return BackendValidationError(
            f"{function}: {summary}" + (f" (field {field})" if field else ""),
            field=field,
            function=function,
            raw_message=raw_message,
        )
    code: str | None = None
    text = message
    if data is not None:
        code, data_message = _code_from_data(data)
        if isinstance(data, str) and data.strip():
            text = data.strip()
        elif data_message:
            text = data_message
    if code is None:
        first = message.split("\n", 1)[0].strip()
        match = _CODE_PREFIX.match(first)
        if match and (match.group(2) is not None or _CODE_ONLY.match(first)):
            code = match.group(1)
    return FunctionError(
        text or message or raw_message,
        code=code,
        function=function,
        raw_message=raw_message,
        data=data,
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (a number of seconds or an HTTP date); ``None`` when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    503: OverloadedError,
}


def status_error(
    status: int, body: bytes, *, function: str, retry_after: float | None = None
) -> APIStatusError:
    """Map an HTTP error status (anything but 200 and 560) and its ``{code, message}`` body to a typed error."""
    server_code: str | None = None
    message = ""
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        server_code = str(payload["code"]) if payload.get("code") is not None else None
        message = str(payload.get("message") or "")
    elif body:
        message = body[:500].decode("utf-8", "replace").strip()
    prefix = f"{function}: HTTP {status}"
    detail = f" {server_code}" if server_code else ""
    text = f"{prefix}{detail}: {message}" if message else f"{prefix}{detail}"
    if status == 429:
        return RateLimitedError(
            text,
            function=function,
            status_code=status,
            server_code=server_code,
            retry_after=retry_after,
        )
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    return cls(text, function=function, status_code=status, server_code=server_code)
