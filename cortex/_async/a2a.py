"""``cortex.a2a``: the generated thin methods plus ``request`` (send and wait for the recipient's response).

Responses need pub/sub, which neither a self-hosted Convex deployment nor the embedded backend has: there the
backend refuses with ``PUBSUB_NOT_CONFIGURED`` and ``request`` raises ``A2ATimeoutError`` with that code.
"""

from __future__ import annotations

import re
from typing import Any

from cortex._generated.args.a2a import A2aRequestArgs
from cortex._generated.calls import a2a as _calls
from cortex._generated.models import A2ARequestParams, A2AResponse
from cortex._generated.namespaces.a2a import A2ABase
from cortex._input_checks import (
    A2ATimeoutError,
    build,
    check_agent_id,
    check_int_range,
    check_message,
    raw_field,
)
from cortex._mapping import LazyAdapter, validate_param
from cortex.errors import FunctionError, ValidationError

__all__ = ["A2ATimeoutError", "AsyncA2A"]

DEFAULT_TIMEOUT = 30_000
_RESPONSE: LazyAdapter[A2AResponse] = LazyAdapter(lambda: A2AResponse)
_MESSAGE_ID = re.compile(r"messageId: ([a-z0-9-]+)")


def _check_params(params: Any) -> None:
    if params is None:
        raise ValidationError("request parameters are required", code="MISSING_PARAMS")
    sender = raw_field(params, "from", "from_")
    recipient = raw_field(params, "to")
    check_agent_id(sender, "from")
    check_agent_id(recipient, "to")
    check_message(raw_field(params, "message"))
    if sender == recipient:
        raise ValidationError(
            "cannot send a request to self: 'from' and 'to' must be different agents",
            code="SAME_AGENT_COMMUNICATION",
        )
    check_int_range(
        raw_field(params, "timeout"), "timeout", "INVALID_TIMEOUT", low=1000, high=300_000
    )
    check_int_range(raw_field(params, "retries"), "retries", "INVALID_RETRIES", low=0, high=10)
    check_int_range(
        raw_field(params, "importance"), "importance", "INVALID_IMPORTANCE", low=0, high=100
    )


class AsyncA2A(A2ABase):
    """Agent-to-agent messaging."""

    async def request(self, params: A2ARequestParams | dict[str, Any]) -> A2AResponse:
        """Send ``params.message`` to ``params.to`` and wait up to ``params.timeout`` ms (default 30 s) for its
        response. Raises ``A2ATimeoutError`` when no response comes in time, or (code ``PUBSUB_NOT_CONFIGURED``)
        when the backend has no pub/sub to deliver one; other backend errors propagate unchanged."""
        _check_params(params)
        p = validate_param(A2ARequestParams, params, "params")
        timeout = p.timeout if p.timeout is not None else DEFAULT_TIMEOUT
        args = build(
            A2aRequestArgs,
            from_=p.from_,
            to=p.to,
            message=p.message,
            timeout=p.timeout,
            retries=p.retries,
            user_id=p.user_id,
            context_id=p.context_id,
            importance=p.importance,
        )
        try:
            raw = await _calls.a2a_request(self._ctx.transport, args, options=self._ctx.options)
        except FunctionError as exc:
            text = exc.data if isinstance(exc.data, str) else exc.raw_message
            if exc.code != "PUBSUB_NOT_CONFIGURED" and "PUBSUB_NOT_CONFIGURED" not in text:
                raise
            found = _MESSAGE_ID.search(text)
            raise A2ATimeoutError(
                "request() needs pub/sub infrastructure for real-time responses: configure a Redis, RabbitMQ"
                " or NATS adapter (self-hosted), or use Cortex Cloud where it is included",
                message_id=found.group(1) if found else "unknown",
                timeout=timeout,
                code="PUBSUB_NOT_CONFIGURED",
            ) from exc
        if isinstance(raw, dict) and raw.get("timeout"):
            raise A2ATimeoutError(
                f"Request to {p.to} timed out after {timeout}ms",
                message_id=str(raw.get("messageId") or "unknown"),
                timeout=timeout,
            )
        return _RESPONSE.parse(raw, "a2a.request")
