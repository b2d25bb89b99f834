"""When a failed call may be retried, and how long to wait (pure functions, shared by both transports).

* Queries are read-only: retried after connection errors, timeouts, HTTP 429 and HTTP 503.
* Mutations and actions change state: retried only when the request provably never reached the server
  (the connection could not be opened, or no pooled connection became free); never after it may have been sent.
"""

from __future__ import annotations

import random

import httpx

from cortex._transport.base import FunctionKind
from cortex.config import RetryPolicy
from cortex.errors import APIConnectionError, APITimeoutError

RETRYABLE_QUERY_STATUSES = frozenset({429, 503})

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_sent(exc: httpx.HTTPError) -> bool:
    """True when ``exc`` proves that no byte of the request reached the server."""
    return isinstance(exc, _NOT_SENT)


def connection_error(exc: httpx.HTTPError, function: str) -> APIConnectionError:
    """The typed error for an httpx transport failure (no secrets: only the failure's class and phase)."""
    sent = not never_sent(exc)
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the response",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(exc), "talking to the backend")
        return APITimeoutError(f"{function}: timed out {phase}", function=function, sent=sent)
    return APIConnectionError(
        f"{function}: connection failed ({type(exc).__name__})", function=function, sent=sent
    )


def may_retry_exception(kind: FunctionKind, exc: httpx.HTTPError) -> bool:
    """Whether a call that failed with this transport error may be sent again."""
    if kind == "query":
        return isinstance(exc, httpx.TransportError)
    return never_sent(exc)


def may_retry_status(kind: FunctionKind, status: int) -> bool:
    """Whether a call answered with this HTTP status may be sent again (only queries: the server got it)."""
    return kind == "query" and status in RETRYABLE_QUERY_STATUSES


def backoff_delay(
    policy: RetryPolicy, attempt: int, retry_after: float | None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    if retry_after is not None:
        return float(min(max(retry_after, 0.0), policy.max_retry_after))
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    factor = 1.0 - policy.jitter * (rng.random() if rng is not None else random.random())
    return float(max(0.0, ceiling * factor))
