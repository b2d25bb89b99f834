"""The HTTP clients against the embedded backend's own server (``cortex serve``'s app) on 127.0.0.1.

Proves the two halves speak the same wire: the client's encoding, headers and error mapping against a server
that was written separately.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex import (
    AuthenticationError,
    BackendValidationError,
    BackendVersionMismatchError,
    Cortex,
    CortexConfig,
    FunctionError,
    SyncCortex,
)

uvicorn = pytest.importorskip("uvicorn")
server_module = pytest.importorskip("cortex.embedded.server")
engine_module = pytest.importorskip("cortex.embedded.engine")

KEY = "embedded-admin-key-5b1e"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    engine = engine_module.Engine(":memory:")
    app = server_module.create_app(engine, admin_key=KEY)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("embedded server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.close()


async def test_async_client_round_trip(served: str) -> None:
    async with Cortex(CortexConfig(convex_url=served, admin_key=KEY)) as cortex:
        value: dict[str, Any] = {"n": 1.5, "nested": {"list": [1, "two", None]}, "flag": True}
        stored = await cortex.transport.call(
            "mutation", "mutable:set", {"namespace": "ns", "key": "k-async", "value": value}
        )
        assert stored["value"] == value
        fetched = await cortex.transport.call(
            "query", "mutable:get", {"namespace": "ns", "key": "k-async"}
        )
        assert fetched["value"] == value and fetched["key"] == "k-async"
        if "mutable" in cortex.namespaces:
            record = await cortex.mutable.set("ns", "k-ns", {"x": 1})
            assert record.key == "k-ns"


def test_sync_client_round_trip_and_errors(served: str) -> None:
    with SyncCortex(convex_url=served, admin_key=KEY) as cortex:
        cortex.transport.call(
            "mutation", "mutable:set", {"namespace": "ns", "key": "k-sync", "value": 3}
        )
        got = cortex.transport.call("query", "mutable:get", {"namespace": "ns", "key": "k-sync"})
        assert got["value"] == 3
        with pytest.raises(BackendValidationError) as invalid:
            cortex.transport.call("mutation", "mutable:set", {"namespace": "ns", "value": 1})
        assert invalid.value.field == "key"
        with pytest.raises(BackendVersionMismatchError) as missing:
            cortex.transport.call("query", "mutable:notAFunction", {})
        assert missing.value.function == "mutable:notAFunction"
        with pytest.raises(FunctionError):
            cortex.transport.call(
                "query", "mutable:set", {"namespace": "ns", "key": "k", "value": 1}
            )


def test_wrong_admin_key_is_an_authentication_error(served: str) -> None:
    with SyncCortex(convex_url=served, admin_key="wrong-key", max_retries=0) as cortex:
        with pytest.raises(AuthenticationError) as info:
            cortex.transport.call("query", "mutable:get", {"namespace": "ns", "key": "k"})
        assert info.value.status_code == 401 and "wrong-key" not in str(info.value)
