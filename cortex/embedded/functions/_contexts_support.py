"""Helpers of the ``contexts`` handlers: lookups by ``contextId``, chain walks, tree deletes, version records."""

from __future__ import annotations

from typing import Any

from cortex.embedded import UNDEFINED, MutationCtx, QueryCtx, js
from cortex.embedded.functions._common import defined

TABLE = "contexts"
Doc = dict[str, Any]


def by_id(ctx: QueryCtx, context_id: Any) -> Doc | None:
    """The first context with this ``contextId``, whatever its tenant."""
    return (
        ctx.db.query(TABLE)
        .with_index("by_contextId", lambda q: q.eq("contextId", context_id))
        .first()
    )


def present(docs: list[Doc | None]) -> list[Doc]:
    return [d for d in docs if d is not None]


def descendants(ctx: QueryCtx, context_id: str) -> list[Doc]:
    """Direct children first, then each child's descendants in turn."""
    context = by_id(ctx, context_id)
    if context is None:
        return []
    children = present([by_id(ctx, cid) for cid in context["childIds"]])
    out = list(children)
    for child in children:
        out += descendants(ctx, child["contextId"])
    return out


def delete_tree(ctx: MutationCtx, context_id: str) -> int:
    """Delete a context and its descendants (children first); returns how many were deleted."""
    context = by_id(ctx, context_id)
    if context is None:
        return 0
    deleted = sum(delete_tree(ctx, cid) for cid in context["childIds"])
    ctx.db.delete(context["_id"])
    return deleted + 1


def chain(ctx: QueryCtx, context: Doc) -> Doc:
    """The context with its root, parent, children, siblings, ancestors and descendants."""
    root = by_id(ctx, context["rootId"]) if js.truthy(context.get("rootId")) else context
    parent = by_id(ctx, context["parentId"]) if js.truthy(context.get("parentId")) else None
    children = present([by_id(ctx, cid) for cid in context["childIds"]])
    siblings: list[Doc] = []
    if parent is not None:
        siblings = present(
            [by_id(ctx, cid) for cid in parent["childIds"] if cid != context["contextId"]]
        )
    ancestors: list[Doc] = []
    seen: set[str] = set()
    node = parent
    while node is not None and node["_id"] not in seen:
        seen.add(node["_id"])
        ancestors.insert(0, node)
        node = by_id(ctx, node["parentId"]) if js.truthy(node.get("parentId")) else None
    below = descendants(ctx, context["contextId"])
    return {
        "current": context,
        "parent": parent,
        "root": root,
        "children": children,
        "siblings": siblings,
        "ancestors": ancestors,
        "descendants": below,
        "depth": context["depth"],
        "totalNodes": 1 + len(ancestors) + len(children) + len(siblings) + len(below),
    }


def version_of(context: Doc) -> Any:
    version = context.get("version")
    return 1 if version is None or version is UNDEFINED else version


def previous_of(context: Doc) -> list[Doc]:
    previous = context.get("previousVersions")
    return [] if previous is None or previous is UNDEFINED else list(previous)


def snapshot(context: Doc) -> Doc:
    """The context's current status and data as a version record."""
    return defined(
        {
            "version": version_of(context),
            "status": context["status"],
            "data": context.get("data", UNDEFINED),
            "timestamp": context["updatedAt"],
            "updatedBy": context["memorySpaceId"],
        }
    )
