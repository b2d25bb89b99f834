"""Support for the orchestration tests of a2a, contexts, conversations, memory_spaces, mutable and sessions.

* ``embedded()`` / ``embedded_sync()``: a client on a fresh in-memory embedded backend whose transport records the
  functions it calls (the real transport underneath), so tests can assert that bad input sent nothing.
* ``tenant_of(client, tenant)``: another client on the same backend with ``tenant`` in its auth context.
* ``served_url()``: one ``cortex serve`` process (real HTTP on 127.0.0.1, temp database) for the whole test run,
  started on first use and stopped at exit.
"""

from __future__ import annotations

import atexit
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from cortex import Cortex, CortexConfig, SyncCortex
from tests.conformance.embedded_server import Server, start_server, unavailable_reason

_COUNTER = itertools.count()


def unique(prefix: str) -> str:
    """An id that no other test of this run uses (the served database is shared)."""
    return f"{prefix}-{next(_COUNTER)}"


class RecordingAsyncTransport:
    """Delegates to a real transport; remembers every function path called."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        self.paths.append(path)
        return await self.inner.call(kind, path, args, options=options)

    async def aclose(self) -> None:
        await self.inner.aclose()


class RecordingSyncTransport:
    """Delegates to a real transport; remembers every function path called."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        self.paths.append(path)
        return self.inner.call(kind, path, args, options=options)

    def close(self) -> None:
        self.inner.close()


@asynccontextmanager
async def embedded(**config: Any) -> AsyncIterator[Cortex]:
    """An async client on a fresh ``:memory:`` embedded backend, recording its calls (``client.transport.paths``)."""
    base = Cortex(CortexConfig(local_path=":memory:"))
    client = Cortex(CortexConfig(**config), transport=RecordingAsyncTransport(base.transport))  # type: ignore[arg-type]
    try:
        yield client
    finally:
        await base.close()


@contextmanager
def embedded_sync(**config: Any) -> Iterator[SyncCortex]:
    """A sync client on a fresh ``:memory:`` embedded backend, recording its calls (``client.transport.paths``)."""
    base = SyncCortex(CortexConfig(local_path=":memory:"))
    client = SyncCortex(CortexConfig(**config), transport=RecordingSyncTransport(base.transport))  # type: ignore[arg-type]
    try:
        yield client
    finally:
        base.close()


def tenant_of(client: Any, tenant: str | None) -> Any:
    """A client of the same kind on the same transport, with ``tenant`` (or no tenant) in its auth context."""
    auth = {"tenant_id": tenant} if tenant else None
    return type(client)(CortexConfig(auth=auth), transport=client.transport)


_SERVER: Server | None = None


def _stop() -> None:
    if _SERVER is not None:
        _SERVER.stop()


def served_url() -> str:
    """Base URL of the shared ``cortex serve`` (skips the test when it cannot run here)."""
    global _SERVER
    if _SERVER is None:
        reason = unavailable_reason()
        if reason is not None:
            import pytest

            pytest.skip(reason)
        _SERVER = start_server()
        atexit.register(_stop)
        _SERVER.wait_ready()
    return _SERVER.base_url
