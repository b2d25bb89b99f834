"""The clients and their configuration, over real HTTP: headers, secrets, logs, limits, options, backends."""

from __future__ import annotations

import importlib.metadata
import json
import logging
from typing import Any

import httpx
import pytest

from cortex import (
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    Cortex,
    CortexConfig,
    FunctionError,
    PayloadTooLargeError,
    SyncCortex,
    ValidationError,
)
from cortex._async.http_transport import AsyncConvexTransport
from cortex._sync.http_transport import SyncConvexTransport
from cortex._transport.base import CallOptions

from .wire_server import Reply, WireServer

ADMIN_KEY = "prod:cortex|ADMIN-SECRET-1f9a"
JWT = "eyJhbGciOi.JWT-SECRET-77c2.sig"


async def test_request_shape_and_headers_with_admin_key(drive: Any, wire: WireServer) -> None:
    client = await drive(admin_key=ADMIN_KEY)
    assert await client.call("mutation", "echo:args", {"a": 1, "b": [True, None]}) == {
        "a": 1,
        "b": [True, None],
    }
    seen = wire.requests[0]
    assert seen.kind == "mutation"
    assert seen.payload == {
        "path": "echo:args",
        "format": "convex_encoded_json",
        "args": {"a": 1, "b": [True, None]},
    }
    version = importlib.metadata.version("cortex-python")
    assert seen.headers["convex-client"] == f"cortex-python-{version}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"] == f"Convex {ADMIN_KEY}"


@pytest.mark.parametrize("kind", ["query", "mutation", "action"])
async def test_each_kind_posts_to_its_endpoint(drive: Any, wire: WireServer, kind: str) -> None:
    client = await drive()
    await client.call(kind, "echo:args", {})
    assert wire.requests[0].kind == kind
    assert "authorization" not in wire.requests[0].headers


async def test_bearer_token(drive: Any, wire: WireServer) -> None:
    client = await drive(auth_token=JWT)
    await client.call("query", "echo:args", {})
    assert wire.requests[0].headers["authorization"] == f"Bearer {JWT}"


def test_admin_key_and_token_are_exclusive() -> None:
    with pytest.raises(ConfigurationError) as info:
        CortexConfig(convex_url="http://127.0.0.1:1", admin_key="KEY-A", auth_token="TOKEN-B")
    assert isinstance(info.value, ValidationError)
    assert info.value.field == "auth_token" and info.value.code == "INVALID_CONFIG"
    assert "KEY-A" not in str(info.value) and "TOKEN-B" not in str(info.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"convex_url": "ftp://x"},
        {"convex_url": "not a url"},
        {"max_retries": -1},
        {"convex_url": "http://127.0.0.1:1", "local_path": ":memory:"},
        {"unknown_setting": 1},
    ],
)
def test_bad_configuration_raises_configuration_error(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CortexConfig(**settings)


def test_convex_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEX_URL", "https://happy-animal-123.convex.cloud/")
    assert CortexConfig().convex_url == "https://happy-animal-123.convex.cloud"
    assert CortexConfig(convex_url="http://127.0.0.1:9").convex_url == "http://127.0.0.1:9"
    assert CortexConfig(local_path=":memory:").convex_url is None


def test_default_timeouts_and_retries() -> None:
    config = CortexConfig(convex_url="http://127.0.0.1:9")
    assert config.http_timeout.connect == 5.0 and config.http_timeout.read == 60.0
    assert config.max_retries == 2
    short = CortexConfig(convex_url="http://127.0.0.1:9", timeout=2.0).http_timeout
    assert short.read == 2.0 and short.connect == 2.0


def test_auth_context_is_camel_cased() -> None:
    config = CortexConfig(
        convex_url="http://127.0.0.1:9",
        auth={"tenant_id": "t-1", "user_id": "u-1", "session_id": "s-1", "claims": {"a_b": 1}},
    )
    assert config.auth == {
        "tenantId": "t-1",
        "userId": "u-1",
        "sessionId": "s-1",
        "claims": {"a_b": 1},
    }
    with SyncCortex(config) as cortex:
        assert dict(cortex.context.auth) == config.auth


async def test_secrets_never_leak(
    wire: WireServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    config = CortexConfig(convex_url=wire.url, admin_key=ADMIN_KEY, max_retries=0)
    wire.script(
        Reply.failure(401, "BadAdminKey", f"The provided admin key {ADMIN_KEY} is invalid"),
        Reply.error(f"Uncaught Error: AUTH: key {ADMIN_KEY} rejected", log_lines=["[LOG] hi"]),
    )
    async with Cortex(config) as cortex:
        with pytest.raises(AuthenticationError) as auth_error:
            await cortex.transport.call("query", "m:f", {})
        with pytest.raises(FunctionError) as function_error:
            await cortex.transport.call("query", "m:f", {})
        texts = [
            repr(config),
            str(config),
            repr(cortex),
            repr(cortex.transport),
            str(auth_error.value),
            repr(auth_error.value),
            str(function_error.value),
            function_error.value.raw_message,
            json.dumps(config.model_dump(mode="json")),
            caplog.text,
            capsys.readouterr().out,
        ]
    assert wire.requests[0].headers["authorization"] == f"Convex {ADMIN_KEY}"
    assert "ADMIN-SECRET" in json.dumps(wire.requests[0].headers)
    for text in texts:
        assert "ADMIN-SECRET" not in text, text
    with pytest.raises(ConfigurationError) as bad:
        CortexConfig(convex_url="http://127.0.0.1:9", admin_key=ADMIN_KEY, auth_token=JWT)
    assert "SECRET" not in str(bad.value)


async def test_log_lines_go_to_the_cortex_logger(
    drive: Any, wire: WireServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = await drive()
    caplog.set_level(logging.DEBUG, logger="cortex")
    await client.call("query", "echo:logs", {"lines": ["[LOG] 'stored m-1'", "[WARN] 'slow'"]})
    records = [r for r in caplog.records if r.name == "cortex"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.DEBUG]
    assert "stored m-1" in records[0].getMessage() and "echo:logs" in records[0].getMessage()
    assert "slow" in records[1].getMessage()
    caplog.clear()
    wire.script(Reply.error("Uncaught Error: NOPE: x", log_lines=["[ERROR] 'failing'"]))
    with pytest.raises(FunctionError):
        await client.call("query", "m:f", {})
    assert any("failing" in r.getMessage() for r in caplog.records if r.name == "cortex")


async def test_oversize_args_are_rejected_before_sending(drive: Any, wire: WireServer) -> None:
    client = await drive()
    with pytest.raises(PayloadTooLargeError) as info:
        await client.call("mutation", "echo:args", {"blob": "x" * (16 * 1024 * 1024 + 1)})
    assert info.value.status_code is None and info.value.code == "ARGUMENTS_TOO_LARGE"
    assert wire.count() == 0


async def test_reserved_keys_are_rejected_before_sending(drive: Any, wire: WireServer) -> None:
    client = await drive()
    with pytest.raises(ValidationError) as info:
        await client.call("mutation", "echo:args", {"metadata": {"$where": 1}})
    assert info.value.field == "metadata.$where"
    assert wire.count() == 0


async def test_values_round_trip_through_http(drive: Any, wire: WireServer) -> None:
    client = await drive()
    value = {"f": -0.0, "nan": float("nan"), "inf": float("inf"), "b": b"\x00\x01", "n": 2**53}
    back = await client.call("mutation", "echo:value", {"value": value})
    assert back["b"] == b"\x00\x01" and back["n"] == 2**53 and back["inf"] == float("inf")
    assert str(back["f"]) == "-0.0" and back["nan"] != back["nan"]
    sent = wire.requests[0].payload["args"]["value"]
    assert set(sent["f"]) == {"$float"} and set(sent["b"]) == {"$bytes"}


async def test_with_options_is_a_view_sharing_the_connection(wire: WireServer) -> None:
    async with Cortex(convex_url=wire.url, max_retries=2) as cortex:
        view = cortex.with_options(timeout=0.25, max_retries=0)
        assert type(view) is Cortex
        assert view.transport is cortex.transport
        assert view.context.options == CallOptions(timeout=0.25, max_retries=0)
        narrower = view.with_options(max_retries=1)
        assert narrower.context.options == CallOptions(timeout=0.25, max_retries=1)
        assert cortex.context.options is None
        await view.close()  # a view owns nothing
        assert await cortex.transport.call("query", "echo:value", {"value": 3}) == 3


def test_sync_client_end_to_end(wire: WireServer) -> None:
    with SyncCortex(CortexConfig(convex_url=wire.url, auth_token=JWT)) as cortex:
        assert isinstance(cortex.transport, SyncConvexTransport)
        assert cortex.transport.call("query", "echo:value", {"value": [1, "a"]}) == [1, "a"]
        view = cortex.with_options(max_retries=0)
        assert type(view) is SyncCortex and view.context.options == CallOptions(max_retries=0)
    assert wire.requests[0].headers["authorization"] == f"Bearer {JWT}"


async def test_custom_http_clients_are_used_and_not_closed(wire: WireServer) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers["convex-client"])

    http = httpx.AsyncClient(event_hooks={"request": [hook]})
    async with Cortex(convex_url=wire.url, http_client=http) as cortex:
        assert isinstance(cortex.transport, AsyncConvexTransport)
        await cortex.transport.call("query", "echo:args", {})
    assert len(seen) == 1 and not http.is_closed
    await http.aclose()
    with pytest.raises(ConfigurationError):
        Cortex(convex_url=wire.url, http_client=httpx.Client())
    with pytest.raises(ConfigurationError):
        SyncCortex(convex_url=wire.url, http_client=httpx.AsyncClient())


async def test_close_releases_the_owned_http_client(wire: WireServer) -> None:
    cortex = Cortex(convex_url=wire.url)
    transport = cortex.transport
    assert isinstance(transport, AsyncConvexTransport)
    await cortex.close()
    await cortex.close()  # idempotent
    with pytest.raises(RuntimeError):
        await transport._client.post(wire.url + "/api/query")


def test_config_and_keywords_are_exclusive() -> None:
    with pytest.raises(ConfigurationError):
        Cortex(CortexConfig(convex_url="http://127.0.0.1:9"), max_retries=1)


def test_without_url_the_embedded_backend_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVEX_URL", raising=False)
    from cortex.embedded import transport as embedded

    with SyncCortex(local_path=":memory:") as cortex:
        assert isinstance(cortex.transport, embedded.SyncEmbeddedTransport)


async def test_without_url_the_async_embedded_backend_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CONVEX_URL", raising=False)
    from cortex.embedded import transport as embedded

    async with Cortex(CortexConfig(local_path=":memory:", allow_purge=True)) as cortex:
        assert isinstance(cortex.transport, embedded.AsyncEmbeddedTransport)
        assert cortex.transport.engine.allow_purge


def test_missing_embedded_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from cortex import BackendUnavailableError

    monkeypatch.delenv("CONVEX_URL", raising=False)
    monkeypatch.setitem(sys.modules, "cortex.embedded.transport", None)
    with pytest.raises(BackendUnavailableError) as info:
        SyncCortex(local_path=":memory:")
    assert "convex_url" in str(info.value)


def test_namespaces_are_attributes(wire: WireServer) -> None:
    with SyncCortex(convex_url=wire.url) as cortex:
        for name, namespace in cortex.namespaces.items():
            assert getattr(cortex, name) is namespace
        with pytest.raises(AttributeError, match="not a namespace"):
            _ = cortex.no_such_namespace


async def test_namespace_calls_go_over_http_with_auth_and_view_options(wire: WireServer) -> None:
    config = CortexConfig(convex_url=wire.url, auth={"tenant_id": "t-1"}, max_retries=0)
    async with Cortex(config) as cortex:
        if "memory_spaces" not in cortex.namespaces:
            pytest.skip("this build has no memory_spaces namespace")
        wire.script(Reply.success(None))
        assert await cortex.memory_spaces.get("space-1") is None
        seen = wire.requests[0]
        assert (seen.kind, seen.path) == ("query", "memorySpaces:get")
        assert seen.payload["args"] == {"memorySpaceId": "space-1", "tenantId": "t-1"}
        wire.script(Reply.slow(1.5, None))
        fast = cortex.with_options(timeout=0.2)
        with pytest.raises(APITimeoutError):
            await fast.memory_spaces.get("space-1")


def test_sync_namespace_calls_go_over_http(wire: WireServer) -> None:
    with SyncCortex(convex_url=wire.url) as cortex:
        if "memory_spaces" not in cortex.namespaces:
            pytest.skip("this build has no memory_spaces namespace")
        wire.script(Reply.success(None))
        assert cortex.memory_spaces.get("space-2") is None
        assert wire.requests[0].payload["args"] == {"memorySpaceId": "space-2"}
