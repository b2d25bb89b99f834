"""The ``immutable`` Convex module: versioned records by (type, id); every overwrite keeps the old version."""

from __future__ import annotations

from typing import Any

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
from cortex.embedded import (
    UNDEFINED,
    ConvexError,
    MutationCtx,
    QueryCtx,
    handler,
    js,
)
from cortex.embedded.functions._common import defined, find_scoped, opt, purge_table, within

TABLE = "immutable"
Doc = dict[str, Any]
NOT_FOUND = "IMMUTABLE_ENTRY_NOT_FOUND"


def _find(ctx: QueryCtx, type_: str, id_: str, tenant_id: str | None) -> Doc | None:
    """The entry for (tenant, type, id). Without a tenant, the first (type, id) entry counts only when it is global;
    a tenant entry that comes first hides a later global one (as upstream)."""
    key = {"type": type_, "id": id_}
    return find_scoped(
        ctx, TABLE, key, tenant_id, index="by_type_id", tenant_index="by_tenant_type_id"
    )


def _first_any_tenant(ctx: QueryCtx, type_: str, id_: str) -> Doc | None:
    return (
        ctx.db.query(TABLE)
        .with_index("by_type_id", lambda q: q.eq("type", type_).eq("id", id_))
        .first()
    )


def _current_view(entry: Doc) -> Doc:
    """The current version in the shape of a history item."""
    return defined(
        {
            "type": entry["type"],
            "id": entry["id"],
            "version": entry["version"],
            "data": entry["data"],
            "userId": entry.get("userId", UNDEFINED),
            "metadata": entry.get("metadata", UNDEFINED),
            "timestamp": entry["updatedAt"],
            "createdAt": entry["createdAt"],
        }
    )


def _previous_view(entry: Doc, previous: Doc) -> Doc:
    """A stored previous version in the shape of a history item."""
    return defined(
        {
            "type": entry["type"],
            "id": entry["id"],
            "version": previous["version"],
            "data": previous.get("data", UNDEFINED),
            "userId": entry.get("userId", UNDEFINED),
            "metadata": previous.get("metadata", UNDEFINED),
            "timestamp": previous["timestamp"],
            "createdAt": entry["createdAt"],
        }
    )


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(ImmutableStoreArgs)
def store(ctx: MutationCtx, args: ImmutableStoreArgs) -> Doc | None:
    """Create version 1, or append the current version to ``previousVersions`` and store the new one."""
    now = ctx.now()
    existing = _find(ctx, args.type, args.id, args.tenant_id)
    if existing is not None:
        snapshot = defined(
            {
                "version": existing["version"],
                "data": existing["data"],
                "timestamp": existing["updatedAt"],
                "metadata": existing.get("metadata", UNDEFINED),
            }
        )
        fields: Doc = {
            "data": args.data,
            "version": existing["version"] + 1,
            "previousVersions": [*existing["previousVersions"], snapshot],
            "metadata": js.or_(args.metadata, existing.get("metadata", UNDEFINED)),
            "updatedAt": now,
        }
        if args.tenant_id:
            fields["tenantId"] = args.tenant_id
        ctx.db.patch(existing["_id"], fields)
        return ctx.db.get(existing["_id"])
    doc_id = ctx.db.insert(
        TABLE,
        {
            "type": args.type,
            "id": args.id,
            "data": args.data,
            "userId": opt(args.user_id),
            "tenantId": opt(args.tenant_id),
            "version": 1,
            "previousVersions": [],
            "metadata": args.metadata if "metadata" in args.model_fields_set else UNDEFINED,
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


@handler(ImmutablePurgeArgs)
def purge(ctx: MutationCtx, args: ImmutablePurgeArgs) -> Doc:
    """Delete an entry with all its versions."""
    entry = _find(ctx, args.type, args.id, args.tenant_id)
    if entry is None:
        raise ConvexError(NOT_FOUND)
    ctx.db.delete(entry["_id"])
    return {"deleted": True, "type": args.type, "id": args.id, "versionsDeleted": entry["version"]}


@handler(ImmutablePurgeManyArgs)
def purge_many(ctx: MutationCtx, args: ImmutablePurgeManyArgs) -> Doc:
    """Delete every entry of a type and/or user (every entry when neither is given)."""
    entries = _by_type_or_user(ctx, args.type, args.user_id)
    if args.type:
        entries = [e for e in entries if e["type"] == args.type]
    if args.user_id:
        entries = [e for e in entries if e.get("userId") == args.user_id]
    versions = 0
    for entry in entries:
        versions = js.add(versions, entry["version"])
        ctx.db.delete(entry["_id"])
    return {
        "deleted": len(entries),
        "totalVersionsDeleted": versions,
        "entries": [{"type": e["type"], "id": e["id"]} for e in entries],
    }


@handler(ImmutablePurgeVersionsArgs)
def purge_versions(ctx: MutationCtx, args: ImmutablePurgeVersionsArgs) -> Doc:
    """Keep only the newest ``keepLatest`` versions (the current one included) of an entry."""
    entry = _first_any_tenant(ctx, args.type, args.id)
    if entry is None:
        raise ConvexError(NOT_FOUND)
    previous: list[Doc] = entry["previousVersions"]
    total = len(previous) + 1
    if total <= args.keep_latest:
        return {"versionsPurged": 0, "versionsRemaining": total}
    to_remove = total - args.keep_latest
    ctx.db.patch(entry["_id"], {"previousVersions": previous[int(to_remove) :]})
    return {"versionsPurged": to_remove, "versionsRemaining": args.keep_latest}


@handler(ImmutablePurgeAllArgs)
def purge_all(ctx: MutationCtx, args: ImmutablePurgeAllArgs) -> Doc:
    """Delete every entry; only on a backend opened with ``allow_purge``."""
    return {"deleted": len(purge_table(ctx, TABLE))}


# ---- queries ---------------------------------------------------------------------------------------------------


def _by_type_or_user(ctx: QueryCtx, type_: str | None, user_id: str | None) -> list[Doc]:
    """Entries narrowed by the best index for a type or a user (creation order, like a table scan)."""
    if type_:
        return ctx.db.query(TABLE).with_index("by_type", lambda q: q.eq("type", type_)).collect()
    if user_id:
        return (
            ctx.db.query(TABLE).with_index("by_userId", lambda q: q.eq("userId", user_id)).collect()
        )
    return ctx.db.query(TABLE).collect()


@handler(ImmutableGetArgs)
def get(ctx: QueryCtx, args: ImmutableGetArgs) -> Doc | None:
    """The entry (current version, with ``previousVersions``), or null."""
    return _find(ctx, args.type, args.id, args.tenant_id)


@handler(ImmutableGetVersionArgs)
def get_version(ctx: QueryCtx, args: ImmutableGetVersionArgs) -> Doc | None:
    """One version of an entry, or null."""
    entry = _find(ctx, args.type, args.id, args.tenant_id)
    if entry is None:
        return None
    if args.version == entry["version"]:
        return _current_view(entry)
    for previous in entry["previousVersions"]:
        if previous["version"] == args.version:
            return _previous_view(entry, previous)
    return None


@handler(ImmutableGetHistoryArgs)
def get_history(ctx: QueryCtx, args: ImmutableGetHistoryArgs) -> list[Doc]:
    """Every version of an entry, oldest first (the first entry with this type and id, whatever its tenant)."""
    entry = _first_any_tenant(ctx, args.type, args.id)
    if entry is None:
        return []
    history = [_previous_view(entry, p) for p in entry["previousVersions"]]
    history.append(_current_view(entry))
    history.sort(key=lambda h: h["version"])
    return history


@handler(ImmutableGetAtTimestampArgs)
def get_at_timestamp(ctx: QueryCtx, args: ImmutableGetAtTimestampArgs) -> Doc | None:
    """The version that was current at ``timestamp``, or null before the entry existed."""
    entry = _first_any_tenant(ctx, args.type, args.id)
    if entry is None:
        return None
    if args.timestamp >= entry["updatedAt"]:
        return _current_view(entry)
    if args.timestamp < entry["createdAt"]:
        return None
    previous: list[Doc] = entry["previousVersions"]
    for item in reversed(previous):
        if args.timestamp >= item["timestamp"]:
            return _previous_view(entry, item)
    if previous:
        return _previous_view(entry, previous[0])
    return None


def _dated(
    entries: list[Doc],
    created_after: float | None,
    created_before: float | None,
    updated_after: float | None,
    updated_before: float | None,
) -> list[Doc]:
    entries = within(entries, "createdAt", created_after, created_before)
    return within(entries, "updatedAt", updated_after, updated_before)


@handler(ImmutableListArgs)
def list_(ctx: QueryCtx, args: ImmutableListArgs) -> Doc:
    """Entries filtered by type/user/tenant/dates, sorted (``createdAt`` desc by default), offset/limit (50)."""
    tenant_id = args.tenant_id
    if tenant_id:
        entries = (
            ctx.db.query(TABLE)
            .with_index("by_tenantId", lambda q: q.eq("tenantId", tenant_id))
            .collect()
        )
        if args.type:
            entries = [e for e in entries if e["type"] == args.type]
    else:
        entries = _by_type_or_user(ctx, args.type, args.user_id)
    if args.user_id:
        entries = [e for e in entries if e.get("userId") == args.user_id]
    entries = _dated(
        entries, args.created_after, args.created_before, args.updated_after, args.updated_before
    )
    sort_key = "updatedAt" if js.or_(args.sort_by, "createdAt") == "updatedAt" else "createdAt"
    entries.sort(key=lambda e: e[sort_key], reverse=js.or_(args.sort_order, "desc") == "desc")
    total = len(entries)
    offset = js.or_(args.offset, 0)
    limit = js.or_(args.limit, 50)
    page = entries[_index(offset) :][: _index(limit)]
    return {
        "entries": page,
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + len(page) < total,
    }


def _index(value: float) -> int:
    """A JavaScript ``slice`` bound: truncated towards zero."""
    return int(value)


@handler(ImmutableSearchArgs)
def search(ctx: QueryCtx, args: ImmutableSearchArgs) -> list[Doc]:
    """Entries whose JSON data contains the query (case-insensitive), with up to 3 highlights each."""
    entries = _by_type_or_user(ctx, args.type, args.user_id)
    if args.user_id:
        entries = [e for e in entries if e.get("userId") == args.user_id]
    needle = args.query.lower()
    results: list[Doc] = []
    for entry in entries:
        data = js.sorted_value(entry["data"])
        if needle not in js.stringify(data).lower():
            continue
        highlights: list[str] = []
        if isinstance(data, (dict, list)):
            members = data.values() if isinstance(data, dict) else data
            for value in members:
                if isinstance(value, str) and needle in value.lower():
                    at = value.lower().index(needle)
                    highlights.append(
                        value[max(0, at - 30) : min(len(value), at + len(needle) + 30)]
                    )
        results.append({"entry": entry, "score": 1.0, "highlights": highlights[:3]})
    return results[: _index(js.or_(args.limit, 10))]


@handler(ImmutableCountArgs)
def count(ctx: QueryCtx, args: ImmutableCountArgs) -> int:
    """How many entries match the type/user/date filters."""
    entries = _by_type_or_user(ctx, args.type, args.user_id)
    if args.user_id:
        entries = [e for e in entries if e.get("userId") == args.user_id]
    return len(
        _dated(
            entries,
            args.created_after,
            args.created_before,
            args.updated_after,
            args.updated_before,
        )
    )
