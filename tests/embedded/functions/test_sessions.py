"""The ``sessions`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.sessions import (
    SessionsCountArgs,
    SessionsCreateArgs,
    SessionsEndAllArgs,
    SessionsEndArgs,
    SessionsExpireIdleArgs,
    SessionsGetArgs,
    SessionsIncrementMemoryCountArgs,
    SessionsIncrementMessageCountArgs,
    SessionsListArgs,
    SessionsTouchArgs,
)
from cortex._generated.calls_sync import sessions as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport
T2020 = 1600000000000.0


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _create(t: Transport, session_id: str, user_id: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("started_at", T2020)
    doc: dict[str, Any] = calls.sessions_create(
        t, SessionsCreateArgs(session_id=session_id, user_id=user_id, **kw)
    )
    return doc


def _get(t: Transport, session_id: str) -> Any:
    return calls.sessions_get(t, SessionsGetArgs(session_id=session_id))


def _ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["sessionId"] for d in docs]


@pytest.fixture
def seeded(t: Transport) -> Transport:
    _create(t, "s1", "u1", memory_space_id="ms1", metadata={"device": "web"})
    _create(t, "s2", "u1", tenant_id="t1", memory_space_id="ms1", expires_at=4100000000000.0)
    _create(t, "s3", "u2", tenant_id="t1")
    _create(t, "s4", "u2", memory_space_id="ms2")
    return t


def test_create_returns_the_inserted_fields(t: Transport) -> None:
    created = _create(t, "s1", "u1", memory_space_id="ms1", metadata={"device": "web"})
    assert created == {
        "_id": created["_id"],
        "sessionId": "s1",
        "userId": "u1",
        "memorySpaceId": "ms1",
        "status": "active",
        "startedAt": T2020,
        "lastActiveAt": T2020,
        "metadata": {"device": "web"},
        "messageCount": 0,
        "memoryCount": 0,
    }
    stored = _get(t, "s1")
    assert {k: v for k, v in stored.items() if k != "_creationTime"} == created
    # a duplicate sessionId is accepted (as upstream); get returns the first one
    _create(t, "s1", "u9")
    assert calls.sessions_count(t, SessionsCountArgs()) == 2
    assert _get(t, "s1")["userId"] == "u1"
    assert _get(t, "nope") is None


def test_counters_touch_and_end(seeded: Transport) -> None:
    t = seeded
    before = time.time() * 1000 - 1
    assert (
        calls.sessions_increment_message_count(
            t, SessionsIncrementMessageCountArgs(session_id="s2")
        )
        is None
    )
    calls.sessions_increment_message_count(t, SessionsIncrementMessageCountArgs(session_id="s2"))
    calls.sessions_increment_memory_count(t, SessionsIncrementMemoryCountArgs(session_id="s2"))
    calls.sessions_increment_memory_count(t, SessionsIncrementMemoryCountArgs(session_id="nope"))
    s2 = _get(t, "s2")
    assert (s2["messageCount"], s2["memoryCount"]) == (2, 1)
    assert s2["lastActiveAt"] >= before
    calls.sessions_end(t, SessionsEndArgs(session_id="s4"))
    s4 = _get(t, "s4")
    assert s4["status"] == "ended" and s4["endedAt"] >= before
    calls.sessions_touch(t, SessionsTouchArgs(session_id="s4"))
    assert _get(t, "s4")["status"] == "active"  # touch reactivates
    for fn, model in (
        (calls.sessions_touch, SessionsTouchArgs),
        (calls.sessions_end, SessionsEndArgs),
    ):
        with pytest.raises(FunctionError) as info:
            fn(t, model(session_id="nope"))
        assert info.value.message == "Session not found: nope"


def test_list_and_count_filters(seeded: Transport) -> None:
    t = seeded
    calls.sessions_end(t, SessionsEndArgs(session_id="s4"))

    def listed(**kw: Any) -> list[str]:
        return _ids(calls.sessions_list(t, SessionsListArgs(**kw)))

    def counted(**kw: Any) -> int:
        result: int = calls.sessions_count(t, SessionsCountArgs(**kw))
        return result

    assert listed() == ["s1", "s2", "s3", "s4"]
    assert listed(user_id="u1") == ["s1", "s2"]
    assert listed(tenant_id="t1") == ["s2", "s3"]
    assert listed(tenant_id="t1", user_id="u2") == ["s3"]
    assert listed(tenant_id="t1", status="active") == ["s2", "s3"]
    assert listed(tenant_id="t1", memory_space_id="ms1") == ["s2"]
    assert listed(memory_space_id="ms2") == ["s4"]
    assert listed(memory_space_id="ms2", status="active") == []
    assert listed(status="ended") == ["s4"]
    assert listed(user_id="u1", status="ended") == []
    assert listed(limit=2, offset=1) == ["s2", "s3"]
    assert counted() == 4
    assert counted(tenant_id="t1") == 2
    assert counted(tenant_id="t1", user_id="u1") == 1
    assert counted(user_id="u2", status="active") == 1
    assert counted(memory_space_id="ms1") == 2
    assert counted(status="ended") == 1


def test_end_all_respects_the_tenant(seeded: Transport) -> None:
    t = seeded
    assert calls.sessions_end_all(t, SessionsEndAllArgs(user_id="u1", tenant_id="t1")) == {
        "ended": 1,
        "sessionIds": ["s2"],
    }
    assert _get(t, "s1")["status"] == "active"
    assert calls.sessions_end_all(t, SessionsEndAllArgs(user_id="u1")) == {
        "ended": 1,
        "sessionIds": ["s1"],
    }
    assert calls.sessions_end_all(t, SessionsEndAllArgs(user_id="u1")) == {
        "ended": 0,
        "sessionIds": [],
    }


def test_expire_idle(seeded: Transport) -> None:
    t = seeded
    calls.sessions_touch(t, SessionsTouchArgs(session_id="s3"))  # active now
    # a timeout longer than the age of every session expires nothing
    assert calls.sessions_expire_idle(t, SessionsExpireIdleArgs(idle_timeout=1e15)) == {
        "expired": 0
    }
    # within tenant t1 only s2 (last active in 2020) is idle
    assert calls.sessions_expire_idle(
        t, SessionsExpireIdleArgs(tenant_id="t1", idle_timeout=60000)
    ) == {"expired": 1}
    assert _get(t, "s2")["status"] == "ended" and _get(t, "s1")["status"] == "active"
    assert calls.sessions_expire_idle(t, SessionsExpireIdleArgs(idle_timeout=60000)) == {
        "expired": 2
    }
    assert _ids(calls.sessions_list(t, SessionsListArgs(status="active"))) == ["s3"]


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", SessionsCreateArgs, {"sessionId": "s9", "userId": "u1"}, "startedAt"),
        (
            "mutation",
            SessionsCreateArgs,
            {"sessionId": "s9", "userId": "u1", "startedAt": "now"},
            None,
        ),
        (
            "mutation",
            SessionsCreateArgs,
            {"sessionId": "s9", "userId": "u1", "startedAt": 1, "status": "idle"},
            "status",
        ),
        ("query", SessionsListArgs, {"status": "expired"}, None),
        ("mutation", SessionsExpireIdleArgs, {}, "idleTimeout"),
    ],
)
def test_bad_arguments_are_rejected_before_writing(
    t: Transport, kind: Any, model: type, args: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(BackendValidationError) as info:
        t.call(kind, path_of(model), args)
    assert info.value.code == "ARGUMENT_VALIDATION_ERROR"
    if field is not None:
        assert info.value.field == field
    assert calls.sessions_count(t, SessionsCountArgs()) == 0
