"""The ``users`` module: profiles stored as ``immutable`` entries of type ``user``, read and deleted here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.immutable import ImmutableGetArgs, ImmutableStoreArgs
from cortex._generated.args.users import (
    UsersCountArgs,
    UsersDeleteUserProfileArgs,
    UsersExistsArgs,
    UsersGetArgs,
    UsersGetAtTimestampArgs,
    UsersGetHistoryArgs,
    UsersGetVersionArgs,
    UsersListArgs,
)
from cortex._generated.calls_sync import immutable as icalls
from cortex._generated.calls_sync import users as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError


@pytest.fixture
def t() -> Iterator[SyncEmbeddedTransport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _profile(t: SyncEmbeddedTransport, user_id: str, data: Any) -> Any:
    doc = icalls.immutable_store(t, ImmutableStoreArgs(type="user", id=user_id, data=data))
    time.sleep(0.002)
    return doc


def test_get_exists_count_list(t: SyncEmbeddedTransport) -> None:
    alice = _profile(t, "alice", {"name": "Alice"})
    _profile(t, "bob", {"name": "Bob"})
    icalls.immutable_store(t, ImmutableStoreArgs(type="kb", id="alice", data="not a user"))
    assert calls.users_get(t, UsersGetArgs(user_id="alice")) == {
        "id": "alice",
        "data": {"name": "Alice"},
        "version": 1,
        "createdAt": alice["createdAt"],
        "updatedAt": alice["updatedAt"],
    }
    assert calls.users_get(t, UsersGetArgs(user_id="carol")) is None
    assert calls.users_exists(t, UsersExistsArgs(user_id="bob")) is True
    assert calls.users_exists(t, UsersExistsArgs(user_id="carol")) is False
    assert calls.users_count(t, UsersCountArgs()) == 2
    assert [u["id"] for u in calls.users_list(t, UsersListArgs())] == ["alice", "bob"]
    assert [u["id"] for u in calls.users_list(t, UsersListArgs(limit=1))] == ["alice"]
    assert len(calls.users_list(t, UsersListArgs(limit=0))) == 2  # 0 means no limit


def test_versions_history_and_time_travel(t: SyncEmbeddedTransport) -> None:
    v1 = _profile(t, "alice", {"plan": "free"})
    v2 = _profile(t, "alice", {"plan": "pro"})
    v3 = _profile(t, "alice", {"plan": "team"})
    assert calls.users_get_version(t, UsersGetVersionArgs(user_id="alice", version=1)) == {
        "version": 1,
        "data": {"plan": "free"},
        "timestamp": v1["updatedAt"],
    }
    assert calls.users_get_version(t, UsersGetVersionArgs(user_id="alice", version=3))["data"] == {
        "plan": "team"
    }
    assert calls.users_get_version(t, UsersGetVersionArgs(user_id="alice", version=4)) is None
    assert calls.users_get_version(t, UsersGetVersionArgs(user_id="nobody", version=1)) is None
    history = calls.users_get_history(t, UsersGetHistoryArgs(user_id="alice"))
    assert [h["version"] for h in history] == [3, 2, 1]  # newest first
    assert calls.users_get_history(t, UsersGetHistoryArgs(user_id="nobody")) == []

    def at(ts: float) -> Any:
        return calls.users_get_at_timestamp(
            t, UsersGetAtTimestampArgs(user_id="alice", timestamp=ts)
        )

    assert at(v1["createdAt"] - 1) is None
    assert at(v1["updatedAt"])["version"] == 1
    assert at(v2["updatedAt"] + 1)["version"] == 2
    assert at(v3["updatedAt"])["version"] == 3


def test_delete_user_profile(t: SyncEmbeddedTransport) -> None:
    _profile(t, "alice", {"name": "Alice"})
    assert calls.users_delete_user_profile(t, UsersDeleteUserProfileArgs(user_id="alice")) == {
        "deleted": True
    }
    assert icalls.immutable_get(t, ImmutableGetArgs(type="user", id="alice")) is None
    assert calls.users_delete_user_profile(t, UsersDeleteUserProfileArgs(user_id="alice")) == {
        "deleted": False
    }


def test_bad_arguments(t: SyncEmbeddedTransport) -> None:
    with pytest.raises(BackendValidationError) as info:
        t.call("query", path_of(UsersGetArgs), {})
    assert info.value.field == "userId"
    with pytest.raises(BackendValidationError):
        t.call("query", path_of(UsersGetVersionArgs), {"userId": "a", "version": "1"})
    with pytest.raises(BackendValidationError):
        t.call("mutation", path_of(UsersDeleteUserProfileArgs), {"userId": "a", "cascade": True})
