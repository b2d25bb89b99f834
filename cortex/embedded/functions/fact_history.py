"""The ``factHistory`` Convex module: the audit trail of belief revision (CREATE/UPDATE/SUPERSEDE/DELETE events)."""

from __future__ import annotations

from typing import Any

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
from cortex.embedded import UNDEFINED, FunctionError, MutationCtx, QueryCtx, handler, js
from cortex.embedded.functions._common import delete_all, new_id, page, within
from cortex.embedded.query import Query

TABLE = "factHistory"
ACTIONS = ("CREATE", "UPDATE", "SUPERSEDE", "DELETE")
HOUR_MS = 60 * 60 * 1000
Doc = dict[str, Any]
_EVENT_FIELDS = (
    "factId",
    "memorySpaceId",
    "action",
    "oldValue",
    "newValue",
    "supersededBy",
    "supersedes",
    "reason",
    "confidence",
    "pipeline",
    "userId",
    "participantId",
    "conversationId",
)


def supersession_cycle(fact_id: str) -> FunctionError:
    """The error upstream's chain walks end with on a cycle (Convex's read limit), raised as soon as it is seen."""
    return FunctionError(
        "Too many index ranges read in a single function execution (limit: 4096). This is a Convex limit: "
        f"https://docs.convex.dev/production/state/limits (supersession links of {fact_id} form a cycle)"
    )


def _by(ctx: QueryCtx, index: str, name: str, value: Any) -> Query:
    return ctx.db.query(TABLE).with_index(index, lambda q: q.eq(name, value))


def _delete_all(ctx: MutationCtx, events: list[Doc]) -> Doc:
    delete_all(ctx, events)
    return {"deleted": len(events)}


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(FactHistoryLogEventArgs)
def log_event(ctx: MutationCtx, args: FactHistoryLogEventArgs) -> Doc:
    """Record one event; returns ``{eventId, _id}``."""
    a = args.to_wire()
    now = ctx.now()
    event_id = new_id("fh", now)
    doc: Doc = {"eventId": event_id}
    for name in _EVENT_FIELDS:
        doc[name] = a.get(name, UNDEFINED)
    doc["timestamp"] = now
    return {"eventId": event_id, "_id": ctx.db.insert(TABLE, doc)}


@handler(FactHistoryDeleteByFactIdArgs)
def delete_by_fact_id(ctx: MutationCtx, args: FactHistoryDeleteByFactIdArgs) -> Doc:
    """Delete every event of a fact."""
    return _delete_all(ctx, _by(ctx, "by_factId", "factId", args.fact_id).collect())


@handler(FactHistoryDeleteByUserIdArgs)
def delete_by_user_id(ctx: MutationCtx, args: FactHistoryDeleteByUserIdArgs) -> Doc:
    """Delete every event of a user (GDPR cascade)."""
    return _delete_all(ctx, _by(ctx, "by_userId", "userId", args.user_id).collect())


@handler(FactHistoryDeleteByMemorySpaceArgs)
def delete_by_memory_space(ctx: MutationCtx, args: FactHistoryDeleteByMemorySpaceArgs) -> Doc:
    """Delete every event of a memory space."""
    events = _by(ctx, "by_memorySpace", "memorySpaceId", args.memory_space_id).collect()
    return _delete_all(ctx, events)


@handler(FactHistoryPurgeOldEventsArgs)
def purge_old_events(ctx: MutationCtx, args: FactHistoryPurgeOldEventsArgs) -> Doc:
    """Retention: delete up to ``limit`` (default 1000) events older than ``olderThan``, oldest first."""
    older_than = args.older_than
    if args.memory_space_id:
        space = args.memory_space_id
        events = (
            ctx.db.query(TABLE)
            .with_index(
                "by_memorySpace_timestamp",
                lambda q: q.eq("memorySpaceId", space).lt("timestamp", older_than),
            )
            .collect()
        )
    else:
        events = (
            ctx.db.query(TABLE)
            .with_index("by_timestamp", lambda q: q.lt("timestamp", older_than))
            .collect()
        )
    limit = int(args.limit if args.limit is not None else 1000)
    doomed = events[:limit]
    delete_all(ctx, doomed)
    return {"deleted": len(doomed), "remaining": len(events) - len(doomed)}


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(FactHistoryGetHistoryArgs)
def get_history(ctx: QueryCtx, args: FactHistoryGetHistoryArgs) -> list[Doc]:
    """A fact's events, most recent first (``limit`` default 100)."""
    events = _by(ctx, "by_factId", "factId", args.fact_id).order("desc").collect()
    limit = int(args.limit if args.limit is not None else 100)
    return events[:limit]


@handler(FactHistoryGetEventArgs)
def get_event(ctx: QueryCtx, args: FactHistoryGetEventArgs) -> Doc | None:
    """One event by ``eventId``, or null."""
    return _by(ctx, "by_eventId", "eventId", args.event_id).first()


@handler(FactHistoryGetChangesByTimeRangeArgs)
def get_changes_by_time_range(
    ctx: QueryCtx, args: FactHistoryGetChangesByTimeRangeArgs
) -> list[Doc]:
    """A space's events (newest first) within ``after``/``before`` (inclusive), of one action, offset/limit."""
    events = (
        _by(ctx, "by_memorySpace", "memorySpaceId", args.memory_space_id).order("desc").collect()
    )
    events = within(events, "timestamp", args.after, args.before, inclusive=True)
    if args.action is not None:
        events = [e for e in events if e["action"] == args.action]
    offset = args.offset if args.offset is not None else 0
    limit = args.limit if args.limit is not None else 100
    return page(events, offset, limit)


@handler(FactHistoryCountByActionArgs)
def count_by_action(ctx: QueryCtx, args: FactHistoryCountByActionArgs) -> Doc:
    """Event counts per action (and ``total``) for a space within ``after``/``before``."""
    events = _by(ctx, "by_memorySpace", "memorySpaceId", args.memory_space_id).collect()
    events = within(events, "timestamp", args.after, args.before, inclusive=True)
    counts: Doc = dict.fromkeys(ACTIONS, 0)
    counts["total"] = len(events)
    for event in events:
        counts[event["action"]] += 1
    return counts


@handler(FactHistoryGetSupersessionChainArgs)
def get_supersession_chain(ctx: QueryCtx, args: FactHistoryGetSupersessionChainArgs) -> list[Doc]:
    """The facts that led to ``factId`` (oldest first) from SUPERSEDE events, ending with the fact itself."""
    chain: list[Doc] = []
    current = args.fact_id
    seen = {current}
    while current:
        event = (
            _by(ctx, "by_factId", "factId", current)
            .filter(lambda e: e.get("action") == "SUPERSEDE")
            .first()
        )
        if event is None or not event.get("supersedes"):
            break
        link: Doc = {
            "factId": event["supersedes"],
            "supersededBy": current,
            "timestamp": event["timestamp"],
        }
        if "reason" in event:
            link["reason"] = event["reason"]
        chain.insert(0, link)
        current = event["supersedes"]
        if current in seen:
            raise supersession_cycle(args.fact_id)
        seen.add(current)
    chain.append(
        {
            "factId": args.fact_id,
            "supersededBy": None,
            "timestamp": ctx.now(),
            "reason": "Current version",
        }
    )
    return chain


@handler(FactHistoryGetActivitySummaryArgs)
def get_activity_summary(ctx: QueryCtx, args: FactHistoryGetActivitySummaryArgs) -> Doc:
    """Counts of a space's events in the last ``hours`` (default 24): per action, facts touched, participants."""
    hours = args.hours if args.hours is not None else 24.0
    now = ctx.now()
    since = now - hours * HOUR_MS
    space = args.memory_space_id
    events = (
        ctx.db.query(TABLE)
        .with_index(
            "by_memorySpace_timestamp",
            lambda q: q.eq("memorySpaceId", space).gte("timestamp", since),
        )
        .collect()
    )
    counts: Doc = dict.fromkeys(ACTIONS, 0)
    facts: set[str] = set()
    participants: set[str] = set()
    for event in events:
        counts[event["action"]] += 1
        facts.add(event["factId"])
        for who in ("participantId", "userId"):
            if event.get(who):
                participants.add(event[who])
    return {
        "timeRange": {
            "hours": hours,
            "since": js.iso_string(since),
            "until": js.iso_string(ctx.now()),
        },
        "totalEvents": len(events),
        "actionCounts": counts,
        "uniqueFactsModified": len(facts),
        "activeParticipants": len(participants),
    }
