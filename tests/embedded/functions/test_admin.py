"""The ``admin`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cortex._generated.args.admin import (
    AdminClearTableArgs,
    AdminCountTableArgs,
    AdminDeleteRecordArgs,
    AdminGetAllCountsArgs,
    AdminListTableArgs,
)
from cortex._generated.args.fact_history import FactHistoryLogEventArgs
from cortex._generated.args.graph_sync import GraphSyncQueueForSyncArgs
from cortex._generated.calls_sync import admin as calls
from cortex._generated.calls_sync import fact_history as history_calls
from cortex._generated.calls_sync import graph_sync as sync_calls
from cortex.embedded.functions.admin import TABLES
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _events(t: Transport, n: int) -> list[str]:
    out = []
    for i in range(n):
        args = FactHistoryLogEventArgs(fact_id=f"f{i}", memory_space_id="s", action="CREATE")
        out.append(history_calls.fact_history_log_event(t, args)["_id"])
    return out


def test_counts_and_listing(t: Transport) -> None:
    ids = _events(t, 3)
    sync_calls.graph_sync_queue_for_sync(
        t, GraphSyncQueueForSyncArgs(table="facts", entity_id="f0", operation="insert")
    )
    counts = calls.admin_get_all_counts(t, AdminGetAllCountsArgs())
    assert list(counts) == list(TABLES)
    assert counts["factHistory"] == 3 and counts["graphSyncQueue"] == 1 and counts["memories"] == 0
    assert calls.admin_count_table(t, AdminCountTableArgs(table="factHistory")) == {"count": 3}
    listed = calls.admin_list_table(t, AdminListTableArgs(table="factHistory", limit=2))
    assert [r["_id"] for r in listed] == ids[:2]  # oldest first
    assert len(calls.admin_list_table(t, AdminListTableArgs(table="factHistory"))) == 3


def test_clear_table_in_batches(t: Transport) -> None:
    _events(t, 3)
    first = calls.admin_clear_table(t, AdminClearTableArgs(table="factHistory", limit=2))
    assert first == {"deleted": 2, "hasMore": True}
    second = calls.admin_clear_table(t, AdminClearTableArgs(table="factHistory", limit=2))
    assert second == {"deleted": 1, "hasMore": False}
    assert calls.admin_count_table(t, AdminCountTableArgs(table="factHistory")) == {"count": 0}


def test_delete_record(t: Transport) -> None:
    ids = _events(t, 2)
    out = calls.admin_delete_record(t, AdminDeleteRecordArgs(table="factHistory", id=ids[0]))
    assert out == {"deleted": True}
    assert calls.admin_count_table(t, AdminCountTableArgs(table="factHistory")) == {"count": 1}
    with pytest.raises(FunctionError):  # already deleted
        calls.admin_delete_record(t, AdminDeleteRecordArgs(table="factHistory", id=ids[0]))


def test_bad_arguments(t: Transport) -> None:
    with pytest.raises(BackendValidationError):
        t.call("query", path_of(AdminCountTableArgs), {"table": "users"})
    with pytest.raises(BackendValidationError):
        t.call("mutation", path_of(AdminDeleteRecordArgs), {"table": "facts", "id": "nope"})
    with pytest.raises(BackendValidationError):
        t.call("mutation", path_of(AdminClearTableArgs), {"table": "facts", "limit": "all"})
