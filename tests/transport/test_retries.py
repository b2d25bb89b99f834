"""Retry policy and timeouts, counted on the server side (or, for refused connections, by httpx request hooks)."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import httpx
import pytest

from cortex import (
    APIConnectionError,
    APITimeoutError,
    Cortex,
    CortexConfig,
    OverloadedError,
    RateLimitedError,
    RetryPolicy,
    SyncCortex,
)
from cortex._transport.base import CallOptions
from cortex._transport.retry import backoff_delay

from .conftest import FAST_RETRIES
from .wire_server import Reply, WireServer


@pytest.mark.parametrize(
    "failure",
    [
        Reply.failure(503, "Overloaded", "busy"),
        Reply.failure(429, "RateLimited", "slow down", retry_after="0"),
        Reply.dropped(),
    ],
    ids=["503", "429", "dropped"],
)
async def test_queries_retry_transient_failures(
    drive: Any, wire: WireServer, failure: Reply
) -> None:
    client = await drive(max_retries=2)
    wire.script(failure, failure, Reply.success("third time"))
    assert await client.call("query", "m:f", {}) == "third time"
    assert wire.count() == 3


async def test_queries_give_up_after_max_retries(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=2)
    wire.script(*[Reply.failure(503, "Overloaded", "busy")] * 5)
    with pytest.raises(OverloadedError):
        await client.call("query", "m:f", {})
    assert wire.count() == 3


@pytest.mark.parametrize("kind", ["mutation", "action"])
@pytest.mark.parametrize(
    "failure",
    [Reply.failure(503, "Overloaded", "busy"), Reply.failure(429, "RateLimited"), Reply.dropped()],
    ids=["503", "429", "dropped"],
)
async def test_writes_are_not_retried_once_sent(
    drive: Any, wire: WireServer, kind: str, failure: Reply
) -> None:
    client = await drive(max_retries=3)
    wire.script(failure, Reply.success("must not be reached"))
    with pytest.raises((OverloadedError, RateLimitedError, APIConnectionError)) as info:
        await client.call(kind, "m:f", {})
    assert wire.count() == 1
    if isinstance(info.value, APIConnectionError):
        assert info.value.sent is True


async def test_mutation_not_retried_after_read_timeout(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=3, timeout=0.3)
    wire.script(Reply.slow(4.0, "late"), Reply.success("must not be reached"))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await client.call("mutation", "m:f", {})
    assert time.monotonic() - started < 3.0  # gave up at the read timeout, not when the answer came
    assert info.value.code == "TIMEOUT" and info.value.sent is True
    assert wire.count() == 1


async def test_query_retried_after_read_timeout(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=1, timeout=0.3)
    wire.script(Reply.slow(1.0, "late"), Reply.success("fresh"))
    assert await client.call("query", "m:f", {}) == "fresh"
    assert wire.count() == 2


async def test_slow_response_times_out_quickly_per_call(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.slow(5.0, "late"))
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.call("query", "m:f", {}, CallOptions(timeout=0.2))
    assert time.monotonic() - started < 4.0  # the per-call timeout, not the 60 s default


async def test_retry_after_is_honoured(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=1)
    wire.script(Reply.failure(429, "RateLimited", retry_after="1"), Reply.success("ok"))
    started = time.monotonic()
    assert await client.call("query", "m:f", {}) == "ok"
    elapsed = time.monotonic() - started
    assert 0.95 <= elapsed < 5.0
    assert wire.count() == 2


async def test_retry_after_http_date_is_capped(drive: Any, wire: WireServer) -> None:
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=0.3)
    client = await drive(max_retries=1, retry_policy=policy)
    far = "Wed, 01 Jan 2098 00:00:00 GMT"
    wire.script(Reply.failure(503, "Overloaded", retry_after=far), Reply.success("ok"))
    started = time.monotonic()
    assert await client.call("query", "m:f", {}) == "ok"
    assert 0.25 <= time.monotonic() - started < 5.0  # capped at 0.3 s instead of ~70 years


async def test_per_call_max_retries_override(drive: Any, wire: WireServer) -> None:
    client = await drive(max_retries=0)
    wire.script(Reply.failure(503, "Overloaded"), Reply.success("ok"))
    assert await client.call("query", "m:f", {}, CallOptions(max_retries=1)) == "ok"
    assert wire.count() == 2


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_async_mutation_retried_when_connection_refused() -> None:
    attempts: list[str] = []

    async def count(request: httpx.Request) -> None:
        attempts.append(request.url.path)

    http = httpx.AsyncClient(event_hooks={"request": [count]})
    config = CortexConfig(
        convex_url=_refused_url(), max_retries=2, retry_policy=FAST_RETRIES, http_client=http
    )
    async with Cortex(config) as cortex:
        with pytest.raises(APIConnectionError) as info:
            await cortex.transport.call("mutation", "m:f", {})
    await http.aclose()
    assert attempts == ["/api/mutation"] * 3
    assert info.value.sent is False and info.value.code == "CONNECTION_ERROR"


def test_sync_mutation_retried_when_connection_refused() -> None:
    attempts: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: attempts.append(r.url.path)]})
    config = CortexConfig(
        convex_url=_refused_url(), max_retries=1, retry_policy=FAST_RETRIES, http_client=http
    )
    with SyncCortex(config) as cortex, pytest.raises(APIConnectionError) as info:
        cortex.transport.call("action", "m:f", {})
    http.close()
    assert attempts == ["/api/action"] * 2
    assert info.value.sent is False


def test_backoff_is_bounded_exponential_with_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.5)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        delays = {backoff_delay(policy, attempt, None) for _ in range(50)}
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert len(delays) > 1
    assert backoff_delay(policy, 0, 3.0) == 3.0
    assert backoff_delay(policy, 0, 1e9) == policy.max_retry_after


async def test_mutation_retried_after_pool_timeout_and_sent_once(wire: WireServer) -> None:
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(10.0, pool=0.1)
    )
    config = CortexConfig(
        convex_url=wire.url, max_retries=60, retry_policy=FAST_RETRIES, http_client=http
    )
    wire.script(Reply.slow(1.0, "first"), Reply.success("second"))
    async with Cortex(config) as cortex:
        first = asyncio.create_task(cortex.transport.call("mutation", "m:f", {"n": 1}))
        while wire.count() == 0:
            await asyncio.sleep(0.01)
        second = await cortex.transport.call("mutation", "m:f", {"n": 2})
        assert await first == "first" and second == "second"
    await http.aclose()
    assert [seen.payload["args"]["n"] for seen in wire.requests] == [1, 2]


async def test_pool_timeout_without_retries_is_a_timeout_not_sent(wire: WireServer) -> None:
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(10.0, pool=0.1)
    )
    wire.script(Reply.slow(1.0, "first"))
    async with Cortex(convex_url=wire.url, max_retries=0, http_client=http) as cortex:
        first = asyncio.create_task(cortex.transport.call("mutation", "m:f", {}))
        while wire.count() == 0:
            await asyncio.sleep(0.01)
        with pytest.raises(APITimeoutError) as info:
            await cortex.transport.call("mutation", "m:f", {})
        assert info.value.sent is False
        await first
    await http.aclose()
    assert wire.count() == 1
