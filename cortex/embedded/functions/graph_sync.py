"""The ``graphSync`` Convex module: the queue of entities waiting to be written to a graph database.

An item is unsynced until ``markSynced`` (or three ``markFailed``); queueing an entity that already has an unsynced
item updates that item instead of adding another.
"""

from __future__ import annotations

from typing import Any

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
from cortex.embedded import UNDEFINED, FunctionError, MutationCtx, QueryCtx, field, handler, js
from cortex.embedded.functions._common import delete_all, purge_table

TABLE = "graphSyncQueue"
MAX_ATTEMPTS = 3
DAY_MS = 24 * 60 * 60 * 1000
Doc = dict[str, Any]


def _failed(item: Doc) -> bool:
    return js.truthy(item.get("failedAttempts", UNDEFINED)) and item["failedAttempts"] > 0


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(GraphSyncQueueForSyncArgs)
def queue_for_sync(ctx: MutationCtx, args: GraphSyncQueueForSyncArgs) -> str:
    """Queue an entity (or refresh its pending item); returns the queue item's ``_id``."""
    a = args.to_wire()
    now = ctx.now()
    priority = js.or_(a.get("priority", UNDEFINED), "normal")
    table, entity_id = a["table"], a["entityId"]
    pending = (
        ctx.db.query(TABLE)
        .with_index("by_table_entity", lambda q: q.eq("table", table).eq("entityId", entity_id))
        .filter(field("synced") == False)  # noqa: E712 (a filter expression, not a comparison)
        .first()
    )
    if pending is not None:
        ctx.db.patch(
            pending["_id"],
            {
                "operation": a["operation"],
                "entity": a.get("entity", UNDEFINED),
                "priority": priority,
                "createdAt": now,
            },
        )
        return str(pending["_id"])
    return ctx.db.insert(
        TABLE,
        {
            "table": table,
            "entityId": entity_id,
            "operation": a["operation"],
            "entity": a.get("entity", UNDEFINED),
            "synced": False,
            "failedAttempts": 0.0,
            "priority": priority,
            "createdAt": now,
        },
    )


@handler(GraphSyncMarkSyncedArgs)
def mark_synced(ctx: MutationCtx, args: GraphSyncMarkSyncedArgs) -> None:
    """Mark an item synced now and clear its last error."""
    ctx.db.patch(args.id, {"synced": True, "syncedAt": ctx.now(), "lastError": UNDEFINED})


@handler(GraphSyncMarkFailedArgs)
def mark_failed(ctx: MutationCtx, args: GraphSyncMarkFailedArgs) -> None:
    """Count a failed attempt; after the third the item is given up (marked synced)."""
    item = ctx.db.get(args.id)
    if item is None:
        raise FunctionError("SYNC_ITEM_NOT_FOUND")
    attempts = js.add(js.or_(item.get("failedAttempts", UNDEFINED), 0), 1)
    given_up = attempts >= MAX_ATTEMPTS
    ctx.db.patch(
        args.id,
        {
            "failedAttempts": attempts,
            "lastError": args.error,
            "synced": given_up,
            "syncedAt": ctx.now() if given_up else UNDEFINED,
        },
    )


@handler(GraphSyncDeleteSyncItemArgs)
def delete_sync_item(ctx: MutationCtx, args: GraphSyncDeleteSyncItemArgs) -> None:
    """Delete one queue item (an error if it does not exist)."""
    ctx.db.delete(args.id)


@handler(GraphSyncClearSyncedItemsArgs)
def clear_synced_items(ctx: MutationCtx, args: GraphSyncClearSyncedItemsArgs) -> Doc:
    """Delete synced items whose ``syncedAt`` is older than ``olderThanMs`` (default, and for 0: 24 h)."""
    age = js.or_(args.older_than_ms, DAY_MS)
    cutoff = ctx.now() - age
    items = (
        ctx.db.query(TABLE)
        .filter((field("synced") == True) & (field("syncedAt") < cutoff))  # noqa: E712
        .collect()
    )
    delete_all(ctx, items)
    return {"deleted": len(items)}


@handler(GraphSyncPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: GraphSyncPurgeAllArgs) -> Doc:
    """Delete every queue item; only when the backend allows purges."""
    return {"deleted": len(purge_table(ctx, TABLE))}


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(GraphSyncGetUnsyncedItemsArgs)
def get_unsynced_items(ctx: QueryCtx, args: GraphSyncGetUnsyncedItemsArgs) -> list[Doc]:
    """Up to ``limit`` unsynced items, newest first."""
    return (
        ctx.db.query(TABLE)
        .with_index("by_synced", lambda q: q.eq("synced", False))
        .order("desc")
        .take(int(args.limit))
    )


@handler(GraphSyncGetHighPriorityItemsArgs)
def get_high_priority_items(ctx: QueryCtx, args: GraphSyncGetHighPriorityItemsArgs) -> list[Doc]:
    """Up to ``limit`` unsynced high-priority items, newest first."""
    return (
        ctx.db.query(TABLE)
        .with_index("by_priority", lambda q: q.eq("priority", "high").eq("synced", False))
        .order("desc")
        .take(int(args.limit))
    )


@handler(GraphSyncGetSyncStatsArgs)
def get_sync_stats(ctx: QueryCtx, args: GraphSyncGetSyncStatsArgs) -> Doc:
    """Queue totals, average sync time, lag of the oldest unsynced item and counts per table."""
    items = ctx.db.query(TABLE).collect()
    unsynced = [i for i in items if not i["synced"]]
    timed = [
        i
        for i in items
        if js.truthy(i.get("syncedAt", UNDEFINED)) and js.truthy(i.get("createdAt", UNDEFINED))
    ]
    average = sum(i["syncedAt"] - i["createdAt"] for i in timed) / len(timed) if timed else 0.0
    oldest: Doc | None = None
    for item in unsynced:
        if oldest is None or item["createdAt"] < oldest["createdAt"]:
            oldest = item
    by_table: Doc = {}
    for item in items:
        by_table[item["table"]] = by_table.get(item["table"], 0) + 1
    return {
        "total": len(items),
        "unsynced": len(unsynced),
        "synced": len(items) - len(unsynced),
        "failed": sum(1 for i in items if _failed(i)),
        "avgSyncTimeMs": js.round_(average),
        "syncLagMs": ctx.now() - oldest["createdAt"] if oldest is not None else 0,
        "byTable": by_table,
    }


@handler(GraphSyncGetFailedItemsArgs)
def get_failed_items(ctx: QueryCtx, args: GraphSyncGetFailedItemsArgs) -> list[Doc]:
    """Up to ``limit`` items with failed attempts, newest first."""
    failed = [i for i in ctx.db.query(TABLE).collect() if _failed(i)]
    failed.sort(key=lambda i: i["createdAt"], reverse=True)
    return failed[: int(args.limit)]
