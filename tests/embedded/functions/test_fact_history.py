"""The ``factHistory`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from cortex._generated.args.fact_history import (
    FactHistoryCountByActionArgs,
    FactHistoryDeleteByFactIdArgs,
    FactHistoryDeleteByMemorySpaceArgs,
    FactHistoryDeleteByUserIdArgs,
    FactHistoryGetActivitySummaryArgs,
    FactHistoryGetChangesByTimeRangeArgs,
    FactHistoryGetEventArgs,
    FactHistoryGetHistoryArgs,
    FactHistoryGetSupersessionChainArgs,
    FactHistoryLogEventArgs,
    FactHistoryPurgeOldEventsArgs,
)
from cortex._generated.args.facts import FactsGetHistoryArgs, FactsStoreArgs, FactsSupersedeArgs
from cortex._generated.calls_sync import fact_history as calls
from cortex._generated.calls_sync import facts as fact_calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport
FUTURE = 4.1e12


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _log(t: Transport, fact_id: str, action: str, space: str = "hs", **kw: Any) -> dict[str, Any]:
    args = FactHistoryLogEventArgs(fact_id=fact_id, memory_space_id=space, action=action, **kw)
    result: dict[str, Any] = calls.fact_history_log_event(t, args)
    return result


def _seed(t: Transport) -> list[dict[str, Any]]:
    return [
        _log(t, "fA", "CREATE", new_value="A", user_id="u1", participant_id="p1"),
        _log(t, "fA", "UPDATE", old_value="A", new_value="A2", reason="refined"),
        _log(t, "fB", "CREATE", user_id="u2"),
        _log(t, "fB", "SUPERSEDE", supersedes="fA", reason="newer"),
        _log(t, "fC", "SUPERSEDE", supersedes="fB", reason="newest"),
        _log(t, "fZ", "CREATE", space="other"),
    ]


def test_log_and_get_event(t: Transport) -> None:
    before = time.time() * 1000
    out = _log(
        t, "f1", "CREATE", confidence=80, pipeline={"slotMatching": True}, conversation_id="c1"
    )
    assert out["eventId"].startswith("fh-") and isinstance(out["_id"], str)
    event = calls.fact_history_get_event(t, FactHistoryGetEventArgs(event_id=out["eventId"]))
    assert event["_id"] == out["_id"] and event["factId"] == "f1" and event["confidence"] == 80
    assert event["pipeline"] == {"slotMatching": True} and event["conversationId"] == "c1"
    assert "oldValue" not in event and before - 1 <= event["timestamp"] <= time.time() * 1000 + 1
    assert calls.fact_history_get_event(t, FactHistoryGetEventArgs(event_id="fh-none")) is None


def test_history_time_range_and_counts(t: Transport) -> None:
    seeded = _seed(t)
    history = calls.fact_history_get_history(t, FactHistoryGetHistoryArgs(fact_id="fA"))
    assert [e["action"] for e in history] == ["UPDATE", "CREATE"]  # newest first
    assert (
        len(calls.fact_history_get_history(t, FactHistoryGetHistoryArgs(fact_id="fA", limit=1)))
        == 1
    )
    changes = calls.fact_history_get_changes_by_time_range(
        t, FactHistoryGetChangesByTimeRangeArgs(memory_space_id="hs")
    )
    assert [e["eventId"] for e in changes] == [e["eventId"] for e in reversed(seeded[:5])]
    paged = calls.fact_history_get_changes_by_time_range(
        t,
        FactHistoryGetChangesByTimeRangeArgs(
            memory_space_id="hs", action="CREATE", offset=1, limit=1
        ),
    )
    assert [e["eventId"] for e in paged] == [seeded[0]["eventId"]]
    none_after = calls.fact_history_get_changes_by_time_range(
        t, FactHistoryGetChangesByTimeRangeArgs(memory_space_id="hs", after=FUTURE)
    )
    assert none_after == []
    counts = calls.fact_history_count_by_action(
        t, FactHistoryCountByActionArgs(memory_space_id="hs")
    )
    assert counts == {"CREATE": 2, "UPDATE": 1, "SUPERSEDE": 2, "DELETE": 0, "total": 5}
    empty = calls.fact_history_count_by_action(
        t, FactHistoryCountByActionArgs(memory_space_id="hs", before=1.6e12)
    )
    assert empty["total"] == 0


def test_supersession_chain_and_cycles(t: Transport) -> None:
    _seed(t)
    chain = calls.fact_history_get_supersession_chain(
        t, FactHistoryGetSupersessionChainArgs(fact_id="fC")
    )
    assert [(c["factId"], c["supersededBy"]) for c in chain] == [
        ("fA", "fB"),
        ("fB", "fC"),
        ("fC", None),
    ]
    assert [c["reason"] for c in chain] == ["newer", "newest", "Current version"]
    _log(t, "fX", "SUPERSEDE", supersedes="fY")
    _log(t, "fY", "SUPERSEDE", supersedes="fX")
    with pytest.raises(FunctionError) as info:
        calls.fact_history_get_supersession_chain(
            t, FactHistoryGetSupersessionChainArgs(fact_id="fX")
        )
    assert "Too many index ranges read" in str(info.value)


def test_facts_history_cycle_fails_like_upstream(t: Transport) -> None:
    def store(text: str) -> str:
        fact = fact_calls.facts_store(
            t,
            FactsStoreArgs(
                memory_space_id="s",
                fact=text,
                fact_type="custom",
                confidence=50,
                source_type="manual",
                tags=[],
            ),
        )
        return str(fact["factId"])

    a, b = store("a"), store("b")
    for old, new in ((a, b), (b, a)):
        fact_calls.facts_supersede(
            t, FactsSupersedeArgs(memory_space_id="s", old_fact_id=old, new_fact_id=new)
        )
    with pytest.raises(FunctionError) as info:
        fact_calls.facts_get_history(t, FactsGetHistoryArgs(memory_space_id="s", fact_id=a))
    assert "Too many index ranges read" in str(info.value)


def test_activity_summary(t: Transport) -> None:
    _seed(t)
    summary = calls.fact_history_get_activity_summary(
        t, FactHistoryGetActivitySummaryArgs(memory_space_id="hs", hours=1)
    )
    assert summary["totalEvents"] == 5 and summary["uniqueFactsModified"] == 3
    assert summary["actionCounts"] == {"CREATE": 2, "UPDATE": 1, "SUPERSEDE": 2, "DELETE": 0}
    assert summary["activeParticipants"] == 3  # p1, u1, u2
    span = summary["timeRange"]
    since = datetime.fromisoformat(span["since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(span["until"].replace("Z", "+00:00"))
    assert span["hours"] == 1 and abs((until - since).total_seconds() - 3600) < 2
    time.sleep(0.01)  # the events are now strictly older than the zero-hour window's start
    nothing = calls.fact_history_get_activity_summary(
        t, FactHistoryGetActivitySummaryArgs(memory_space_id="hs", hours=0)
    )
    assert nothing["totalEvents"] == 0


def test_deletes_and_retention(t: Transport) -> None:
    _seed(t)
    assert calls.fact_history_delete_by_fact_id(t, FactHistoryDeleteByFactIdArgs(fact_id="fA")) == {
        "deleted": 2
    }
    assert calls.fact_history_delete_by_user_id(t, FactHistoryDeleteByUserIdArgs(user_id="u2")) == {
        "deleted": 1
    }
    old = calls.fact_history_purge_old_events(t, FactHistoryPurgeOldEventsArgs(older_than=1.6e12))
    assert old == {"deleted": 0, "remaining": 0}
    some = calls.fact_history_purge_old_events(
        t, FactHistoryPurgeOldEventsArgs(memory_space_id="hs", older_than=FUTURE, limit=1)
    )
    assert some == {"deleted": 1, "remaining": 1}
    none = calls.fact_history_purge_old_events(
        t, FactHistoryPurgeOldEventsArgs(older_than=FUTURE, limit=0)
    )
    assert none == {"deleted": 0, "remaining": 2}
    assert calls.fact_history_delete_by_memory_space(
        t, FactHistoryDeleteByMemorySpaceArgs(memory_space_id="other")
    ) == {"deleted": 1}


def test_bad_arguments_write_nothing(t: Transport) -> None:
    with pytest.raises(BackendValidationError):
        t.call(
            "mutation",
            path_of(FactHistoryLogEventArgs),
            {"factId": "f", "memorySpaceId": "hs", "action": "MERGE"},
        )
    with pytest.raises(BackendValidationError) as info:
        t.call(
            "mutation",
            path_of(FactHistoryLogEventArgs),
            {"factId": "f", "memorySpaceId": "hs", "action": "CREATE", "pipeline": {"llm": True}},
        )
    assert info.value.field == "pipeline.llm"
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", path_of(FactHistoryPurgeOldEventsArgs), {})
    assert info.value.field == "olderThan"
    counts = calls.fact_history_count_by_action(
        t, FactHistoryCountByActionArgs(memory_space_id="hs")
    )
    assert counts["total"] == 0
