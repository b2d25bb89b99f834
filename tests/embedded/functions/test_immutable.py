"""The ``immutable`` module through the in-process transport: versioning, tenants, history, list/search, purges."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.immutable import (
    ImmutableCountArgs,
    ImmutableGetArgs,
    ImmutableGetAtTimestampArgs,
    ImmutableGetHistoryArgs,
    ImmutableGetVersionArgs,
    ImmutableListArgs,
    ImmutablePurgeAllArgs,
    ImmutablePurgeArgs,
    ImmutablePurgeManyArgs,
    ImmutablePurgeVersionsArgs,
    ImmutableSearchArgs,
    ImmutableStoreArgs,
)
from cortex._generated.calls_sync import immutable as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError


@pytest.fixture
def t() -> Iterator[SyncEmbeddedTransport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _store(t: SyncEmbeddedTransport, id_: str, data: Any, **kw: Any) -> Any:
    kw.setdefault("type", "kb")
    result = calls.immutable_store(t, ImmutableStoreArgs(id=id_, data=data, **kw))
    time.sleep(0.002)  # distinct Date.now() per write
    return result


def test_store_creates_then_versions(t: SyncEmbeddedTransport) -> None:
    v1 = _store(t, "a", {"text": "one"}, user_id="u1", metadata={"m": 1})
    assert v1["version"] == 1 and v1["previousVersions"] == [] and v1["userId"] == "u1"
    v2 = _store(t, "a", {"text": "two"})
    assert v2["_id"] == v1["_id"] and v2["version"] == 2
    assert v2["metadata"] == {"m": 1}  # kept when not given
    assert v2["previousVersions"] == [
        {"version": 1, "data": {"text": "one"}, "timestamp": v1["updatedAt"], "metadata": {"m": 1}}
    ]
    v3 = _store(t, "a", {"text": "three"}, metadata={"m": 3})
    assert v3["version"] == 3 and v3["metadata"] == {"m": 3}
    got = calls.immutable_get(t, ImmutableGetArgs(type="kb", id="a"))
    assert got == v3
    assert calls.immutable_get(t, ImmutableGetArgs(type="kb", id="zz")) is None


def test_versions_history_and_time_travel(t: SyncEmbeddedTransport) -> None:
    v1 = _store(t, "a", "first", user_id="u1")
    v2 = _store(t, "a", "second")
    v3 = _store(t, "a", "third")
    one = calls.immutable_get_version(t, ImmutableGetVersionArgs(type="kb", id="a", version=1))
    assert one == {
        "type": "kb",
        "id": "a",
        "version": 1,
        "data": "first",
        "userId": "u1",
        "timestamp": v1["updatedAt"],
        "createdAt": v1["createdAt"],
    }
    cur = calls.immutable_get_version(t, ImmutableGetVersionArgs(type="kb", id="a", version=3))
    assert cur["data"] == "third" and cur["timestamp"] == v3["updatedAt"]
    assert (
        calls.immutable_get_version(t, ImmutableGetVersionArgs(type="kb", id="a", version=9))
        is None
    )
    history = calls.immutable_get_history(t, ImmutableGetHistoryArgs(type="kb", id="a"))
    assert [h["version"] for h in history] == [1, 2, 3]
    assert [h["data"] for h in history] == ["first", "second", "third"]
    assert calls.immutable_get_history(t, ImmutableGetHistoryArgs(type="kb", id="no")) == []

    def at(ts: float) -> Any:
        return calls.immutable_get_at_timestamp(
            t, ImmutableGetAtTimestampArgs(type="kb", id="a", timestamp=ts)
        )

    assert at(v1["createdAt"] - 1) is None
    assert at(v1["updatedAt"])["version"] == 1
    assert at(v2["updatedAt"])["version"] == 2
    assert at(v3["updatedAt"] + 10_000)["version"] == 3


def test_tenant_isolation_and_shadowing(t: SyncEmbeddedTransport) -> None:
    tenant = _store(t, "doc", "tenant data", tenant_id="t1")
    assert tenant["tenantId"] == "t1"
    assert calls.immutable_get(t, ImmutableGetArgs(type="kb", id="doc")) is None
    assert calls.immutable_get(t, ImmutableGetArgs(type="kb", id="doc", tenant_id="t1")) == tenant
    # a global store while a tenant entry comes first in the index creates a separate global entry each time
    g1 = _store(t, "doc", "global")
    g2 = _store(t, "doc", "global again")
    assert g1["_id"] != g2["_id"] and g1["version"] == g2["version"] == 1
    assert "tenantId" not in g1
    listed = calls.immutable_list(t, ImmutableListArgs(tenant_id="t1"))
    assert [e["_id"] for e in listed["entries"]] == [tenant["_id"]]
    with pytest.raises(FunctionError) as info:
        calls.immutable_purge(t, ImmutablePurgeArgs(type="kb", id="doc"))
    assert info.value.code == "IMMUTABLE_ENTRY_NOT_FOUND"
    purged = calls.immutable_purge(t, ImmutablePurgeArgs(type="kb", id="doc", tenant_id="t1"))
    assert purged == {"deleted": True, "type": "kb", "id": "doc", "versionsDeleted": 1}
    assert calls.immutable_count(t, ImmutableCountArgs(type="kb")) == 2


def test_list_filters_sort_and_pages(t: SyncEmbeddedTransport) -> None:
    ids = [_store(t, f"e{i}", {"i": i}, user_id="u1" if i % 2 else "u2")["_id"] for i in range(5)]
    _store(t, "other", 1, type="policy", user_id="u1")
    page = calls.immutable_list(t, ImmutableListArgs(type="kb", limit=2, offset=1))
    assert [e["_id"] for e in page["entries"]] == [ids[3], ids[2]]  # createdAt desc by default
    assert (page["total"], page["limit"], page["offset"], page["hasMore"]) == (5, 2, 1, True)
    asc = calls.immutable_list(t, ImmutableListArgs(user_id="u1", sort_order="asc"))
    assert [e["id"] for e in asc["entries"]] == ["e1", "e3", "other"]
    both = calls.immutable_list(t, ImmutableListArgs(type="kb", user_id="u1"))
    assert [e["id"] for e in both["entries"]] == ["e3", "e1"] and both["hasMore"] is False
    _store(t, "e0", {"i": "updated"})
    by_update = calls.immutable_list(t, ImmutableListArgs(sort_by="updatedAt", limit=1))
    assert by_update["entries"][0]["id"] == "e0"
    assert calls.immutable_list(t, ImmutableListArgs(created_before=1.0))["total"] == 0
    assert calls.immutable_count(t, ImmutableCountArgs()) == 6
    assert calls.immutable_count(t, ImmutableCountArgs(user_id="u1")) == 3
    assert calls.immutable_count(t, ImmutableCountArgs(type="kb", updated_after=1.0)) == 5


def test_search_matches_json_text(t: SyncEmbeddedTransport) -> None:
    _store(t, "a", {"title": "Refund policy", "body": "Refunds within 30 days"}, user_id="u1")
    _store(t, "b", {"title": "Shipping"}, user_id="u2")
    _store(t, "c", "plain refund string")
    found = calls.immutable_search(t, ImmutableSearchArgs(query="REFUND"))
    assert [r["entry"]["id"] for r in found] == ["a", "c"]
    # members in Convex's stored order (sorted by field name)
    assert found[0]["highlights"] == ["Refunds within 30 days", "Refund policy"]
    assert found[0]["score"] == 1 and found[1]["highlights"] == []
    # the JSON punctuation is part of the searched text
    assert [
        r["entry"]["id"]
        for r in calls.immutable_search(t, ImmutableSearchArgs(query='"title":"ship'))
    ] == ["b"]
    assert calls.immutable_search(t, ImmutableSearchArgs(query="refund", user_id="u2")) == []
    assert len(calls.immutable_search(t, ImmutableSearchArgs(query="refund", limit=1))) == 1


def test_purge_many_and_versions(t: SyncEmbeddedTransport) -> None:
    for i in range(3):
        _store(t, "a", i, user_id="u1")
    _store(t, "b", 0, user_id="u2")
    trimmed = calls.immutable_purge_versions(
        t, ImmutablePurgeVersionsArgs(type="kb", id="a", keep_latest=2)
    )
    assert trimmed == {"versionsPurged": 1, "versionsRemaining": 2}
    history = calls.immutable_get_history(t, ImmutableGetHistoryArgs(type="kb", id="a"))
    assert [h["version"] for h in history] == [2, 3]
    assert calls.immutable_purge_versions(
        t, ImmutablePurgeVersionsArgs(type="kb", id="a", keep_latest=5)
    ) == {"versionsPurged": 0, "versionsRemaining": 2}
    with pytest.raises(FunctionError) as info:
        calls.immutable_purge_versions(
            t, ImmutablePurgeVersionsArgs(type="kb", id="x", keep_latest=1)
        )
    assert info.value.code == "IMMUTABLE_ENTRY_NOT_FOUND"
    many = calls.immutable_purge_many(t, ImmutablePurgeManyArgs(user_id="u1"))
    assert many == {"deleted": 1, "totalVersionsDeleted": 3, "entries": [{"type": "kb", "id": "a"}]}
    assert calls.immutable_count(t, ImmutableCountArgs()) == 1


def test_purge_all_needs_allow_purge() -> None:
    with SyncEmbeddedTransport(":memory:") as locked:
        _store(locked, "a", 1)
        with pytest.raises(FunctionError) as info:
            calls.immutable_purge_all(locked, ImmutablePurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.immutable_count(locked, ImmutableCountArgs()) == 1
    with SyncEmbeddedTransport(":memory:", allow_purge=True) as open_:
        _store(open_, "a", 1)
        _store(open_, "b", 1, tenant_id="t")
        assert calls.immutable_purge_all(open_, ImmutablePurgeAllArgs()) == {"deleted": 2}
        assert calls.immutable_count(open_, ImmutableCountArgs()) == 0


def test_bad_arguments_write_nothing(t: SyncEmbeddedTransport) -> None:
    store = path_of(ImmutableStoreArgs)
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", store, {"type": "kb", "data": 1})
    assert info.value.field == "id"
    with pytest.raises(BackendValidationError):
        t.call("mutation", store, {"type": "kb", "id": 5, "data": 1})
    with pytest.raises(BackendValidationError):
        t.call("mutation", store, {"type": "kb", "id": "a", "data": 1, "extra": True})
    assert calls.immutable_count(t, ImmutableCountArgs()) == 0


def test_public_sdk_namespace_round_trip() -> None:
    from cortex import CortexConfig, SyncCortex

    client = SyncCortex(CortexConfig(local_path=":memory:"))
    try:
        client.immutable.store({"type": "kb", "id": "a", "data": {"v": 1}})
        second = client.immutable.store({"type": "kb", "id": "a", "data": {"v": 2}})
        assert second.version == 2 and second.previous_versions[0].data == {"v": 1}
        first = client.immutable.get_version("kb", "a", 1)
        assert first is not None and first.data == {"v": 1}
        assert client.immutable.count() == 1
        trimmed = client.immutable.purge_versions("kb", "a", 1)
        assert trimmed.versions_purged == 1 and trimmed.versions_remaining == 1
    finally:
        client.close()
