"""The ``contexts`` Convex module: context chains (a tree of delegated tasks) with versioned status and data."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.contexts import (
    ContextsAddParticipantArgs,
    ContextsCountArgs,
    ContextsCreateArgs,
    ContextsDeleteContextArgs,
    ContextsDeleteManyArgs,
    ContextsExportContextsArgs,
    ContextsFindOrphanedArgs,
    ContextsGetArgs,
    ContextsGetAtTimestampArgs,
    ContextsGetByConversationArgs,
    ContextsGetChainArgs,
    ContextsGetChildrenArgs,
    ContextsGetHistoryArgs,
    ContextsGetRootArgs,
    ContextsGetVersionArgs,
    ContextsGrantAccessArgs,
    ContextsListArgs,
    ContextsPurgeAllArgs,
    ContextsRemoveParticipantArgs,
    ContextsSearchArgs,
    ContextsUpdateArgs,
    ContextsUpdateManyArgs,
)
from cortex.embedded import UNDEFINED, ConvexError, MutationCtx, QueryCtx, handler, js
from cortex.embedded.functions import _contexts_support as support
from cortex.embedded.functions._common import find_scoped, new_id, opt, plain, purge_table
from cortex.embedded.query import Query

TABLE = "contexts"
Doc = dict[str, Any]
NOT_FOUND = "CONTEXT_NOT_FOUND"


def _find(ctx: QueryCtx, context_id: str, tenant_id: str | None) -> Doc | None:
    """Tenant-scoped lookup; without a tenant the first match counts only when it has no tenant."""
    key = {"contextId": context_id}
    return find_scoped(
        ctx, TABLE, key, tenant_id, index="by_contextId", tenant_index="by_tenant_contextId"
    )


def _require(ctx: QueryCtx, context_id: str) -> Doc:
    found = support.by_id(ctx, context_id)
    if found is None:
        raise ConvexError(NOT_FOUND)
    return found


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(ContextsCreateArgs)
def create(ctx: MutationCtx, args: ContextsCreateArgs) -> Doc | None:
    """Create a root context, or a child of ``parentId`` (added to the parent's ``childIds``)."""
    now = ctx.now()
    context_id = new_id("ctx", now)
    parent: Doc | None = None
    if args.parent_id:
        parent = support.by_id(ctx, args.parent_id)
        if parent is None:
            raise ConvexError("PARENT_NOT_FOUND")
        root_id = js.or_(parent.get("rootId"), parent["contextId"])
        depth = parent["depth"] + 1
    else:
        root_id, depth = context_id, 0
    doc_id = ctx.db.insert(
        TABLE,
        {
            "contextId": context_id,
            "memorySpaceId": args.memory_space_id,
            "purpose": args.purpose,
            "description": opt(args.description),
            "userId": opt(args.user_id),
            "parentId": opt(args.parent_id),
            "rootId": root_id,
            "depth": depth,
            "childIds": [],
            "status": js.or_(args.status, "active"),
            "conversationRef": plain(args.conversation_ref) if args.conversation_ref else UNDEFINED,
            "participants": [args.memory_space_id],
            "grantedAccess": [],
            "data": args.data if "data" in args.model_fields_set else UNDEFINED,
            "metadata": {},
            "version": 1,
            "previousVersions": [],
            "createdAt": now,
            "updatedAt": now,
            "tenantId": args.tenant_id if args.tenant_id else UNDEFINED,
        },
    )
    if parent is not None:
        ctx.db.patch(parent["_id"], {"childIds": [*parent["childIds"], context_id]})
    return ctx.db.get(doc_id)


@handler(ContextsUpdateArgs)
def update(ctx: MutationCtx, args: ContextsUpdateArgs) -> Doc | None:
    """Merge ``data``, set status/description/completedAt, and record the previous state as a version."""
    context = _find(ctx, args.context_id, args.tenant_id)
    if context is None:
        raise ConvexError(NOT_FOUND)
    now = ctx.now()
    if args.completed_at is not None:
        completed_at = args.completed_at
    elif args.status == "completed":
        completed_at = now
    else:
        completed_at = context.get("completedAt", UNDEFINED)
    ctx.db.patch(
        context["_id"],
        {
            "status": args.status if args.status is not None else context["status"],
            "description": args.description
            if args.description is not None
            else context.get("description", UNDEFINED),
            "data": {**js.spread(context.get("data")), **js.spread(args.data)},
            "version": support.version_of(context) + 1,
            "previousVersions": [*support.previous_of(context), support.snapshot(context)],
            "updatedAt": now,
            "completedAt": completed_at,
        },
    )
    return ctx.db.get(context["_id"])


@handler(ContextsDeleteContextArgs)
def delete_context(ctx: MutationCtx, args: ContextsDeleteContextArgs) -> Doc:
    """Delete a context; its children block it unless cascaded (deleted) or orphaned (re-attached upwards)."""
    context = _find(ctx, args.context_id, args.tenant_id)
    if context is None:
        raise ConvexError(NOT_FOUND)
    child_ids: list[str] = context["childIds"]
    if child_ids and not args.cascade_children and not args.orphan_children:
        raise ConvexError("HAS_CHILDREN")
    deleted = 0
    orphaned: list[str] = []
    if args.cascade_children:
        deleted += sum(support.delete_tree(ctx, cid) for cid in child_ids)
    parent_id = context.get("parentId")
    has_parent = js.truthy(parent_id)
    if args.orphan_children and child_ids:
        for cid in child_ids:
            child = support.by_id(ctx, cid)
            if child is None:
                continue
            ctx.db.patch(
                child["_id"],
                {
                    "parentId": parent_id if has_parent else UNDEFINED,
                    "rootId": context.get("rootId", UNDEFINED)
                    if has_parent
                    else child["contextId"],
                    "depth": context["depth"] if has_parent else 0,
                    "updatedAt": ctx.now(),
                },
            )
            orphaned.append(cid)
            grandparent = support.by_id(ctx, parent_id) if has_parent else None
            if grandparent is not None:
                ctx.db.patch(
                    grandparent["_id"],
                    {"childIds": [*grandparent["childIds"], cid], "updatedAt": ctx.now()},
                )
    if has_parent:
        parent = support.by_id(ctx, parent_id)
        if parent is not None:
            ctx.db.patch(
                parent["_id"],
                {
                    "childIds": [c for c in parent["childIds"] if c != context["contextId"]],
                    "updatedAt": ctx.now(),
                },
            )
    ctx.db.delete(context["_id"])
    result: Doc = {"deleted": True, "contextId": args.context_id, "descendantsDeleted": deleted}
    if orphaned:
        result["orphanedChildren"] = orphaned
    return result


@handler(ContextsAddParticipantArgs)
def add_participant(ctx: MutationCtx, args: ContextsAddParticipantArgs) -> Doc | None:
    """Add a participant (no change when already there)."""
    context = _require(ctx, args.context_id)
    if args.participant_id in context["participants"]:
        return context
    ctx.db.patch(
        context["_id"],
        {"participants": [*context["participants"], args.participant_id], "updatedAt": ctx.now()},
    )
    return ctx.db.get(context["_id"])


@handler(ContextsRemoveParticipantArgs)
def remove_participant(ctx: MutationCtx, args: ContextsRemoveParticipantArgs) -> Doc | None:
    """Remove a participant."""
    context = _require(ctx, args.context_id)
    remaining = [p for p in context["participants"] if p != args.participant_id]
    ctx.db.patch(context["_id"], {"participants": remaining, "updatedAt": ctx.now()})
    return ctx.db.get(context["_id"])


@handler(ContextsGrantAccessArgs)
def grant_access(ctx: MutationCtx, args: ContextsGrantAccessArgs) -> Doc | None:
    """Grant (or re-grant, replacing the old grant) another memory space access to the context."""
    context = _require(ctx, args.context_id)
    grant = {
        "memorySpaceId": args.target_memory_space_id,
        "scope": args.scope,
        "grantedAt": ctx.now(),
    }
    grants = [
        g
        for g in (context.get("grantedAccess") or [])
        if g["memorySpaceId"] != args.target_memory_space_id
    ]
    ctx.db.patch(context["_id"], {"grantedAccess": [*grants, grant], "updatedAt": ctx.now()})
    return ctx.db.get(context["_id"])


def _matching(
    ctx: QueryCtx, memory_space_id: str | None, user_id: str | None, status: str | None
) -> list[Doc]:
    """Contexts of a memory space (index) or of all spaces, narrowed by user and status."""
    if memory_space_id:
        rows = (
            ctx.db.query(TABLE)
            .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", memory_space_id))
            .collect()
        )
    else:
        rows = ctx.db.query(TABLE).collect()
    if user_id:
        rows = [c for c in rows if c.get("userId") == user_id]
    if status:
        rows = [c for c in rows if c["status"] == status]
    return rows


@handler(ContextsUpdateManyArgs)
def update_many(ctx: MutationCtx, args: ContextsUpdateManyArgs) -> Doc:
    """Apply a status and/or merged data to every matching context, versioning each."""
    rows = _matching(ctx, args.memory_space_id, args.user_id, args.status)
    if args.parent_id:
        rows = [c for c in rows if c.get("parentId") == args.parent_id]
    if args.root_id:
        rows = [c for c in rows if c.get("rootId") == args.root_id]
    now = ctx.now()
    updates = args.updates
    for c in rows:
        data = c.get("data", UNDEFINED)
        if js.truthy(updates.data):
            data = {**js.spread(data), **js.spread(updates.data)}
        ctx.db.patch(
            c["_id"],
            {
                "status": updates.status if updates.status is not None else c["status"],
                "data": data,
                "version": support.version_of(c) + 1,
                "previousVersions": [*support.previous_of(c), support.snapshot(c)],
                "updatedAt": now,
            },
        )
    return {"updated": len(rows), "contextIds": [c["contextId"] for c in rows]}


@handler(ContextsDeleteManyArgs)
def delete_many(ctx: MutationCtx, args: ContextsDeleteManyArgs) -> Doc:
    """Delete matching contexts; ones with children are skipped unless ``cascadeChildren``."""
    rows = _matching(ctx, args.memory_space_id, args.user_id, args.status)
    before = args.completed_before
    if before:
        rows = [c for c in rows if js.truthy(c.get("completedAt")) and c["completedAt"] < before]
    deleted = 0
    ids: list[str] = []
    for c in rows:
        if c["childIds"] and not args.cascade_children:
            continue
        if args.cascade_children:
            deleted += support.delete_tree(ctx, c["contextId"])
        else:
            ctx.db.delete(c["_id"])
            deleted += 1
        ids.append(c["contextId"])
    return {"deleted": deleted, "contextIds": ids}


@handler(ContextsPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: ContextsPurgeAllArgs) -> Doc:
    """Delete every context; only on a backend opened with ``allow_purge``."""
    return {"deleted": len(purge_table(ctx, TABLE))}


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(ContextsGetArgs)
def get(ctx: QueryCtx, args: ContextsGetArgs) -> Doc | None:
    """A context, or its chain (``includeChain``) with the triggering conversation (``includeConversation``)."""
    context = _find(ctx, args.context_id, args.tenant_id)
    if context is None:
        return None
    if not args.include_chain:
        return context
    chain = support.chain(ctx, context)
    ref = context.get("conversationRef")
    if args.include_conversation and isinstance(ref, dict) and js.truthy(ref.get("conversationId")):
        conversation = (
            ctx.db.query("conversations")
            .with_index(
                "by_conversationId", lambda q: q.eq("conversationId", ref["conversationId"])
            )
            .first()
        )
        if conversation is not None:
            wanted = ref.get("messageIds")
            triggers = (
                [m for m in conversation["messages"] if m["id"] in wanted]
                if isinstance(wanted, list)
                else []
            )
            return {**chain, "conversation": conversation, "triggerMessages": triggers}
    return chain


def _list_scan(ctx: QueryCtx, args: ContextsListArgs) -> Query:
    tenant, space, status = args.tenant_id, args.memory_space_id, args.status
    q = ctx.db.query(TABLE)
    if tenant and space:
        return q.with_index(
            "by_tenant_space", lambda r: r.eq("tenantId", tenant).eq("memorySpaceId", space)
        )
    if tenant:
        return q.with_index("by_tenantId", lambda r: r.eq("tenantId", tenant))
    if space and status:
        return q.with_index(
            "by_memorySpace_status", lambda r: r.eq("memorySpaceId", space).eq("status", status)
        )
    if space:
        return q.with_index("by_memorySpace", lambda r: r.eq("memorySpaceId", space))
    if status:
        return q.with_index("by_status", lambda r: r.eq("status", status))
    if args.parent_id:
        parent_id = args.parent_id
        return q.with_index("by_parentId", lambda r: r.eq("parentId", parent_id))
    if args.root_id:
        root_id = args.root_id
        return q.with_index("by_rootId", lambda r: r.eq("rootId", root_id))
    return q.order("desc")


@handler(ContextsListArgs)
def list_(ctx: QueryCtx, args: ContextsListArgs) -> list[Doc]:
    """Up to ``limit`` (100) contexts from the best index, then narrowed by user, depth and status.

    Without a tenant, tenant-owned contexts are skipped inside the scan (before the limit), not after it."""
    scan = _list_scan(ctx, args)
    if not args.tenant_id:
        scan = scan.filter(lambda c: not js.truthy(c.get("tenantId")))
    rows = scan.take(int(js.or_(args.limit, 100)))
    if args.user_id:
        rows = [c for c in rows if c.get("userId") == args.user_id]
    if args.depth is not None:
        rows = [c for c in rows if c["depth"] == args.depth]
    if args.status and not args.memory_space_id:
        rows = [c for c in rows if c["status"] == args.status]
    return rows


@handler(ContextsCountArgs)
def count(ctx: QueryCtx, args: ContextsCountArgs) -> int:
    """How many contexts match memory space, status and user."""
    space, status = args.memory_space_id, args.status
    q = ctx.db.query(TABLE)
    if space and status:
        scan = q.with_index(
            "by_memorySpace_status", lambda r: r.eq("memorySpaceId", space).eq("status", status)
        )
    elif space:
        scan = q.with_index("by_memorySpace", lambda r: r.eq("memorySpaceId", space))
    elif status:
        scan = q.with_index("by_status", lambda r: r.eq("status", status))
    else:
        scan = q.full_table_scan()
    rows = scan.collect()
    if args.user_id:
        rows = [c for c in rows if c.get("userId") == args.user_id]
    return len(rows)


@handler(ContextsSearchArgs)
def search(ctx: QueryCtx, args: ContextsSearchArgs) -> list[Doc]:
    """Up to ``limit`` (100) contexts of a memory space (or the newest overall), narrowed by user and status."""
    limit = int(js.or_(args.limit, 100))
    space = args.memory_space_id
    q = ctx.db.query(TABLE)
    if space:
        rows = q.with_index("by_memorySpace", lambda r: r.eq("memorySpaceId", space)).take(limit)
    else:
        rows = q.order("desc").take(limit)
    if args.user_id:
        rows = [c for c in rows if c.get("userId") == args.user_id]
    if args.status:
        rows = [c for c in rows if c["status"] == args.status]
    return rows


@handler(ContextsGetChainArgs)
def get_chain(ctx: QueryCtx, args: ContextsGetChainArgs) -> Doc:
    """The full chain around a context."""
    return support.chain(ctx, _require(ctx, args.context_id))


@handler(ContextsGetRootArgs)
def get_root(ctx: QueryCtx, args: ContextsGetRootArgs) -> Doc | None:
    """The root context of a context's chain."""
    context = _require(ctx, args.context_id)
    return support.by_id(ctx, js.or_(context.get("rootId"), context["contextId"]))


@handler(ContextsGetChildrenArgs)
def get_children(ctx: QueryCtx, args: ContextsGetChildrenArgs) -> list[Doc]:
    """Direct children (or all descendants with ``recursive``), optionally of one status."""
    context = support.by_id(ctx, args.context_id)
    if context is None:
        return []
    if args.recursive:
        children = support.descendants(ctx, context["contextId"])
    else:
        children = support.present([support.by_id(ctx, cid) for cid in context["childIds"]])
    if args.status:
        children = [c for c in children if c["status"] == args.status]
    return children


@handler(ContextsGetByConversationArgs)
def get_by_conversation(ctx: QueryCtx, args: ContextsGetByConversationArgs) -> list[Doc]:
    """Contexts whose ``conversationRef`` names this conversation."""
    return [
        c
        for c in ctx.db.query(TABLE).collect()
        if isinstance(c.get("conversationRef"), dict)
        and c["conversationRef"].get("conversationId") == args.conversation_id
    ]


@handler(ContextsFindOrphanedArgs)
def find_orphaned(ctx: QueryCtx, args: ContextsFindOrphanedArgs) -> list[Doc]:
    """Contexts whose parent no longer exists."""
    return [
        c
        for c in ctx.db.query(TABLE).collect()
        if js.truthy(c.get("parentId")) and support.by_id(ctx, c["parentId"]) is None
    ]


@handler(ContextsGetVersionArgs)
def get_version(ctx: QueryCtx, args: ContextsGetVersionArgs) -> Doc | None:
    """One version record of a context, or null."""
    context = support.by_id(ctx, args.context_id)
    if context is None:
        return None
    if support.version_of(context) == args.version:
        return support.snapshot(context)
    return next((v for v in support.previous_of(context) if v["version"] == args.version), None)


@handler(ContextsGetHistoryArgs)
def get_history(ctx: QueryCtx, args: ContextsGetHistoryArgs) -> list[Doc]:
    """Every version record, oldest first, the current state last."""
    context = support.by_id(ctx, args.context_id)
    if context is None:
        return []
    return [*support.previous_of(context), support.snapshot(context)]


@handler(ContextsGetAtTimestampArgs)
def get_at_timestamp(ctx: QueryCtx, args: ContextsGetAtTimestampArgs) -> Doc | None:
    """The version record current at ``timestamp``, or null before the first one."""
    context = support.by_id(ctx, args.context_id)
    if context is None:
        return None
    if args.timestamp >= context["updatedAt"]:
        return support.snapshot(context)
    versions = [*support.previous_of(context), support.snapshot(context)]
    versions.sort(key=lambda v: v["timestamp"], reverse=True)
    return next((v for v in versions if args.timestamp >= v["timestamp"]), None)


_CSV_HEADERS = [
    "contextId",
    "memorySpaceId",
    "purpose",
    "status",
    "depth",
    "parentId",
    "userId",
    "createdAt",
    "updatedAt",
]


@handler(ContextsExportContextsArgs)
def export_contexts(ctx: QueryCtx, args: ContextsExportContextsArgs) -> Doc:
    """Matching contexts as a JSON document or CSV text."""
    rows = ctx.db.query(TABLE).collect()
    if args.memory_space_id:
        rows = [c for c in rows if c["memorySpaceId"] == args.memory_space_id]
    if args.user_id:
        rows = [c for c in rows if c.get("userId") == args.user_id]
    if args.status:
        rows = [c for c in rows if c["status"] == args.status]
    if args.format == "json":
        items = []
        for c in rows:
            item = {
                k: js.sorted_value(c.get(k, UNDEFINED))
                for k in (
                    "contextId",
                    "memorySpaceId",
                    "purpose",
                    "status",
                    "depth",
                    "parentId",
                    "rootId",
                    "userId",
                    "data",
                    "createdAt",
                    "updatedAt",
                )
            }
            if args.include_version_history:
                item["version"] = c.get("version", UNDEFINED)
                item["previousVersions"] = js.sorted_value(c.get("previousVersions", UNDEFINED))
            items.append(item)
        data = js.stringify(items, 2)
    else:
        lines = [",".join(_CSV_HEADERS)]
        for c in rows:
            cells = [
                c["contextId"],
                c["memorySpaceId"],
                c["purpose"],
                c["status"],
                js.number_to_string(c["depth"]),
                js.or_(c.get("parentId"), ""),
                js.or_(c.get("userId"), ""),
                js.iso_string(c["createdAt"]),
                js.iso_string(c["updatedAt"]),
            ]
            lines.append(",".join(cells))
        data = "\n".join(lines)
    return {"format": args.format, "data": data, "count": len(rows), "exportedAt": ctx.now()}
