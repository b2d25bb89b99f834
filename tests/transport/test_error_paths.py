"""Error paths of the HTTP transport over real HTTP (the wire server), async and sync: error data that carries no
code, ``Retry-After`` values that cannot be used, an unknown function kind, and the deployment URL."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import FunctionError, RateLimitedError, ValidationError

from .wire_server import Reply, WireServer

TRACE = "\n    at handler (../convex/facts.ts:3:1)"


@pytest.mark.parametrize(
    ("message", "data", "code", "text"),
    [
        # ConvexError data that is a sentence, not a code: the sentence is the message, no code
        (
            "Uncaught ConvexError: quota",
            "the quota is used up",
            "FUNCTION_ERROR",
            "the quota is used up",
        ),
        # data that is neither text nor an object: the code comes from the message
        (
            "Uncaught ConvexError: QUOTA_EXCEEDED: 42 of 42",
            42,
            "QUOTA_EXCEEDED",
            "QUOTA_EXCEEDED: 42 of 42",
        ),
        ("Uncaught ConvexError: [1,2]", [1, 2], "FUNCTION_ERROR", "[1,2]"),
    ],
)
async def test_error_data_without_a_code(
    drive: Any, wire: WireServer, message: str, data: Any, code: str, text: str
) -> None:
    client = await drive()
    wire.script(Reply.error(message + TRACE, data=data))
    with pytest.raises(FunctionError) as info:
        await client.call("mutation", "facts:store", {})
    assert info.value.code == code and str(info.value) == text
    assert info.value.data == data and info.value.function == "facts:store"
    assert wire.count() == 1


@pytest.mark.parametrize(
    "retry_after",
    [
        "nan",  # a number, but not one
        "Tue, 14 Nov 2023 22:13:30 -0000",  # an HTTP date without a usable time zone
        "next week",
    ],
)
async def test_unusable_retry_after_is_ignored(
    drive: Any, wire: WireServer, retry_after: str
) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.failure(429, "RateLimited", "slow down", retry_after=retry_after))
    with pytest.raises(RateLimitedError) as info:
        await client.call("query", "m:f", {})
    assert info.value.retry_after is None and info.value.server_code == "RateLimited"
    # with retries, the normal backoff applies instead (FAST_RETRIES: at most 0.05 s) and the query succeeds
    retrying = await drive(max_retries=1)
    wire.script(
        Reply.failure(429, "RateLimited", "slow down", retry_after=retry_after),
        Reply.success("done"),
    )
    assert await retrying.call("query", "m:f", {}) == "done"
    assert wire.count() == 3


async def test_unknown_function_kind_sends_nothing(drive: Any, wire: WireServer) -> None:
    client = await drive()
    with pytest.raises(ValidationError) as info:
        await client.call("subscription", "m:f", {})
    assert info.value.field == "kind" and "subscription" in str(info.value)
    assert wire.count() == 0


async def test_transport_reports_its_url(drive: Any, wire: WireServer) -> None:
    client = await drive(convex_url=wire.url + "/")
    transport = client.client.transport
    assert transport.url == wire.url
    assert await client.call("query", "echo:value", {"value": 3}) == 3
