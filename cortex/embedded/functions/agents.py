"""The ``agents`` Convex module: an optional registry of agent metadata (discovery and analytics).

Registration is never required for an agent to store data; cascades over an agent's data are orchestrated by the
SDK, so ``unregister`` only removes the registration.
"""

from __future__ import annotations

from typing import Any

from cortex._generated.args.agents import (
    AgentsComputeStatsArgs,
    AgentsCountArgs,
    AgentsExistsArgs,
    AgentsGetArgs,
    AgentsListArgs,
    AgentsPurgeAllArgs,
    AgentsRegisterArgs,
    AgentsUnregisterArgs,
    AgentsUnregisterManyArgs,
    AgentsUpdateArgs,
    AgentsUpdateManyArgs,
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
from cortex.embedded.functions._common import opt, page, purge_table

TABLE = "agents"
SAMPLE_LIMIT = 1000
DEFAULT_LIMIT = 100
Doc = dict[str, Any]


def _find(ctx: QueryCtx, agent_id: str) -> Doc | None:
    return ctx.db.query(TABLE).with_index("by_agentId", lambda q: q.eq("agentId", agent_id)).first()


def _changes(args: AgentsUpdateArgs | AgentsUpdateManyArgs, now: float) -> Doc:
    """The fields a caller provided (``metadata``/``config`` may legitimately be ``null``), plus ``updatedAt``."""
    changes: Doc = {"updatedAt": now}
    if args.name is not None:
        changes["name"] = args.name
    if args.description is not None:
        changes["description"] = args.description
    if "metadata" in args.model_fields_set:
        changes["metadata"] = args.metadata
    if "config" in args.model_fields_set:
        changes["config"] = args.config
    return changes


@handler(AgentsGetArgs)
def get(ctx: QueryCtx, args: AgentsGetArgs) -> Doc | None:
    """The registration of an agent, or null."""
    return _find(ctx, args.agent_id)


@handler(AgentsListArgs)
def list_(ctx: QueryCtx, args: AgentsListArgs) -> list[Doc]:
    """Registrations, newest first (by status when given); ``offset``/``limit`` (default 100)."""
    status = args.status
    if status:
        query = ctx.db.query(TABLE).with_index("by_status", lambda q: q.eq("status", status))
    else:
        query = ctx.db.query(TABLE).with_index("by_registered")
    query = query.order("desc")
    if js.truthy(args.offset):
        limit = js.or_(args.limit, DEFAULT_LIMIT)
        return page(query.collect(), args.offset, limit)
    if js.truthy(args.limit):
        return query.take(int(args.limit or 0))
    return query.take(DEFAULT_LIMIT)


@handler(AgentsCountArgs)
def count(ctx: QueryCtx, args: AgentsCountArgs) -> int:
    """How many agents are registered (with this status)."""
    status = args.status
    if status:
        return len(
            ctx.db.query(TABLE).with_index("by_status", lambda q: q.eq("status", status)).collect()
        )
    return len(ctx.db.query(TABLE).collect())


@handler(AgentsExistsArgs)
def exists(ctx: QueryCtx, args: AgentsExistsArgs) -> bool:
    """Whether an agent is registered."""
    return _find(ctx, args.agent_id) is not None


@handler(AgentsComputeStatsArgs)
def compute_stats(ctx: QueryCtx, args: AgentsComputeStatsArgs) -> Doc:
    """Counts of the agent's memories and facts (by ``participantId``) and of conversations in the memory space
    named like the agent, each sampled up to 1000 (``isApproximate`` when a sample is full)."""
    agent_id = args.agent_id
    memories = (
        ctx.db.query("memories")
        .with_index("by_participantId", lambda q: q.eq("participantId", agent_id))
        .take(SAMPLE_LIMIT)
    )
    conversations = (
        ctx.db.query("conversations")
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", agent_id))
        .take(SAMPLE_LIMIT)
    )
    facts = (
        ctx.db.query("facts")
        .with_index("by_participantId", lambda q: q.eq("participantId", agent_id))
        .take(SAMPLE_LIMIT)
    )
    spaces = {m["memorySpaceId"] for m in memories}
    stamps = [
        d["updatedAt"]
        for d in (*memories, *conversations, *facts)
        if d.get("updatedAt", UNDEFINED) is not UNDEFINED
    ]
    stats: Doc = {
        "totalMemories": len(memories),
        "totalConversations": len(conversations),
        "totalFacts": len(facts),
        "memorySpacesActive": len(spaces),
    }
    if stamps:
        stats["lastActive"] = max(stamps)
    stats["isApproximate"] = any(
        len(sample) >= SAMPLE_LIMIT for sample in (memories, conversations, facts)
    )
    return stats


@handler(AgentsRegisterArgs)
def register(ctx: MutationCtx, args: AgentsRegisterArgs) -> Doc | None:
    """Register an agent (``status: "active"``); ``AGENT_ALREADY_REGISTERED`` if it is."""
    if _find(ctx, args.agent_id) is not None:
        raise ConvexError("AGENT_ALREADY_REGISTERED")
    now = ctx.now()
    doc_id = ctx.db.insert(
        TABLE,
        {
            "agentId": args.agent_id,
            "name": args.name,
            "description": opt(args.description),
            "metadata": js.or_(args.metadata, {}),
            "config": js.or_(args.config, {}),
            "status": "active",
            "registeredAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


@handler(AgentsUpdateArgs)
def update(ctx: MutationCtx, args: AgentsUpdateArgs) -> Doc | None:
    """Change the provided fields of a registration; ``AGENT_NOT_REGISTERED`` if there is none."""
    agent = _find(ctx, args.agent_id)
    if agent is None:
        raise ConvexError("AGENT_NOT_REGISTERED")
    changes = _changes(args, ctx.now())
    if args.status is not None:
        changes["status"] = args.status
    ctx.db.patch(agent["_id"], changes)
    return ctx.db.get(agent["_id"])


@handler(AgentsUpdateManyArgs)
def update_many(ctx: MutationCtx, args: AgentsUpdateManyArgs) -> Doc:
    """Apply the same changes to each registered agent of ``agentIds`` (unknown ids are skipped)."""
    if not args.agent_ids:
        return {"updated": 0, "agentIds": []}
    changes = _changes(args, ctx.now())
    updated: list[str] = []
    for agent_id in args.agent_ids:
        agent = _find(ctx, agent_id)
        if agent is not None:
            ctx.db.patch(agent["_id"], changes)
            updated.append(agent_id)
    return {"updated": len(updated), "agentIds": updated}


@handler(AgentsUnregisterArgs)
def unregister(ctx: MutationCtx, args: AgentsUnregisterArgs) -> Doc:
    """Remove a registration (not the agent's data); ``AGENT_NOT_REGISTERED`` if there is none."""
    agent = _find(ctx, args.agent_id)
    if agent is None:
        raise ConvexError("AGENT_NOT_REGISTERED")
    ctx.db.delete(agent["_id"])
    return {"deleted": True, "agentId": args.agent_id}


@handler(AgentsUnregisterManyArgs)
def unregister_many(ctx: MutationCtx, args: AgentsUnregisterManyArgs) -> Doc:
    """Remove the registrations named by ``agentIds`` (preferred) or having ``status``; each one once."""
    if args.agent_ids:
        found = [_find(ctx, agent_id) for agent_id in args.agent_ids]
        agents = [a for a in found if a is not None]
    elif args.status:
        status = args.status
        agents = (
            ctx.db.query(TABLE).with_index("by_status", lambda q: q.eq("status", status)).collect()
        )
    else:
        raise FunctionError("INVALID_FILTERS: Must provide agentIds or status filter")
    deleted: list[str] = []
    seen: set[str] = set()
    for agent in agents:
        # a repeated id resolves to a document already deleted: upstream's delete fails and is skipped
        if agent["_id"] in seen:
            continue
        seen.add(agent["_id"])
        ctx.db.delete(agent["_id"])
        deleted.append(agent["agentId"])
    return {"deleted": len(deleted), "agentIds": deleted}


@handler(AgentsPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: AgentsPurgeAllArgs) -> Doc:
    """Delete every registration; refused unless the backend allows purges."""
    return {"deleted": len(purge_table(ctx, TABLE))}
