"""``cortex serve``'s HTTP API over real HTTP on 127.0.0.1: wire format, errors, auth, limits, fuzzing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from cortex._generated.args.mutable import MutableGetArgs, MutableSetArgs, MutableUpdateArgs
from cortex._generated.calls_sync import mutable as calls
from cortex._sync.http_transport import SyncConvexTransport
from cortex.cli import is_loopback, load_or_create_key
from cortex.embedded.engine import Engine
from cortex.embedded.registry import path_of
from cortex.errors import BackendVersionMismatchError, FunctionError

from .serving import running_server

KEY = "test-admin-key"
AUTH = {"Authorization": f"Convex {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    engine = Engine(":memory:")
    with running_server(engine, admin_key=KEY, max_body_bytes=64 * 1024) as url:
        yield url
    engine.close()


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=AUTH, timeout=10) as c:
        yield c


SET = path_of(MutableSetArgs)
GET = path_of(MutableGetArgs)
UPDATE = path_of(MutableUpdateArgs)


def test_success_in_both_formats(client: httpx.Client) -> None:
    r = client.post(
        "/api/mutation",
        json={"path": SET, "args": {"namespace": "h", "key": "k", "value": 1.5}, "format": "json"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "success" and body["logLines"] == []
    assert body["value"]["value"] == 1.5
    r = client.post(
        "/api/query",
        json={"path": GET, "args": {"namespace": "h", "key": "k"}, "format": "convex_encoded_json"},
    )
    assert r.json()["value"]["_id"] == body["value"]["_id"]


def test_function_errors(client: httpx.Client) -> None:
    r = client.post(
        "/api/mutation",
        json={"path": UPDATE, "args": {"namespace": "h", "key": "nope", "operation": "increment"}},
    )
    assert r.status_code == 200
    assert r.json() == {
        "status": "error",
        "errorMessage": "MUTABLE_KEY_NOT_FOUND",
        "errorData": "MUTABLE_KEY_NOT_FOUND",
        "logLines": [],
    }
    r = client.post("/api/query", json={"path": "nomodule:nofunction", "args": {}})
    assert r.status_code == 200
    assert r.json()["errorMessage"].startswith(
        "Could not find public function for 'nomodule:nofunction'"
    )
    r = client.post(
        "/api/query", json={"path": SET, "args": {"namespace": "h", "key": "k", "value": 1}}
    )
    assert "but it is defined as Mutation" in r.json()["errorMessage"]
    r = client.post("/api/query", json={"path": GET, "args": {"namespace": "h"}})
    assert r.json()["errorMessage"].startswith(
        "ArgumentValidationError: Object is missing the required field `key`"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1,2]",
        b'{"args": {}}',
        b'{"path": 5}',
        b'{"path": "a:b", "format": "xml"}',
        b'{"path": "a:b", "args": 3}',
    ],
)
def test_malformed_requests_are_400(client: httpx.Client, body: bytes) -> None:
    r = client.post("/api/query", content=body)
    assert r.status_code == 400
    assert set(r.json()) == {"code", "message"}


def test_oversized_body_is_413(client: httpx.Client) -> None:
    r = client.post(
        "/api/mutation", content=b'{"path": "x", "args": {"v": "' + b"a" * 70_000 + b'"}}'
    )
    assert r.status_code == 413
    assert r.json()["code"] == "PayloadTooLarge"


def test_auth_required(server: str) -> None:
    for headers in ({}, {"Authorization": "Convex wrong"}, {"Authorization": f"Bearer {KEY}"}):
        r = httpx.post(
            f"{server}/api/query",
            json={"path": GET, "args": {"namespace": "h", "key": "k"}},
            headers=headers,
        )
        assert r.status_code == 401
        assert set(r.json()) == {"code", "message"}


def test_sdk_http_transport_against_the_server(server: str) -> None:
    transport = SyncConvexTransport(server, admin_key=SecretStr(KEY), max_retries=0)
    try:
        entry = calls.mutable_set(transport, MutableSetArgs(namespace="sdk", key="k", value=[1, 2]))
        assert calls.mutable_get(transport, MutableGetArgs(namespace="sdk", key="k")) == entry
        with pytest.raises(FunctionError) as info:
            calls.mutable_update(
                transport, MutableUpdateArgs(namespace="sdk", key="zz", operation="increment")
            )
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"
        with pytest.raises(BackendVersionMismatchError):
            transport.call("query", "nomodule:nofunction", {})
    finally:
        transport.close()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "path": st.sampled_from([SET, GET, UPDATE, "x:y", ""]) | st.text(max_size=8),
            "args": json_values,
        },
        optional={"format": st.sampled_from(["json", "convex_encoded_json", "bogus"])},
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, endpoint=st.sampled_from(["query", "mutation", "action"]))
def test_fuzzed_bodies_never_crash_the_server(
    client: httpx.Client, body: bytes, endpoint: str
) -> None:
    r = client.post(f"/api/{endpoint}", content=body)
    assert r.status_code in (200, 400, 413)
    payload: Any = r.json()
    if r.status_code == 200:
        assert payload["status"] in ("success", "error")
        if payload["status"] == "error":
            assert "Traceback" not in payload["errorMessage"]
    else:
        assert set(payload) == {"code", "message"}


def test_loopback_and_key_storage(tmp_path: Any) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    db = tmp_path / "x.db"
    key, created = load_or_create_key(db)
    assert created and len(key) > 30
    assert load_or_create_key(db) == (key, False)
    assert (tmp_path / "x.db.admin_key").stat().st_mode & 0o077 == 0
