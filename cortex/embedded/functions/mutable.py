"""The ``mutable`` Convex module: a key/value store by namespace, optionally isolated per tenant."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.mutable import (
    MutableCountArgs,
    MutableDeleteKeyArgs,
    MutableExistsArgs,
    MutableGetArgs,
    MutableListArgs,
    MutablePurgeAllArgs,
    MutablePurgeManyArgs,
    MutablePurgeNamespaceArgs,
    MutableSetArgs,
    MutableTransactionArgs,
    MutableUpdateArgs,
)
from cortex.embedded import (
    UNDEFINED,
    ConvexError,
    FunctionError,
    MutationCtx,
    QueryCtx,
    handler,
    js,
)
from cortex.embedded.functions._common import delete_all, find_scoped, opt, within

TABLE = "mutable"
Doc = dict[str, Any]


def _find(ctx: QueryCtx, namespace: str, key: str, tenant_id: str | None) -> Doc | None:
    """The entry for (tenant, namespace, key); without a tenant only a global entry (no ``tenantId``) matches."""
    return find_scoped(
        ctx,
        TABLE,
        {"namespace": namespace, "key": key},
        tenant_id,
        index="by_namespace_key",
        tenant_index="by_tenant_namespace_key",
    )


def _in_namespace(ctx: QueryCtx, namespace: str, tenant_id: str | None) -> list[Doc]:
    if tenant_id:
        return (
            ctx.db.query(TABLE)
            .with_index(
                "by_tenant_namespace",
                lambda q: q.eq("tenantId", tenant_id).eq("namespace", namespace),
            )
            .collect()
        )
    return (
        ctx.db.query(TABLE)
        .with_index("by_namespace", lambda q: q.eq("namespace", namespace))
        .collect()
    )


def _narrow(
    entries: list[Doc],
    *,
    key_prefix: str | None = None,
    user_id: str | None = None,
    updated_after: float | None = None,
    updated_before: float | None = None,
) -> list[Doc]:
    if key_prefix:
        entries = [e for e in entries if e["key"].startswith(key_prefix)]
    if user_id:
        entries = [e for e in entries if e.get("userId") == user_id]
    return within(entries, "updatedAt", updated_after, updated_before)


@handler(MutableSetArgs)
def set_(ctx: MutationCtx, args: MutableSetArgs) -> Doc | None:
    """Create or overwrite a key."""
    now = ctx.now()
    existing = _find(ctx, args.namespace, args.key, args.tenant_id)
    if existing is not None:
        ctx.db.patch(
            existing["_id"],
            {
                "value": args.value,
                "userId": args.user_id
                if args.user_id is not None
                else existing.get("userId", UNDEFINED),
                "metadata": args.metadata
                if "metadata" in args.model_fields_set
                else existing.get("metadata", UNDEFINED),
                "updatedAt": now,
            },
        )
        return ctx.db.get(existing["_id"])
    doc_id = ctx.db.insert(
        TABLE,
        {
            "namespace": args.namespace,
            "key": args.key,
            "value": args.value,
            "userId": opt(args.user_id),
            "tenantId": opt(args.tenant_id),
            "metadata": args.metadata if "metadata" in args.model_fields_set else UNDEFINED,
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


@handler(MutableUpdateArgs)
def update(ctx: MutationCtx, args: MutableUpdateArgs) -> Doc | None:
    """Apply ``increment``/``decrement``/``append``/``custom`` to a key's value."""
    existing = _find(ctx, args.namespace, args.key, args.tenant_id)
    if existing is None:
        raise ConvexError("MUTABLE_KEY_NOT_FOUND")
    value = existing["value"]
    if args.operation == "increment":
        value = js.add(js.or_(existing["value"], 0), js.or_(args.operand, 1))
    elif args.operation == "decrement":
        value = js.sub(js.or_(existing["value"], 0), js.or_(args.operand, 1))
    elif args.operation == "append":
        if not isinstance(existing["value"], list):
            raise FunctionError("MUTABLE_VALUE_NOT_ARRAY")
        value = [*existing["value"], args.operand]
    elif args.operation == "custom":
        # an absent operand is JavaScript's undefined: the patch then drops the required ``value`` and fails
        value = args.operand if "operand" in args.model_fields_set else UNDEFINED
    ctx.db.patch(existing["_id"], {"value": value, "updatedAt": ctx.now()})
    return ctx.db.get(existing["_id"])


@handler(MutableDeleteKeyArgs)
def delete_key(ctx: MutationCtx, args: MutableDeleteKeyArgs) -> Doc:
    """Delete one key."""
    entry = _find(ctx, args.namespace, args.key, args.tenant_id)
    if entry is None:
        raise ConvexError("MUTABLE_KEY_NOT_FOUND")
    ctx.db.delete(entry["_id"])
    return {"deleted": True, "namespace": args.namespace, "key": args.key}


@handler(MutablePurgeNamespaceArgs)
def purge_namespace(ctx: MutationCtx, args: MutablePurgeNamespaceArgs) -> Doc:
    """Delete every key of a namespace (only the tenant's when a tenant is given); ``dryRun`` only lists them."""
    entries = _in_namespace(ctx, args.namespace, args.tenant_id)
    if args.dry_run:
        return {
            "deleted": len(entries),
            "namespace": args.namespace,
            "keys": [e["key"] for e in entries],
            "dryRun": True,
        }
    delete_all(ctx, entries)
    return {"deleted": len(entries), "namespace": args.namespace, "dryRun": False}


@handler(MutableTransactionArgs)
def transaction(ctx: MutationCtx, args: MutableTransactionArgs) -> Doc:
    """Run several operations atomically: all of them or (on the first error) none."""
    results: list[Any] = []
    for op in args.operations:
        existing = _find(ctx, op.namespace, op.key, args.tenant_id)
        value = op.value if "value" in op.model_fields_set else UNDEFINED
        if op.op == "set":
            if existing is not None:
                ctx.db.patch(existing["_id"], {"value": value, "updatedAt": ctx.now()})
                results.append(ctx.db.get(existing["_id"]))
            else:
                now = ctx.now()
                doc_id = ctx.db.insert(
                    TABLE,
                    {
                        "namespace": op.namespace,
                        "key": op.key,
                        "value": value,
                        "tenantId": opt(args.tenant_id),
                        "createdAt": now,
                        "updatedAt": now,
                    },
                )
                results.append(ctx.db.get(doc_id))
        elif op.op in ("update", "increment", "decrement"):
            if existing is None:
                raise ConvexError(f"MUTABLE_KEY_NOT_FOUND: {op.namespace}/{op.key}")
            if op.op == "increment":
                new_value = js.add(js.or_(existing["value"], 0), js.or_(op.amount, 1))
            elif op.op == "decrement":
                new_value = js.sub(js.or_(existing["value"], 0), js.or_(op.amount, 1))
            else:
                new_value = value
            ctx.db.patch(existing["_id"], {"value": new_value, "updatedAt": ctx.now()})
            results.append(ctx.db.get(existing["_id"]))
        elif op.op == "delete":
            if existing is None:
                raise ConvexError(f"MUTABLE_KEY_NOT_FOUND: {op.namespace}/{op.key}")
            ctx.db.delete(existing["_id"])
            results.append({"deleted": True, "namespace": op.namespace, "key": op.key})
    return {"success": True, "operationsExecuted": len(args.operations), "results": results}


@handler(MutablePurgeManyArgs)
def purge_many(ctx: MutationCtx, args: MutablePurgeManyArgs) -> Doc:
    """Delete the keys of a namespace that match a key prefix, a user and/or an update time bound."""
    entries = _narrow(
        _in_namespace(ctx, args.namespace, args.tenant_id),
        key_prefix=args.key_prefix,
        user_id=args.user_id,
        updated_before=args.updated_before,
    )
    delete_all(ctx, entries)
    return {
        "deleted": len(entries),
        "namespace": args.namespace,
        "keys": [e["key"] for e in entries],
    }


@handler(MutableGetArgs)
def get(ctx: QueryCtx, args: MutableGetArgs) -> Doc | None:
    """The entry for a key, or null."""
    return _find(ctx, args.namespace, args.key, args.tenant_id)


@handler(MutableExistsArgs)
def exists(ctx: QueryCtx, args: MutableExistsArgs) -> bool:
    """Whether a key exists."""
    return _find(ctx, args.namespace, args.key, args.tenant_id) is not None


@handler(MutableListArgs)
def list_(ctx: QueryCtx, args: MutableListArgs) -> list[Doc]:
    """Entries of a namespace, filtered, sorted by ``key`` or ``updatedAt``, then offset/limit (default 100)."""
    entries = _narrow(
        _in_namespace(ctx, args.namespace, args.tenant_id),
        key_prefix=args.key_prefix,
        user_id=args.user_id,
        updated_after=args.updated_after,
        updated_before=args.updated_before,
    )
    sort_by = js.or_(args.sort_by, "key")
    descending = js.or_(args.sort_order, "asc") == "desc"
    if sort_by == "key":
        entries.sort(key=lambda e: js.locale_compare_key(e["key"]), reverse=descending)
    elif sort_by == "updatedAt":
        entries.sort(key=lambda e: e["updatedAt"], reverse=descending)
    offset = int(js.or_(args.offset, 0))
    limit = int(js.or_(args.limit, 100))
    return entries[offset:][:limit]


@handler(MutableCountArgs)
def count(ctx: QueryCtx, args: MutableCountArgs) -> int:
    """How many entries of a namespace match the filters."""
    return len(
        _narrow(
            _in_namespace(ctx, args.namespace, args.tenant_id),
            key_prefix=args.key_prefix,
            user_id=args.user_id,
            updated_after=args.updated_after,
            updated_before=args.updated_before,
        )
    )


@handler(MutablePurgeAllArgs)
def purge_all(ctx: MutationCtx, args: MutablePurgeAllArgs) -> Doc:
    """Delete every entry (the tenant's only, when given); refused unless the backend allows purges
    (upstream refuses outside test/dev deployments)."""
    ctx.require_purge_allowed()
    if args.tenant_id:
        entries = (
            ctx.db.query(TABLE)
            .with_index("by_tenantId", lambda q: q.eq("tenantId", args.tenant_id))
            .collect()
        )
    else:
        entries = ctx.db.query(TABLE).collect()
    delete_all(ctx, entries)
    return {"deleted": len(entries)}
