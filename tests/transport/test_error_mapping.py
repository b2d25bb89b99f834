"""Every kind of answer a Convex deployment gives, mapped to the right typed error, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import (
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
    UnexpectedResponseError,
    ValidationError,
)
from cortex._transport.errors import clean_message, parse_retry_after

from .wire_server import Reply, WireServer

STATUS_CASES = [
    (400, BadRequestError, "BAD_REQUEST"),
    (401, AuthenticationError, "AUTHENTICATION_ERROR"),
    (403, PermissionDeniedError, "PERMISSION_DENIED"),
    (404, NotFoundError, "NOT_FOUND"),
    (413, PayloadTooLargeError, "PAYLOAD_TOO_LARGE"),
    (429, RateLimitedError, "RATE_LIMITED"),
    (500, ServerError, "SERVER_ERROR"),
    (502, ServerError, "SERVER_ERROR"),
    (503, OverloadedError, "OVERLOADED"),
    (418, APIStatusError, "API_STATUS_ERROR"),
]


@pytest.mark.parametrize(("status", "cls", "code"), STATUS_CASES)
async def test_http_statuses(
    drive: Any, wire: WireServer, status: int, cls: type[APIStatusError], code: str
) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.failure(status, "SomeServerCode", "what went wrong"))
    with pytest.raises(cls) as info:
        await client.call("mutation", "m:f", {})
    error = info.value
    assert type(error) is cls
    assert error.code == code
    assert error.status_code == status
    assert error.server_code == "SomeServerCode"
    assert "what went wrong" in str(error) and "m:f" in str(error)
    assert error.function == "m:f"


async def test_status_without_json_body(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.raw(b"<html>bad gateway</html>", status=502, content_type="text/html"))
    with pytest.raises(ServerError) as info:
        await client.call("query", "m:f", {})
    assert info.value.server_code is None and "bad gateway" in str(info.value)


async def test_rate_limit_carries_retry_after(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.failure(429, "RateLimited", "slow down", retry_after="7"))
    with pytest.raises(RateLimitedError) as info:
        await client.call("query", "m:f", {})
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("status", [200, 560])
@pytest.mark.parametrize(
    ("message", "data", "code", "text"),
    [
        (
            "Uncaught ConvexError: AGENT_NOT_REGISTERED",
            "AGENT_NOT_REGISTERED",
            "AGENT_NOT_REGISTERED",
            "AGENT_NOT_REGISTERED",
        ),
        (
            "Uncaught ConvexError: x",
            "PUBSUB_NOT_CONFIGURED: needs pub/sub",
            "PUBSUB_NOT_CONFIGURED",
            "PUBSUB_NOT_CONFIGURED: needs pub/sub",
        ),
        ("Uncaught ConvexError: {}", {"code": "QUOTA", "message": "too many"}, "QUOTA", "too many"),
        (
            "Uncaught Error: MEMORY_NOT_FOUND: no memory m-1",
            None,
            "MEMORY_NOT_FOUND",
            "MEMORY_NOT_FOUND: no memory m-1",
        ),
        ("Uncaught Error: CONVERSATION_NOT_FOUND", None, "CONVERSATION_NOT_FOUND", None),
        ("Uncaught Error: something broke", None, "FUNCTION_ERROR", "something broke"),
        ("Uncaught Error: Hello: lower case is no code", None, "FUNCTION_ERROR", None),
    ],
)
async def test_function_errors(
    drive: Any,
    wire: WireServer,
    status: int,
    message: str,
    data: Any,
    code: str,
    text: str | None,
) -> None:
    client = await drive()
    raw_tail = f"{message}\n    at handler (../convex/memories.ts:12:9)\n    at run (x.js:1:1)"
    wire.script(Reply.error(raw_tail, data=data, status=status))
    with pytest.raises(FunctionError) as info:
        await client.call("mutation", "memories:store", {})
    error = info.value
    assert error.code == code
    assert error.function == "memories:store"
    assert error.raw_message.startswith("[Request ID: ")
    assert "at handler" in error.raw_message and "at handler" not in str(error)
    assert "Request ID" not in str(error) and "Server Error" not in str(error)
    if text is not None:
        assert str(error) == text
    assert error.data == data
    assert wire.count() == 1  # function errors are never retried


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        (
            "Object is missing the required field `memorySpaceId`. Consider wrapping the field"
            " validator in `v.optional(...)` if this is expected.\n\nPath: (root)\nValue: {}",
            "memorySpaceId",
        ),
        (
            "Object contains extra field `bogus` that is not in the validator.\n\nPath: .source\nValue: {}",
            "source.bogus",
        ),
        (
            'Value does not match validator.\n\nPath: .metadata.importance\nValue: "x"',
            "metadata.importance",
        ),
    ],
)
async def test_argument_validation_errors_name_the_field(
    drive: Any, wire: WireServer, detail: str, field: str
) -> None:
    client = await drive()
    wire.script(Reply.error(f"ArgumentValidationError: {detail}"))
    with pytest.raises(BackendValidationError) as info:
        await client.call("mutation", "memorySpaces:register", {})
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.field == field
    assert error.code == "ARGUMENT_VALIDATION_ERROR"
    assert field in str(error) and "memorySpaces:register" in str(error)


async def test_missing_function_is_a_version_mismatch(drive: Any, wire: WireServer) -> None:
    client = await drive()
    with pytest.raises(BackendVersionMismatchError) as info:
        await client.call("query", "memories:doesNotExist", {})
    error = info.value
    assert error.function == "memories:doesNotExist"
    assert error.code == "BACKEND_VERSION_MISMATCH"
    assert error.schema_version and error.schema_version in str(error)
    assert "Could not find public function" in error.raw_message


@pytest.mark.parametrize(
    "reply",
    [
        Reply.raw(b"not json at all"),
        Reply.json(200, ["a", "list"]),
        Reply.json(200, {"status": "weird"}),
        Reply.json(200, {"status": "success", "value": {"$integer": "short"}}),
    ],
)
async def test_unexpected_answers(drive: Any, wire: WireServer, reply: Reply) -> None:
    client = await drive()
    wire.script(reply)
    with pytest.raises(UnexpectedResponseError) as info:
        await client.call("query", "m:f", {})
    assert info.value.code == "UNEXPECTED_RESPONSE"


async def test_success_values_are_decoded(drive: Any, wire: WireServer) -> None:
    client = await drive()
    wire.script(
        Reply.success({"n": 1.0, "big": {"$integer": "AQAAAAAAAAA="}, "raw": {"$bytes": "aGk="}})
    )
    assert await client.call("query", "m:f", {}) == {"n": 1.0, "big": 1, "raw": b"hi"}


async def test_oversize_success_body_is_read_whole(drive: Any, wire: WireServer) -> None:
    client = await drive()
    big = "y" * (20 * 1024 * 1024)
    wire.script(Reply.success({"blob": big}))
    value = await client.call("query", "m:f", {})
    assert len(value["blob"]) == len(big)


def test_clean_message_strips_convex_decorations() -> None:
    raw = (
        "[Request ID: 9f2] Server Error\nUncaught Error: NOPE: bad thing\n"
        "    at handler (../convex/x.ts:1:2)\n\n  Called by client"
    )
    assert clean_message(raw) == "NOPE: bad thing"
    assert clean_message("plain") == "plain"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now=now) == 10.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now=now) == 0.0


def test_every_error_is_a_cortex_error_with_a_code() -> None:
    for _, cls, code in STATUS_CASES:
        error = cls("x", status_code=1)
        assert isinstance(error, CortexError) and error.code == code
