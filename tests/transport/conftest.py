"""Fixtures: a fresh wire server per test, and clients of both flavours pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from cortex import Cortex, CortexConfig, RetryPolicy, SyncCortex
from cortex._transport.base import CallOptions

from .wire_server import WireServer

FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=0.5, max_retry_after=5.0)


@pytest.fixture
def wire() -> Iterator[WireServer]:
    with WireServer() as server:
        yield server


class Driver:
    """Runs calls through an async ``Cortex`` or a blocking ``SyncCortex`` (in a worker thread) alike."""

    def __init__(self, flavour: str, config: CortexConfig) -> None:
        self.flavour = flavour
        self.client: Cortex | SyncCortex = (
            Cortex(config) if flavour == "async" else SyncCortex(config)
        )

    async def call(
        self, kind: Any, path: str, args: dict[str, Any], options: CallOptions | None = None
    ) -> Any:
        if isinstance(self.client, Cortex):
            return await self.client.transport.call(kind, path, args, options=options)
        transport = self.client.transport
        return await asyncio.to_thread(transport.call, kind, path, args, options=options)

    async def close(self) -> None:
        if isinstance(self.client, Cortex):
            await self.client.close()
        else:
            self.client.close()


@pytest.fixture(params=["async", "sync"])
async def drive(request: pytest.FixtureRequest, wire: WireServer) -> AsyncIterator[Any]:
    """``await drive(**config)`` → a Driver for this test's flavour, closed afterwards."""
    made: list[Driver] = []

    async def make(**settings: Any) -> Driver:
        settings.setdefault("convex_url", wire.url)
        settings.setdefault("retry_policy", FAST_RETRIES)
        driver = Driver(request.param, CortexConfig(**settings))
        made.append(driver)
        return driver

    yield make
    for driver in made:
        await driver.close()
