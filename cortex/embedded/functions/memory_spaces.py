"""The ``memorySpaces`` Convex module: the registry of memory spaces (Hive mode), participants, lifecycle,
statistics and deletion with cascade."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.memory_spaces import (
    MemorySpacesAddParticipantArgs,
    MemorySpacesArchiveArgs,
    MemorySpacesCountArgs,
    MemorySpacesDeleteSpaceArgs,
    MemorySpacesFindByParticipantArgs,
    MemorySpacesGetArgs,
    MemorySpacesGetStatsArgs,
    MemorySpacesListArgs,
    MemorySpacesPurgeAllArgs,
    MemorySpacesReactivateArgs,
    MemorySpacesRegisterArgs,
    MemorySpacesRemoveParticipantArgs,
    MemorySpacesSearchArgs,
    MemorySpacesUpdateArgs,
    MemorySpacesUpdateParticipantsArgs,
)
from cortex.embedded import UNDEFINED, ConvexError, MutationCtx, QueryCtx, handler, js
from cortex.embedded.functions._common import delete_all, opt, purge_table

TABLE = "memorySpaces"
CASCADE_TABLES = ("conversations", "memories", "facts")
Doc = dict[str, Any]


def _lookup(ctx: QueryCtx, space_id: str, tenant_id: str | None) -> Doc | None:
    """The space of a tenant, or (without a tenant) the first space with this id if it is a global one.

    As upstream, a global lookup whose first index hit belongs to a tenant finds nothing.
    """
    if tenant_id:
        return (
            ctx.db.query(TABLE)
            .with_index(
                "by_tenant_memorySpaceId",
                lambda q: q.eq("tenantId", tenant_id).eq("memorySpaceId", space_id),
            )
            .first()
        )
    candidate = _first(ctx, space_id)
    return candidate if candidate is not None and not js.truthy(candidate.get("tenantId")) else None


def _first(ctx: QueryCtx, space_id: str) -> Doc | None:
    """The first space with this id, of any tenant (what the functions without a tenant argument act on)."""
    return (
        ctx.db.query(TABLE)
        .with_index("by_memorySpaceId", lambda q: q.eq("memorySpaceId", space_id))
        .first()
    )


def _require(ctx: QueryCtx, space_id: str) -> Doc:
    space = _first(ctx, space_id)
    if space is None:
        raise ConvexError("MEMORYSPACE_NOT_FOUND")
    return space


def _participants(items: list[Any] | None) -> list[Doc]:
    return [p.model_dump(by_alias=True) for p in items or []]


def _patched(ctx: MutationCtx, space: Doc, changes: Doc) -> Doc | None:
    ctx.db.patch(space["_id"], {**changes, "updatedAt": ctx.now()})
    return ctx.db.get(space["_id"])


def _all(ctx: QueryCtx, space_type: str | None, status: str | None) -> list[Doc]:
    spaces = ctx.db.query(TABLE).collect()
    if space_type:
        spaces = [s for s in spaces if s["type"] == space_type]
    if status:
        spaces = [s for s in spaces if s["status"] == status]
    return spaces


def _has_participant(space: Doc, participant_id: str) -> bool:
    return any(p["id"] == participant_id for p in space["participants"])


@handler(MemorySpacesRegisterArgs)
def register(ctx: MutationCtx, args: MemorySpacesRegisterArgs) -> Doc | None:
    """Register a memory space (``active``); ``MEMORYSPACE_ALREADY_EXISTS`` if the tenant (or, without one, the
    global registry) has it."""
    if _lookup(ctx, args.memory_space_id, args.tenant_id) is not None:
        raise ConvexError("MEMORYSPACE_ALREADY_EXISTS")
    now = ctx.now()
    doc_id = ctx.db.insert(
        TABLE,
        {
            "memorySpaceId": args.memory_space_id,
            "name": opt(args.name),
            "type": args.type,
            "tenantId": opt(args.tenant_id),
            "participants": _participants(args.participants),
            "metadata": js.or_(args.metadata, {}),
            "status": "active",
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


@handler(MemorySpacesUpdateArgs)
def update(ctx: MutationCtx, args: MemorySpacesUpdateArgs) -> Doc | None:
    """Change name, metadata and/or status."""
    space = _require(ctx, args.memory_space_id)
    changes: Doc = {}
    if args.name is not None:
        changes["name"] = args.name
    if "metadata" in args.model_fields_set:
        changes["metadata"] = args.metadata
    if args.status is not None:
        changes["status"] = args.status
    return _patched(ctx, space, changes)


@handler(MemorySpacesAddParticipantArgs)
def add_participant(ctx: MutationCtx, args: MemorySpacesAddParticipantArgs) -> Doc | None:
    """Add one participant; ``PARTICIPANT_ALREADY_EXISTS`` if its id is there."""
    space = _require(ctx, args.memory_space_id)
    if _has_participant(space, args.participant.id):
        raise ConvexError("PARTICIPANT_ALREADY_EXISTS")
    participant = args.participant.model_dump(by_alias=True)
    return _patched(ctx, space, {"participants": [*space["participants"], participant]})


@handler(MemorySpacesRemoveParticipantArgs)
def remove_participant(ctx: MutationCtx, args: MemorySpacesRemoveParticipantArgs) -> Doc | None:
    """Remove a participant by id (no error when absent)."""
    space = _require(ctx, args.memory_space_id)
    kept = [p for p in space["participants"] if p["id"] != args.participant_id]
    return _patched(ctx, space, {"participants": kept})


@handler(MemorySpacesUpdateParticipantsArgs)
def update_participants(ctx: MutationCtx, args: MemorySpacesUpdateParticipantsArgs) -> Doc | None:
    """Remove the ids of ``remove``, then add the participants of ``add`` whose id is not present."""
    space = _require(ctx, args.memory_space_id)
    participants = list(space["participants"])
    if args.remove:
        removed = set(args.remove)
        participants = [p for p in participants if p["id"] not in removed]
    for new in _participants(args.add):
        if not any(p["id"] == new["id"] for p in participants):
            participants.append(new)
    return _patched(ctx, space, {"participants": participants})


@handler(MemorySpacesArchiveArgs)
def archive(ctx: MutationCtx, args: MemorySpacesArchiveArgs) -> Doc | None:
    """Mark a space archived; the metadata gains ``archivedAt``, ``archiveReason`` and the given metadata."""
    space = _require(ctx, args.memory_space_id)
    now = ctx.now()
    metadata = {
        **js.spread(space.get("metadata")),
        **js.spread(js.or_(args.metadata, {})),
        "archivedAt": now,
    }
    if args.reason is not None:
        metadata["archiveReason"] = args.reason
    else:
        metadata.pop("archiveReason", None)  # upstream writes `undefined`, which removes the member
    ctx.db.patch(space["_id"], {"status": "archived", "updatedAt": now, "metadata": metadata})
    return ctx.db.get(space["_id"])


@handler(MemorySpacesReactivateArgs)
def reactivate(ctx: MutationCtx, args: MemorySpacesReactivateArgs) -> Doc | None:
    """Mark a space active again."""
    space = _require(ctx, args.memory_space_id)
    return _patched(ctx, space, {"status": "active"})


@handler(MemorySpacesDeleteSpaceArgs)
def delete_space(ctx: MutationCtx, args: MemorySpacesDeleteSpaceArgs) -> Doc:
    """Delete a space; with ``cascade`` also its conversations, memories and facts (not contexts, as upstream).

    With a ``tenantId`` the cascade only deletes that tenant's records (upstream deletes every tenant's records
    of the same memory space id; see docs/backend-differences.md).
    """
    if args.confirm_id is not None and args.confirm_id != args.memory_space_id:
        raise ConvexError("CONFIRM_ID_MISMATCH")
    space = _lookup(ctx, args.memory_space_id, args.tenant_id)
    if space is None:
        raise ConvexError("MEMORYSPACE_NOT_FOUND")
    counts = dict.fromkeys(CASCADE_TABLES, 0)
    if args.cascade:
        space_id, tenant_id = args.memory_space_id, args.tenant_id
        for table in CASCADE_TABLES:
            if tenant_id:
                docs = (
                    ctx.db.query(table)
                    .with_index(
                        "by_tenant_space",
                        lambda q: q.eq("tenantId", tenant_id).eq("memorySpaceId", space_id),
                    )
                    .collect()
                )
            else:
                docs = (
                    ctx.db.query(table)
                    .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space_id))
                    .collect()
                )
            delete_all(ctx, docs)
            counts[table] = len(docs)
    ctx.db.delete(space["_id"])
    return {
        "memorySpaceId": args.memory_space_id,
        "deleted": True,
        "cascade": {
            "conversationsDeleted": counts["conversations"],
            "memoriesDeleted": counts["memories"],
            "factsDeleted": counts["facts"],
            "totalBytes": 0,
        },
        "reason": args.reason,
        "deletedAt": ctx.now(),
    }


@handler(MemorySpacesGetArgs)
def get(ctx: QueryCtx, args: MemorySpacesGetArgs) -> Doc | None:
    """The tenant's space, or (without a tenant) the global one; null if none."""
    return _lookup(ctx, args.memory_space_id, args.tenant_id)


def _sort_value(space: Doc, sort_by: str) -> Any:
    if sort_by == "name":
        return js.code_unit_key(js.or_(space.get("name"), ""))
    value = space.get(sort_by, UNDEFINED)
    return 0 if value is UNDEFINED else value


@handler(MemorySpacesListArgs)
def list_(ctx: QueryCtx, args: MemorySpacesListArgs) -> Doc:
    """Spaces filtered by tenant/type/status/participant, sorted (default ``createdAt`` descending), paginated
    (``offset``, ``limit`` default 100), with the ``total`` before pagination."""
    if args.tenant_id:
        tenant_id = args.tenant_id
        spaces = (
            ctx.db.query(TABLE)
            .with_index("by_tenantId", lambda q: q.eq("tenantId", tenant_id))
            .collect()
        )
    else:
        spaces = ctx.db.query(TABLE).collect()
    if args.type:
        spaces = [s for s in spaces if s["type"] == args.type]
    if args.status:
        spaces = [s for s in spaces if s["status"] == args.status]
    if args.participant:
        participant = args.participant
        spaces = [s for s in spaces if _has_participant(s, participant)]
    total = len(spaces)
    sort_by = js.or_(args.sort_by, "createdAt")
    descending = js.or_(args.sort_order, "desc") != "asc"
    spaces.sort(key=lambda s: _sort_value(s, sort_by), reverse=descending)
    offset = js.or_(args.offset, 0)
    limit = js.or_(args.limit, 100)
    end = js.add(offset, limit)
    return {
        "spaces": js.slice_(spaces, offset, end),
        "total": total,
        "hasMore": bool(end < total),
        "offset": offset,
    }


@handler(MemorySpacesCountArgs)
def count(ctx: QueryCtx, args: MemorySpacesCountArgs) -> int:
    """How many spaces (of any tenant) have this type and/or status."""
    return len(_all(ctx, args.type, args.status))


WINDOW_MS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}
DAY_MS = 24 * 60 * 60 * 1000


def _top_tags(counts: dict[str, int], n: int) -> list[str]:
    """The ``n`` most frequent tags; ties keep JavaScript's object key order (as upstream's stable sort)."""
    ordered = js.own_keys(counts)
    return sorted(ordered, key=lambda tag: -counts[tag])[:n]


def _count_tags(counts: dict[str, int], tags: Any) -> None:
    for tag in tags or []:
        counts[tag] = counts.get(tag, 0) + 1


def _importance_breakdown(memories: list[Doc]) -> Doc:
    levels = [m["importance"] for m in memories]
    return {
        "critical": sum(1 for i in levels if i >= 90),
        "high": sum(1 for i in levels if 70 <= i < 90),
        "medium": sum(1 for i in levels if 40 <= i < 70),
        "low": sum(1 for i in levels if 10 <= i < 40),
        "trivial": sum(1 for i in levels if i < 10),
    }


def _participant_activity(
    memories: list[Doc], conversations: list[Doc], facts: list[Doc]
) -> list[Doc]:
    """Per participant (``unknown`` when a memory has none): what it stored, first/last activity, average
    importance and top tags. Only participants with at least one memory are listed, as upstream."""
    activity: dict[str, Doc] = {}
    for memory in memories:
        pid = js.or_(memory.get("participantId"), "unknown")
        entry = activity.setdefault(
            pid,
            {
                "memoriesStored": 0,
                "conversationsStored": 0,
                "factsExtracted": 0,
                "firstActive": memory["createdAt"],
                "lastActive": memory["createdAt"],
                "importanceSum": 0,
                "tags": {},
            },
        )
        entry["memoriesStored"] += 1
        entry["importanceSum"] = js.add(entry["importanceSum"], js.or_(memory["importance"], 0))
        entry["firstActive"] = min(entry["firstActive"], memory["createdAt"])
        entry["lastActive"] = max(
            entry["lastActive"], js.or_(memory.get("updatedAt"), memory["createdAt"])
        )
        _count_tags(entry["tags"], memory.get("tags"))
    for key, docs in (("conversationsStored", conversations), ("factsExtracted", facts)):
        for doc in docs:
            found = activity.get(js.or_(doc.get("participantId"), "unknown"))
            if found is not None:
                found[key] += 1
    return [
        {
            "participantId": pid,
            "memoriesStored": e["memoriesStored"],
            "conversationsStored": e["conversationsStored"],
            "factsExtracted": e["factsExtracted"],
            "firstActive": e["firstActive"],
            "lastActive": e["lastActive"],
            "avgImportance": int(js.round_(e["importanceSum"] / e["memoriesStored"]))
            if e["memoriesStored"] > 0
            else 0,
            "topTags": _top_tags(e["tags"], 5),
        }
        for pid, e in activity.items()
    ]


def _space_stats(ctx: QueryCtx, space_id: str, window: str | None, participants: bool) -> Doc:
    cutoff = 0.0
    if window and window != "all":
        cutoff = ctx.now() - WINDOW_MS[window] * DAY_MS

    def in_space(table: str) -> list[Doc]:
        return (
            ctx.db.query(table)
            .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space_id))
            .collect()
        )

    conversations = in_space("conversations")
    memories = in_space("memories")
    facts = [f for f in in_space("facts") if f.get("supersededBy", UNDEFINED) is UNDEFINED]
    tag_counts: dict[str, int] = {}
    for memory in memories:
        _count_tags(tag_counts, memory.get("tags"))
    total_messages: Any = 0
    for conversation in conversations:
        total_messages = js.add(total_messages, conversation["messageCount"])
    stats: Doc = {
        "memorySpaceId": space_id,
        "totalMemories": len(memories),
        "totalConversations": len(conversations),
        "totalFacts": len(facts),
        "totalMessages": total_messages,
        "memoriesThisWindow": sum(1 for m in memories if m["createdAt"] >= cutoff)
        if cutoff > 0
        else len(memories),
        "conversationsThisWindow": sum(1 for c in conversations if c["createdAt"] >= cutoff)
        if cutoff > 0
        else len(conversations),
        "storage": {"conversationsBytes": 0, "memoriesBytes": 0, "factsBytes": 0, "totalBytes": 0},
        "topTags": _top_tags(tag_counts, 10),
        "importanceBreakdown": _importance_breakdown(memories),
    }
    if participants:
        stats["participants"] = _participant_activity(memories, conversations, facts)
    return stats


@handler(MemorySpacesGetStatsArgs)
def get_stats(ctx: QueryCtx, args: MemorySpacesGetStatsArgs) -> Doc:
    """Counts, importance breakdown, top tags and (optionally) per-participant activity of a memory space."""
    _require(ctx, args.memory_space_id)
    return _space_stats(
        ctx, args.memory_space_id, args.time_window, bool(args.include_participants)
    )


@handler(MemorySpacesFindByParticipantArgs)
def find_by_participant(ctx: QueryCtx, args: MemorySpacesFindByParticipantArgs) -> list[Doc]:
    """Every space (of any tenant) that lists this participant."""
    return [s for s in ctx.db.query(TABLE).collect() if _has_participant(s, args.participant_id)]


def _matches(space: Doc, needle: str) -> bool:
    name = space.get("name")
    if isinstance(name, str) and name and needle in name.lower():
        return True
    if needle in space["memorySpaceId"].lower():
        return True
    metadata = space.get("metadata", UNDEFINED)
    return js.truthy(metadata) and needle in js.stringify(js.sorted_value(metadata)).lower()


@handler(MemorySpacesSearchArgs)
def search(ctx: QueryCtx, args: MemorySpacesSearchArgs) -> list[Doc]:
    """Spaces whose name, id or JSON-serialised metadata contains ``query`` (case-insensitive), at most
    ``limit`` (default 50)."""
    needle = args.query.lower()
    found = [s for s in _all(ctx, args.type, args.status) if _matches(s, needle)]
    return js.slice_(found, 0, js.or_(args.limit, 50))


@handler(MemorySpacesPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: MemorySpacesPurgeAllArgs) -> Doc:
    """Delete every memory space registration; refused unless the backend allows purges."""
    return {"deleted": len(purge_table(ctx, TABLE))}
