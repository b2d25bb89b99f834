"""Sync of Cortex entities into the graph, in upstream TS's model (labels, keys, relationship types, properties).

An entity becomes a ``GraphBatch``: node rows by label and edge rows by (type, source, target); ``write_batch``
writes a batch with one ``UNWIND`` statement per group, nodes before edges, every write a ``MERGE`` on the unique
keys (so syncing the same entity twice changes nothing). Entities are the wire (camelCase) dicts the backend
returns. Deletes remove the node and then the neighbours the orphan rules (``cortex.graph.model``) say are left
with no referrer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cortex.graph.adapters.cypher import CypherGraphAdapter
from cortex.graph.model import NODE_KEYS, ORPHAN_KEEP_IF, predicate_type

Entity = Mapping[str, Any]
EdgeKey = tuple[str, str, str]  # (relationship type, source label, target label)
CONTENT_CHARS = 200


@dataclass
class GraphBatch:
    """Node rows by label and edge rows by (type, source label, target label), merged on the labels' keys."""

    nodes: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    edges: dict[EdgeKey, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def node(self, label: str, props: Mapping[str, Any]) -> Any:
        key = props[NODE_KEYS[label]]
        row = self.nodes[label].setdefault(key, {})
        row.update(props)
        return key

    def edge(
        self, rel: str, src: tuple[str, Any], dst: tuple[str, Any], props: Mapping[str, Any]
    ) -> None:
        self.edges[(rel, src[0], dst[0])].append(
            {"from": src[1], "to": dst[1], "props": dict(props)}
        )

    def node_count(self) -> int:
        return sum(len(rows) for rows in self.nodes.values())


async def write_batch(adapter: CypherGraphAdapter, batch: GraphBatch) -> dict[str, int]:
    """Write the batch; returns ``{"nodes": rows merged, "edges": edges merged}``."""
    nodes = edges = 0
    for label, by_key in batch.nodes.items():
        nodes += await adapter.merge_nodes(label, NODE_KEYS[label], list(by_key.values()))
    for (rel, src, dst), rows in batch.edges.items():
        edges += await adapter.merge_edges(rel, (src, NODE_KEYS[src]), (dst, NODE_KEYS[dst]), rows)
    return {"nodes": nodes, "edges": edges}


def _opt(entity: Entity, key: str) -> Any:
    return entity.get(key)


def _actor(batch: GraphBatch, label: str, value: Any, tenant: Any) -> tuple[str, Any]:
    """A User/Agent/Participant node (created if missing; its own sync fills the rest)."""
    batch.node(label, {NODE_KEYS[label]: value, "tenantId": tenant})
    return (label, value)


def add_memory_space(batch: GraphBatch, space: Entity) -> None:
    batch.node(
        "MemorySpace",
        {
            "memorySpaceId": space["memorySpaceId"],
            "tenantId": _opt(space, "tenantId"),
            "name": _opt(space, "name"),
            "type": _opt(space, "type"),
            "status": _opt(space, "status"),
            "participantCount": len(space.get("participants") or []),
            "createdAt": _opt(space, "createdAt"),
            "updatedAt": _opt(space, "updatedAt"),
        },
    )


def _space(batch: GraphBatch, entity: Entity) -> tuple[str, Any]:
    """The entity's MemorySpace node (merged by key, so an unsynced space appears with its id only)."""
    space = entity["memorySpaceId"]
    batch.node("MemorySpace", {"memorySpaceId": space})
    return ("MemorySpace", space)


def add_conversation(batch: GraphBatch, conv: Entity) -> None:
    parts = conv.get("participants") or {}
    tenant = _opt(conv, "tenantId")
    me = (
        "Conversation",
        batch.node(
            "Conversation",
            {
                "conversationId": conv["conversationId"],
                "memorySpaceId": conv["memorySpaceId"],
                "tenantId": tenant,
                "participantId": _opt(conv, "participantId"),
                "type": _opt(conv, "type"),
                "userId": parts.get("userId"),
                "agentId": parts.get("agentId"),
                "messageCount": _opt(conv, "messageCount"),
                "createdAt": _opt(conv, "createdAt"),
                "updatedAt": _opt(conv, "updatedAt"),
            },
        ),
    )
    at = {"createdAt": _opt(conv, "createdAt")}
    batch.edge("IN_SPACE", me, _space(batch, conv), at)
    if parts.get("userId"):
        batch.edge("INVOLVES", me, _actor(batch, "User", parts["userId"], tenant), at)
    if parts.get("agentId"):
        batch.edge("INVOLVES", me, _actor(batch, "Agent", parts["agentId"], tenant), at)
    if conv.get("participantId"):
        batch.edge(
            "HAS_PARTICIPANT", me, _actor(batch, "Participant", conv["participantId"], tenant), at
        )


def add_memory(batch: GraphBatch, mem: Entity) -> None:
    tenant = _opt(mem, "tenantId")
    me = (
        "Memory",
        batch.node(
            "Memory",
            {
                "memoryId": mem["memoryId"],
                "memorySpaceId": mem["memorySpaceId"],
                "tenantId": tenant,
                "participantId": _opt(mem, "participantId"),
                "userId": _opt(mem, "userId"),
                "agentId": _opt(mem, "agentId"),
                "content": str(mem.get("content") or "")[:CONTENT_CHARS],
                "contentType": _opt(mem, "contentType"),
                "sourceType": _opt(mem, "sourceType"),
                "sourceUserId": _opt(mem, "sourceUserId"),
                "importance": _opt(mem, "importance"),
                "tags": list(mem.get("tags") or []),
                "version": _opt(mem, "version"),
                "createdAt": _opt(mem, "createdAt"),
                "updatedAt": _opt(mem, "updatedAt"),
            },
        ),
    )
    at = {"createdAt": _opt(mem, "createdAt")}
    ref = mem.get("conversationRef") or {}
    if ref.get("conversationId"):
        batch.node(
            "Conversation",
            {"conversationId": ref["conversationId"], "memorySpaceId": mem["memorySpaceId"]},
        )
        props = {**at, "messageIds": list(ref.get("messageIds") or [])}
        batch.edge("REFERENCES", me, ("Conversation", ref["conversationId"]), props)
    if mem.get("userId"):
        batch.edge("RELATES_TO", me, _actor(batch, "User", mem["userId"], tenant), at)
    if mem.get("agentId"):
        batch.edge("RELATES_TO", me, _actor(batch, "Agent", mem["agentId"], tenant), at)
    batch.edge("IN_SPACE", me, _space(batch, mem), at)
    imm = mem.get("immutableRef") or {}
    if imm.get("type") == "fact" and imm.get("id"):
        batch.edge("SOURCED_FROM", me, ("Fact", imm["id"]), {**at, "version": imm.get("version")})
    if mem.get("participantId"):
        batch.edge("STORED_BY", me, _actor(batch, "Participant", mem["participantId"], tenant), at)
    _add_a2a(batch, mem)


def _add_a2a(batch: GraphBatch, mem: Entity) -> None:
    """An a2a message memory: ``SENT_TO`` between the two memory spaces."""
    meta = mem.get("metadata") or {}
    src, dst = (
        mem.get("fromMemorySpace") or meta.get("fromMemorySpace"),
        mem.get("toMemorySpace") or meta.get("toMemorySpace"),
    )
    if mem.get("sourceType") != "a2a" or not src or not dst:
        return
    for space in (src, dst):
        batch.node("MemorySpace", {"memorySpaceId": space})
    props = {
        "messageId": mem.get("messageId") or meta.get("messageId") or mem["memoryId"],
        "importance": mem.get("importance"),
        "timestamp": mem.get("sourceTimestamp"),
        "memoryId": mem["memoryId"],
    }
    batch.edge("SENT_TO", ("MemorySpace", src), ("MemorySpace", dst), props)


def _entity(
    batch: GraphBatch, name: str, kind: str, tenant: Any, full: Any = None
) -> tuple[str, Any]:
    props: dict[str, Any] = {"name": name, "type": kind, "tenantId": tenant}
    if full is not None:
        props.update({"entityType": kind, "fullValue": full})
    batch.node("Entity", props)
    return ("Entity", name)


def add_fact(batch: GraphBatch, fact: Entity) -> None:
    tenant = _opt(fact, "tenantId")
    keys = (
        "participantId",
        "fact",
        "factType",
        "subject",
        "predicate",
        "object",
        "confidence",
        "sourceType",
    )
    props = {k: _opt(fact, k) for k in keys}
    props.update(
        factId=fact["factId"],
        memorySpaceId=fact["memorySpaceId"],
        tenantId=tenant,
        userId=_opt(fact, "userId"),
        tags=list(fact.get("tags") or []),
        version=_opt(fact, "version"),
        supersededBy=_opt(fact, "supersededBy"),
        supersedes=_opt(fact, "supersedes"),
        createdAt=_opt(fact, "createdAt"),
        updatedAt=_opt(fact, "updatedAt"),
    )
    me = ("Fact", batch.node("Fact", props))
    at = {"createdAt": _opt(fact, "createdAt")}
    mentioned = _add_fact_entities(batch, fact, me, tenant)
    for role in ("subject", "object"):
        name = fact.get(role)
        if name and name.lower() not in mentioned:
            batch.edge("MENTIONS", me, _entity(batch, name, role, tenant), {**at, "role": role})
    if (
        fact.get("subject")
        and fact.get("object")
        and fact.get("predicate")
        and not fact.get("relations")
    ):
        _predicate_edge(batch, fact, fact["subject"], fact["predicate"], fact["object"])
    source = fact.get("sourceRef") or {}
    if source.get("conversationId"):
        batch.node(
            "Conversation",
            {"conversationId": source["conversationId"], "memorySpaceId": fact["memorySpaceId"]},
        )
        props = {**at, "messageIds": list(source.get("messageIds") or [])}
        batch.edge("EXTRACTED_FROM", me, ("Conversation", source["conversationId"]), props)
    batch.edge("IN_SPACE", me, _space(batch, fact), at)
    _add_supersession(batch, fact, me)
    if fact.get("participantId"):
        batch.edge(
            "EXTRACTED_BY", me, _actor(batch, "Participant", fact["participantId"], tenant), at
        )


def _add_fact_entities(
    batch: GraphBatch, fact: Entity, me: tuple[str, Any], tenant: Any
) -> set[str]:
    mentioned: set[str] = set()
    for ent in fact.get("entities") or []:
        node = _entity(
            batch, ent["name"], ent.get("type") or "entity", tenant, ent.get("fullValue")
        )
        mentioned.add(ent["name"].lower())
        props = {
            "role": ent.get("type"),
            "fullValue": ent.get("fullValue"),
            "createdAt": fact.get("createdAt"),
        }
        batch.edge("MENTIONS", me, node, props)
    for rel in fact.get("relations") or []:
        for role in ("subject", "object"):
            if rel[role].lower() not in mentioned:
                _entity(batch, rel[role], role, tenant)
                mentioned.add(rel[role].lower())
        _predicate_edge(batch, fact, rel["subject"], rel["predicate"], rel["object"])
    return mentioned


def _predicate_edge(
    batch: GraphBatch, fact: Entity, subject: str, predicate: str, obj: str
) -> None:
    rel = predicate_type(predicate)
    if rel is None:
        return
    props = {
        "factId": fact["factId"],
        "confidence": fact.get("confidence"),
        "createdAt": fact.get("createdAt"),
    }
    if fact.get("category") is not None:
        props["category"] = fact["category"]
    batch.edge(rel, ("Entity", subject), ("Entity", obj), props)


def _add_supersession(batch: GraphBatch, fact: Entity, me: tuple[str, Any]) -> None:
    """``SUPERSEDES`` from the newer fact to the older, from whichever side of the pair is synced."""
    props = {"version": fact.get("version"), "createdAt": fact.get("createdAt")}
    if fact.get("supersedes"):
        batch.edge("SUPERSEDES", me, ("Fact", fact["supersedes"]), props)
    if fact.get("supersededBy"):
        batch.edge(
            "SUPERSEDES", ("Fact", fact["supersededBy"]), me, {"createdAt": fact.get("updatedAt")}
        )


def add_context(batch: GraphBatch, ctx: Entity) -> None:
    tenant = _opt(ctx, "tenantId")
    keys = (
        "purpose",
        "status",
        "depth",
        "userId",
        "parentId",
        "rootId",
        "createdAt",
        "updatedAt",
        "completedAt",
    )
    props = {k: _opt(ctx, k) for k in keys}
    props.update(
        contextId=ctx["contextId"],
        memorySpaceId=ctx["memorySpaceId"],
        tenantId=tenant,
        participants=list(ctx.get("participants") or []),
    )
    me = ("Context", batch.node("Context", props))
    at = {"createdAt": _opt(ctx, "createdAt")}
    if ctx.get("parentId"):
        batch.node("Context", {"contextId": ctx["parentId"]})
        batch.edge("CHILD_OF", me, ("Context", ctx["parentId"]), {**at, "depth": ctx.get("depth")})
    if ctx.get("userId"):
        batch.edge("INVOLVES", me, _actor(batch, "User", ctx["userId"], tenant), at)
    batch.edge("IN_SPACE", me, _space(batch, ctx), at)
    ref = ctx.get("conversationRef") or {}
    if ref.get("conversationId"):
        props = {**at, "messageIds": list(ref.get("messageIds") or [])}
        batch.edge("TRIGGERED_BY", me, ("Conversation", ref["conversationId"]), props)
    for grant in ctx.get("grantedAccess") or []:
        props = {"scope": grant.get("scope"), "grantedAt": grant.get("grantedAt")}
        batch.edge("GRANTS_ACCESS_TO", me, ("MemorySpace", grant["memorySpaceId"]), props)


def add_user(batch: GraphBatch, user: Entity) -> None:
    batch.node(
        "User",
        {
            "userId": user["id"] if "id" in user else user["userId"],
            "tenantId": _opt(user, "tenantId"),
            "createdAt": _opt(user, "createdAt"),
            "updatedAt": _opt(user, "updatedAt"),
        },
    )


def add_agent(batch: GraphBatch, agent: Entity) -> None:
    batch.node(
        "Agent",
        {
            "agentId": agent.get("agentId") or agent["id"],
            "tenantId": _opt(agent, "tenantId"),
            "name": _opt(agent, "name"),
            "status": _opt(agent, "status"),
            "registeredAt": _opt(agent, "registeredAt"),
        },
    )


# table name (the graph sync queue's ``table``) -> how an entity of it enters a batch
BUILDERS: dict[str, Callable[[GraphBatch, Entity], None]] = {
    "memorySpaces": add_memory_space,
    "conversations": add_conversation,
    "memories": add_memory,
    "facts": add_fact,
    "contexts": add_context,
    "users": add_user,
    "agents": add_agent,
}

# table -> the label its entities have (for deletes)
TABLE_LABELS: dict[str, str] = {
    "memorySpaces": "MemorySpace",
    "conversations": "Conversation",
    "memories": "Memory",
    "facts": "Fact",
    "contexts": "Context",
    "users": "User",
    "agents": "Agent",
}


async def delete_node(
    adapter: CypherGraphAdapter, label: str, key_value: Any, orphan_cleanup: bool = True
) -> int:
    """Delete the node of ``label`` with that key, then (``orphan_cleanup``) every neighbour that the orphan rules
    say nothing still anchors, repeatedly. Returns how many nodes were deleted."""
    key = NODE_KEYS[label]
    f = adapter.id_function
    rows = await adapter.query(
        f"MATCH (n:`{label}` {{`{key}`: $value}}) OPTIONAL MATCH (n)--(m) "
        f"WITH n, collect(DISTINCT {f}(m)) AS around DETACH DELETE n RETURN around",
        {"value": key_value},
    )
    if not rows.records:
        return 0
    deleted = 1
    pending = [str(i) for i in rows.records[0]["around"]] if orphan_cleanup else []
    while pending:
        node_id = pending.pop()
        around = await _delete_if_orphan(adapter, node_id)
        if around is not None:
            deleted += 1
            pending.extend(around)
    return deleted


async def _delete_if_orphan(adapter: CypherGraphAdapter, node_id: str) -> list[str] | None:
    """Delete the node when its label has an orphan rule and no anchor points at it; its neighbours, or ``None``."""
    f = adapter.id_function
    found = await adapter.query(
        f"MATCH (m) WHERE {f}(m) = $id OPTIONAL MATCH (r)-->(m) RETURN labels(m)[0] AS label, collect(labels(r)[0]) AS refs",
        {"id": adapter._id(node_id)},
    )
    if not found.records:
        return None
    keep_if = ORPHAN_KEEP_IF.get(
        found.records[0]["label"], frozenset({"Memory", "Fact", "Context"})
    )
    if keep_if is None or any(label in keep_if for label in found.records[0]["refs"]):
        return None
    gone = await adapter.query(
        f"MATCH (m) WHERE {f}(m) = $id OPTIONAL MATCH (m)--(x) WITH m, collect(DISTINCT {f}(x)) AS around "
        "DETACH DELETE m RETURN around",
        {"id": adapter._id(node_id)},
    )
    return [str(i) for i in gone.records[0]["around"]]


async def delete_user_nodes(adapter: CypherGraphAdapter, user_id: str) -> int:
    """GDPR: delete every node carrying ``userId`` (the User node, their memories, conversations, contexts, facts)."""
    rows = await adapter.query(
        "MATCH (n) WHERE n.userId = $userId WITH collect(n) AS ns, count(n) AS c "
        "FOREACH (x IN ns | DETACH DELETE x) RETURN c",
        {"userId": user_id},
    )
    return int(rows.records[0]["c"])


async def count_user_nodes(adapter: CypherGraphAdapter, user_id: str) -> int:
    rows = await adapter.query(
        "MATCH (n) WHERE n.userId = $userId RETURN count(n) AS c", {"userId": user_id}
    )
    return int(rows.records[0]["c"])


# relationships an expansion does not follow: they join everything in a space or of a user
_EXPANSION_SKIP = [
    "IN_SPACE",
    "INVOLVES",
    "RELATES_TO",
    "HAS_PARTICIPANT",
    "STORED_BY",
    "EXTRACTED_BY",
    "SENT_TO",
]


async def related_facts(
    adapter: CypherGraphAdapter,
    space: str,
    memory_ids: list[str],
    fact_ids: list[str],
    depth: int = 2,
    limit: int = 20,
) -> tuple[list[str], list[str]]:
    """Graph expansion for recall: the entities within ``depth`` hops of the hit facts (one more for hit memories,
    which reach facts through their conversation) and the current facts of ``space`` mentioning them, nearest
    entities first.
    Returns ``(entity names, fact ids)``."""
    hops = max(1, min(int(depth), 5)) + 1
    rows = await adapter.query(
        f"MATCH (s) WHERE (s:Fact AND s.factId IN $facts) OR (s:Memory AND s.memoryId IN $memories) "
        f"MATCH p = (s)-[*1..{hops}]-(e:Entity) WHERE none(r IN relationships(p) WHERE type(r) IN $skip) "
        "WITH e, min(length(p)) AS d ORDER BY d, e.name "
        "OPTIONAL MATCH (f:Fact)-[:MENTIONS]->(e) WHERE f.supersededBy IS NULL AND f.memorySpaceId = $space "
        "WITH e, d, f ORDER BY d, f.confidence DESC "
        "RETURN collect(DISTINCT e.name) AS entities, collect(DISTINCT f.factId) AS facts",
        {"facts": fact_ids, "memories": memory_ids, "skip": _EXPANSION_SKIP, "space": space},
    )
    record = rows.records[0] if rows.records else {"entities": [], "facts": []}
    return list(record["entities"]), [f for f in record["facts"] if f is not None][:limit]
