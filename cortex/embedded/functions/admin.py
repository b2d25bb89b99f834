"""The ``admin`` Convex module: raw listing, counting and deletion of any Cortex table (for CLI tools)."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.admin import (
    AdminClearTableArgs,
    AdminCountTableArgs,
    AdminDeleteRecordArgs,
    AdminGetAllCountsArgs,
    AdminListTableArgs,
)
from cortex.embedded import MutationCtx, QueryCtx, handler
from cortex.embedded.functions._common import delete_all

# The tables the admin functions accept, in upstream's order (``getAllCounts`` reports them in this order).
TABLES = (
    "agents",
    "contexts",
    "conversations",
    "factHistory",
    "facts",
    "governanceEnforcement",
    "governancePolicies",
    "graphSyncQueue",
    "immutable",
    "memories",
    "memorySpaces",
    "mutable",
    "sessions",
)
MAX_BATCH = 1000
MAX_COUNT = 10_000
Doc = dict[str, Any]


def _batch(limit: float | None) -> int:
    return int(min(limit if limit is not None else MAX_BATCH, MAX_BATCH))


@handler(AdminListTableArgs)
def list_table(ctx: QueryCtx, args: AdminListTableArgs) -> list[Doc]:
    """The first ``limit`` (at most 1000) documents of a table, oldest first."""
    return ctx.db.query(args.table).take(_batch(args.limit))


@handler(AdminDeleteRecordArgs)
def delete_record(ctx: MutationCtx, args: AdminDeleteRecordArgs) -> Doc:
    """Delete the document with this ``_id`` (whatever table ``table`` names, as upstream)."""
    ctx.db.delete(args.id)
    return {"deleted": True}


@handler(AdminClearTableArgs)
def clear_table(ctx: MutationCtx, args: AdminClearTableArgs) -> Doc:
    """Delete up to ``limit`` (at most 1000) documents of a table; ``hasMore`` when a full batch was deleted."""
    limit = _batch(args.limit)
    records = ctx.db.query(args.table).take(limit)
    delete_all(ctx, records)
    return {"deleted": len(records), "hasMore": len(records) == limit}


def _count(ctx: QueryCtx, table: str) -> int:
    return len(ctx.db.query(table).take(MAX_COUNT))


@handler(AdminCountTableArgs)
def count_table(ctx: QueryCtx, args: AdminCountTableArgs) -> Doc:
    """How many documents a table has (counting stops at 10,000, as upstream)."""
    return {"count": _count(ctx, args.table)}


@handler(AdminGetAllCountsArgs)
def get_all_counts(ctx: QueryCtx, args: AdminGetAllCountsArgs) -> Doc:
    """``countTable`` for every table at once."""
    return {table: _count(ctx, table) for table in TABLES}
