"""The ``graphSync`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.admin import AdminListTableArgs
from cortex._generated.args.graph_sync import (
    GraphSyncClearSyncedItemsArgs,
    GraphSyncDeleteSyncItemArgs,
    GraphSyncGetFailedItemsArgs,
    GraphSyncGetHighPriorityItemsArgs,
    GraphSyncGetSyncStatsArgs,
    GraphSyncGetUnsyncedItemsArgs,
    GraphSyncMarkFailedArgs,
    GraphSyncMarkSyncedArgs,
    GraphSyncPurgeAllArgs,
    GraphSyncQueueForSyncArgs,
)
from cortex._generated.args.memories import MemoriesStoreArgs
from cortex._generated.calls_sync import admin as admin_calls
from cortex._generated.calls_sync import graph_sync as calls
from cortex._generated.calls_sync import memories as memory_calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _queue(t: Transport, entity_id: str, **kw: Any) -> str:
    fields: dict[str, Any] = {"table": "memories", "entity_id": entity_id, "operation": "insert"}
    fields.update(kw)
    return str(calls.graph_sync_queue_for_sync(t, GraphSyncQueueForSyncArgs(**fields)))


def _items(t: Transport) -> dict[str, dict[str, Any]]:
    rows = admin_calls.admin_list_table(t, AdminListTableArgs(table="graphSyncQueue"))
    return {r["_id"]: r for r in rows}


def test_queue_dedupes_pending_items(t: Transport) -> None:
    first = _queue(t, "m1", entity={"a": 1})
    again = _queue(t, "m1", operation="update", priority="high")
    assert again == first
    item = _items(t)[first]
    assert item["operation"] == "update" and item["priority"] == "high"
    assert "entity" not in item and item["synced"] is False and item["failedAttempts"] == 0
    calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=first))
    fresh = _queue(t, "m1")
    assert fresh != first  # a synced item is not reused
    assert _items(t)[fresh]["priority"] == "normal"


def test_unsynced_and_priority_lists(t: Transport) -> None:
    a = _queue(t, "a")
    b = _queue(t, "b", priority="high")
    c = _queue(t, "c", priority="high")
    unsynced = calls.graph_sync_get_unsynced_items(t, GraphSyncGetUnsyncedItemsArgs(limit=10))
    assert [i["_id"] for i in unsynced] == [c, b, a]
    high = calls.graph_sync_get_high_priority_items(t, GraphSyncGetHighPriorityItemsArgs(limit=1))
    assert [i["_id"] for i in high] == [c]
    assert calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=c)) is None
    high = calls.graph_sync_get_high_priority_items(t, GraphSyncGetHighPriorityItemsArgs(limit=5))
    assert [i["_id"] for i in high] == [b]


def test_failures_retry_then_give_up(t: Transport) -> None:
    item = _queue(t, "x")
    calls.graph_sync_mark_failed(t, GraphSyncMarkFailedArgs(id=item, error="boom 1"))
    once = _items(t)[item]
    assert once["failedAttempts"] == 1 and once["lastError"] == "boom 1" and once["synced"] is False
    assert "syncedAt" not in once
    calls.graph_sync_mark_failed(t, GraphSyncMarkFailedArgs(id=item, error="boom 2"))
    calls.graph_sync_mark_failed(t, GraphSyncMarkFailedArgs(id=item, error="boom 3"))
    final = _items(t)[item]
    assert final["failedAttempts"] == 3 and final["synced"] is True and "syncedAt" in final
    failed = calls.graph_sync_get_failed_items(t, GraphSyncGetFailedItemsArgs(limit=10))
    assert [i["_id"] for i in failed] == [item]
    calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=item))
    assert "lastError" not in _items(t)[item]
    calls.graph_sync_delete_sync_item(t, GraphSyncDeleteSyncItemArgs(id=item))
    with pytest.raises(FunctionError) as info:
        calls.graph_sync_mark_failed(t, GraphSyncMarkFailedArgs(id=item, error="gone"))
    assert info.value.code == "SYNC_ITEM_NOT_FOUND"
    with pytest.raises(FunctionError):
        calls.graph_sync_delete_sync_item(t, GraphSyncDeleteSyncItemArgs(id=item))


def test_stats(t: Transport) -> None:
    a = _queue(t, "a")
    _queue(t, "b", table="facts")
    calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=a))
    stats = calls.graph_sync_get_sync_stats(t, GraphSyncGetSyncStatsArgs())
    assert stats["total"] == 2 and stats["unsynced"] == 1 and stats["synced"] == 1
    assert stats["failed"] == 0 and stats["byTable"] == {"memories": 1, "facts": 1}
    assert stats["avgSyncTimeMs"] >= 0 and stats["syncLagMs"] >= 0
    assert float(stats["avgSyncTimeMs"]).is_integer()


def test_clear_synced_items_and_purge(t: Transport) -> None:
    a = _queue(t, "a")
    _queue(t, "b")
    calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=a))
    # olderThanMs 0 is falsy upstream: the 24 h default applies and nothing that recent is cleared
    cleared = calls.graph_sync_clear_synced_items(t, GraphSyncClearSyncedItemsArgs(older_than_ms=0))
    assert cleared == {"deleted": 0}
    cleared = calls.graph_sync_clear_synced_items(
        t, GraphSyncClearSyncedItemsArgs(older_than_ms=-60_000)
    )
    assert cleared == {"deleted": 1}
    assert calls.graph_sync_purge_all(t, GraphSyncPurgeAllArgs()) == {"deleted": 1}
    with SyncEmbeddedTransport(":memory:") as locked:
        with pytest.raises(FunctionError) as info:
            calls.graph_sync_purge_all(locked, GraphSyncPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"


def test_ids_of_other_tables_are_rejected(t: Transport) -> None:
    memory = memory_calls.memories_store(
        t,
        MemoriesStoreArgs(
            memory_space_id="s",
            content="x",
            content_type="raw",
            source_type="system",
            importance=1,
            tags=[],
        ),
    )
    with pytest.raises(BackendValidationError):
        calls.graph_sync_mark_synced(t, GraphSyncMarkSyncedArgs(id=memory["_id"]))
    with pytest.raises(BackendValidationError):
        t.call("mutation", path_of(GraphSyncMarkSyncedArgs), {"id": "not-an-id"})
    with pytest.raises(BackendValidationError):
        t.call(
            "mutation",
            path_of(GraphSyncQueueForSyncArgs),
            {"table": "memories", "entityId": "e", "operation": "upsert"},
        )
    assert _items(t) == {}
