"""The ``memories`` Convex module: versioned, searchable vector memories scoped to a memory space.

Handlers read their arguments in wire form (``args.to_wire()``: camelCase keys, absent optionals missing) so that
JavaScript's ``args.x`` (``undefined`` when absent) maps to ``a.get("x", UNDEFINED)``.
"""

from __future__ import annotations

from typing import Any

from cortex._generated.args.memories import (
    MemoriesArchiveArgs,
    MemoriesCountArgs,
    MemoriesDeleteByIdsArgs,
    MemoriesDeleteManyArgs,
    MemoriesDeleteMemoryArgs,
    MemoriesExportMemoriesArgs,
    MemoriesFinalizePartialMemoryArgs,
    MemoriesGetArgs,
    MemoriesGetAtTimestampArgs,
    MemoriesGetHistoryArgs,
    MemoriesGetVersionArgs,
    MemoriesListArgs,
    MemoriesPurgeAllArgs,
    MemoriesRestoreFromArchiveArgs,
    MemoriesSearchArgs,
    MemoriesStoreArgs,
    MemoriesStorePartialMemoryArgs,
    MemoriesUpdateArgs,
    MemoriesUpdateManyArgs,
    MemoriesUpdatePartialMemoryArgs,
)
from cortex.embedded import UNDEFINED, ConvexError, MutationCtx, QueryCtx, handler, js
from cortex.embedded.functions._common import delete_all, new_id, purge_table
from cortex.embeddings import cosine

TABLE = "memories"
VECTOR_INDEX_LIMIT = 256
Doc = dict[str, Any]
_ACK_PHRASES = (
    "got it",
    "i've noted",
    "i'll remember",
    "noted",
    "understood",
    "i'll set",
    "i'll call",
)
_STORE_FIELDS = (
    "participantId",
    "tenantId",
    "content",
    "contentType",
    "embedding",
    "sourceType",
    "sourceUserId",
    "sourceUserName",
)
_STORE_FIELDS_2 = (
    "messageRole",
    "enrichedContent",
    "factCategory",
    "userId",
    "agentId",
    "conversationRef",
    "immutableRef",
    "mutableRef",
    "factsRef",
    "importance",
    "tags",
)


def _by_memory_id(ctx: QueryCtx, memory_id: str) -> Doc | None:
    return (
        ctx.db.query(TABLE).with_index("by_memoryId", lambda q: q.eq("memoryId", memory_id)).first()
    )


def _owned(ctx: QueryCtx, space: str, memory_id: str) -> Doc:
    """The memory, or ``MEMORY_NOT_FOUND`` / ``PERMISSION_DENIED`` (another space's memory)."""
    memory = _by_memory_id(ctx, memory_id)
    if memory is None:
        raise ConvexError("MEMORY_NOT_FOUND")
    if memory["memorySpaceId"] != space:
        raise ConvexError("PERMISSION_DENIED")
    return memory


def _in_space(ctx: QueryCtx, space: str) -> list[Doc]:
    return (
        ctx.db.query(TABLE)
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space))
        .collect()
    )


def _version_view(memory: Doc, entry: Doc) -> Doc:
    view: Doc = {
        "memoryId": memory["memoryId"],
        "version": entry["version"],
        "content": entry["content"],
    }
    if "embedding" in entry:
        view["embedding"] = entry["embedding"]
    view["timestamp"] = entry["timestamp"]
    return view


def _current_version(memory: Doc) -> Doc:
    entry: Doc = {"version": memory["version"], "content": memory["content"]}
    if "embedding" in memory:
        entry["embedding"] = memory["embedding"]
    entry["timestamp"] = memory["updatedAt"]
    return _version_view(memory, entry)


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(MemoriesStoreArgs)
def store(ctx: MutationCtx, args: MemoriesStoreArgs) -> Doc | None:
    """Insert a new memory at version 1 and return it."""
    a = args.to_wire()
    now = ctx.now()
    doc: Doc = {"memoryId": new_id("mem", now), "memorySpaceId": a["memorySpaceId"]}
    for name in _STORE_FIELDS:
        doc[name] = a.get(name, UNDEFINED)
    doc["sourceTimestamp"] = now
    for name in _STORE_FIELDS_2:
        doc[name] = a.get(name, UNDEFINED)
    doc.update(version=1.0, previousVersions=[], createdAt=now, updatedAt=now, accessCount=0.0)
    return ctx.db.get(ctx.db.insert(TABLE, doc))


@handler(MemoriesStorePartialMemoryArgs)
def store_partial_memory(ctx: MutationCtx, args: MemoriesStorePartialMemoryArgs) -> Doc:
    """Insert an in-progress (streaming) memory; returns ``{memoryId, _id}``."""
    a = args.to_wire()
    now = ctx.now()
    memory_id = new_id("mem-partial", now)
    doc_id = ctx.db.insert(
        TABLE,
        {
            "memoryId": memory_id,
            "memorySpaceId": a["memorySpaceId"],
            "participantId": a.get("participantId", UNDEFINED),
            "content": a["content"],
            "contentType": "raw",
            "sourceType": "conversation",
            "sourceTimestamp": now,
            "userId": a["userId"],
            "conversationRef": {"conversationId": a["conversationId"], "messageIds": []},
            "importance": a["importance"],
            "tags": a["tags"],
            "version": 1.0,
            "previousVersions": [],
            "createdAt": now,
            "updatedAt": now,
            "accessCount": 0.0,
            "isPartial": a["isPartial"],
            "partialMetadata": a.get("metadata", UNDEFINED),
        },
    )
    return {"memoryId": memory_id, "_id": doc_id}


@handler(MemoriesUpdatePartialMemoryArgs)
def update_partial_memory(ctx: MutationCtx, args: MemoriesUpdatePartialMemoryArgs) -> Doc:
    """Replace a streaming memory's content and metadata."""
    a = args.to_wire()
    memory = _by_memory_id(ctx, a["memoryId"])
    if memory is None:
        raise ConvexError("MEMORY_NOT_FOUND")
    ctx.db.patch(
        memory["_id"],
        {
            "content": a["content"],
            "updatedAt": ctx.now(),
            "partialMetadata": a.get("metadata", UNDEFINED),
        },
    )
    return {"success": True}


@handler(MemoriesFinalizePartialMemoryArgs)
def finalize_partial_memory(ctx: MutationCtx, args: MemoriesFinalizePartialMemoryArgs) -> Doc:
    """Complete a streaming memory: final content/embedding, ``isPartial`` false, streaming tags dropped."""
    a = args.to_wire()
    memory = _by_memory_id(ctx, a["memoryId"])
    if memory is None:
        raise ConvexError("MEMORY_NOT_FOUND")
    ctx.db.patch(
        memory["_id"],
        {
            "content": a["content"],
            "embedding": a.get("embedding", UNDEFINED),
            "updatedAt": ctx.now(),
            "isPartial": False,
            "tags": [t for t in memory["tags"] if t not in ("streaming", "partial")],
            "partialMetadata": a.get("metadata", UNDEFINED),
        },
    )
    return {"success": True}


@handler(MemoriesDeleteMemoryArgs)
def delete_memory(ctx: MutationCtx, args: MemoriesDeleteMemoryArgs) -> Doc:
    """Hard-delete one memory of the space."""
    memory = _owned(ctx, args.memory_space_id, args.memory_id)
    ctx.db.delete(memory["_id"])
    return {"deleted": True, "memoryId": args.memory_id}


@handler(MemoriesUpdateArgs)
def update(ctx: MutationCtx, args: MemoriesUpdateArgs) -> Doc | None:
    """New version: the current content/embedding move to ``previousVersions``."""
    a = args.to_wire()
    memory = _owned(ctx, a["memorySpaceId"], a["memoryId"])
    previous = {k: v for k, v in _current_version(memory).items() if k != "memoryId"}
    ctx.db.patch(
        memory["_id"],
        {
            "content": js.or_(a.get("content", UNDEFINED), memory["content"]),
            "embedding": a["embedding"] if "embedding" in a else memory.get("embedding", UNDEFINED),
            "importance": a["importance"] if "importance" in a else memory["importance"],
            "tags": js.or_(a.get("tags", UNDEFINED), memory["tags"]),
            "version": js.add(memory["version"], 1),
            "previousVersions": [*memory["previousVersions"], previous],
            "updatedAt": ctx.now(),
        },
    )
    return ctx.db.get(memory["_id"])


def _matches_user(m: Doc, user_id: str) -> bool:
    return m.get("userId") == user_id or m.get("sourceUserId") == user_id


@handler(MemoriesDeleteManyArgs)
def delete_many(ctx: MutationCtx, args: MemoriesDeleteManyArgs) -> Doc:
    """Delete the space's memories of a user (owner or source) and/or source type."""
    memories = _in_space(ctx, args.memory_space_id)
    if args.user_id:
        memories = [m for m in memories if _matches_user(m, args.user_id)]
    if args.source_type:
        memories = [m for m in memories if m["sourceType"] == args.source_type]
    delete_all(ctx, memories)
    return {"deleted": len(memories), "memoryIds": [m["memoryId"] for m in memories]}


@handler(MemoriesDeleteByIdsArgs)
def delete_by_ids(ctx: MutationCtx, args: MemoriesDeleteByIdsArgs) -> Doc:
    """Delete memories by ``memoryId`` (any space); unknown ids are skipped."""
    deleted: list[str] = []
    for memory_id in args.memory_ids:
        memory = _by_memory_id(ctx, memory_id)
        if memory is not None:
            ctx.db.delete(memory["_id"])
            deleted.append(memory_id)
    return {"deleted": len(deleted), "memoryIds": deleted}


@handler(MemoriesPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: MemoriesPurgeAllArgs) -> Doc:
    """Delete every memory of the store; only when the backend allows purges."""
    return {"deleted": len(purge_table(ctx, TABLE))}


@handler(MemoriesUpdateManyArgs)
def update_many(ctx: MutationCtx, args: MemoriesUpdateManyArgs) -> Doc:
    """Set importance and/or tags on the space's memories of a user and/or source type (no new version)."""
    a = args.to_wire()
    memories = _in_space(ctx, a["memorySpaceId"])
    if js.truthy(a.get("userId", UNDEFINED)):
        memories = [m for m in memories if m.get("userId") == a["userId"]]
    if js.truthy(a.get("sourceType", UNDEFINED)):
        memories = [m for m in memories if m["sourceType"] == a["sourceType"]]
    for m in memories:
        patch: Doc = {"updatedAt": ctx.now()}
        if "importance" in a:
            patch["importance"] = a["importance"]
        if "tags" in a:
            patch["tags"] = a["tags"]
        ctx.db.patch(m["_id"], patch)
    return {"updated": len(memories), "memoryIds": [m["memoryId"] for m in memories]}


@handler(MemoriesArchiveArgs)
def archive(ctx: MutationCtx, args: MemoriesArchiveArgs) -> Doc:
    """Soft delete: tag ``archived`` and cap importance at 10."""
    memory = _owned(ctx, args.memory_space_id, args.memory_id)
    tags = memory["tags"] if "archived" in memory["tags"] else [*memory["tags"], "archived"]
    ctx.db.patch(
        memory["_id"],
        {"tags": tags, "importance": min(memory["importance"], 10.0), "updatedAt": ctx.now()},
    )
    return {"archived": True, "memoryId": args.memory_id, "restorable": True}


@handler(MemoriesRestoreFromArchiveArgs)
def restore_from_archive(ctx: MutationCtx, args: MemoriesRestoreFromArchiveArgs) -> Doc:
    """Undo ``archive``: drop the tag, raise importance back to at least 50."""
    memory = _owned(ctx, args.memory_space_id, args.memory_id)
    if "archived" not in memory["tags"]:
        raise ConvexError("MEMORY_NOT_ARCHIVED")
    importance = 50.0 if memory["importance"] < 50 else memory["importance"]
    ctx.db.patch(
        memory["_id"],
        {
            "tags": [t for t in memory["tags"] if t != "archived"],
            "importance": importance,
            "updatedAt": ctx.now(),
        },
    )
    return {"restored": True, "memoryId": args.memory_id, "memory": ctx.db.get(memory["_id"])}


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(MemoriesGetArgs)
def get(ctx: QueryCtx, args: MemoriesGetArgs) -> Doc | None:
    """The memory, or null when missing or in another space."""
    memory = _by_memory_id(ctx, args.memory_id)
    if memory is None or memory["memorySpaceId"] != args.memory_space_id:
        return None
    return memory


def _limit(value: float | None, default: int) -> int:
    return int(js.or_(value, default))


def _vector_candidates(ctx: QueryCtx, space: str, embedding: list[float], limit: int) -> list[Doc]:
    """The space's ``limit`` memories most similar to ``embedding`` (cosine), from the vector index."""
    if not any(embedding):
        # A zero query vector has no direction: every memory of its dimension is equally (un)related.
        same = [
            {**m, "_score": 0.0}
            for m in _in_space(ctx, space)
            if isinstance(m.get("embedding"), list) and len(m["embedding"]) == len(embedding)
        ]
        return same[:limit]
    hits = ctx.vector_search(
        TABLE,
        "by_embedding",
        vector=embedding,
        limit=max(1, min(limit, VECTOR_INDEX_LIMIT)),
        filter=lambda q: q.eq("memorySpaceId", space),
    )
    found: list[Doc] = []
    for hit in hits:
        doc = ctx.db.get(hit["_id"])
        if doc is None:
            continue
        # The index ranks in float32; the reported score is recomputed in float64 from the stored vector.
        score = cosine(embedding, doc["embedding"])
        if score >= 0:
            found.append({**doc, "_score": score})
    found.sort(key=lambda m: m["_creationTime"])
    found.sort(key=lambda m: -m["_score"])
    return found


def _weighted(m: Doc, category: str | None) -> float:
    score = float(m.get("_score", 0.0))
    if m.get("messageRole") == "user":
        score *= 1.25
    elif m.get("messageRole") == "agent":
        content = js.or_(m.get("content"), "").lower()
        if len(content) < 60 and any(p in content for p in _ACK_PHRASES):
            score *= 0.5
    if category and m.get("factCategory") == category:
        score *= 1.3
    if js.truthy(m.get("enrichedContent", UNDEFINED)):
        score *= 1.1
    return score


@handler(MemoriesSearchArgs)
def search(ctx: QueryCtx, args: MemoriesSearchArgs) -> list[Doc]:
    """Semantic search (vector index, cosine ``_score`` re-weighted by role/category) or keyword search."""
    limit = _limit(args.limit, 20)
    semantic = bool(args.embedding)
    if args.embedding:
        results = _vector_candidates(ctx, args.memory_space_id, args.embedding, limit)
    else:
        space = args.memory_space_id
        results = (
            ctx.db.query(TABLE)
            .with_search_index(
                "by_content",
                lambda q: q.search("content", args.query).eq("memorySpaceId", space),
            )
            .take(limit)
        )
    if args.user_id:
        results = [m for m in results if _matches_user(m, args.user_id)]
    if args.tags:
        wanted = args.tags
        results = [m for m in results if any(t in m["tags"] for t in wanted)]
    if args.source_type:
        results = [m for m in results if m["sourceType"] == args.source_type]
    if args.min_importance is not None:
        floor = args.min_importance
        results = [m for m in results if m["importance"] >= floor]
    if semantic:
        results = [{**m, "_score": _weighted(m, args.query_category)} for m in results]
        results.sort(key=lambda m: -m["_score"])
    if args.min_score is not None:
        threshold = args.min_score
        results = [m for m in results if "_score" not in m or m["_score"] >= threshold]
    return results[:limit]


@handler(MemoriesListArgs)
def list_(ctx: QueryCtx, args: MemoriesListArgs) -> list[Doc]:
    """The space's newest memories (``limit``, default 100), then filtered by user and source type."""
    space = args.memory_space_id
    memories = (
        ctx.db.query(TABLE)
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space))
        .order("desc")
        .take(_limit(args.limit, 100))
    )
    if args.user_id:
        memories = [m for m in memories if m.get("userId") == args.user_id]
    if args.source_type:
        memories = [m for m in memories if m["sourceType"] == args.source_type]
    return memories


@handler(MemoriesCountArgs)
def count(ctx: QueryCtx, args: MemoriesCountArgs) -> int:
    """How many memories of the space match the user and source type."""
    memories = _in_space(ctx, args.memory_space_id)
    if args.user_id:
        memories = [m for m in memories if m.get("userId") == args.user_id]
    if args.source_type:
        memories = [m for m in memories if m["sourceType"] == args.source_type]
    return len(memories)


@handler(MemoriesGetVersionArgs)
def get_version(ctx: QueryCtx, args: MemoriesGetVersionArgs) -> Doc | None:
    """One version (current or previous) of a memory, or null."""
    memory = _by_memory_id(ctx, args.memory_id)
    if memory is None or memory["memorySpaceId"] != args.memory_space_id:
        return None
    if args.version == memory["version"]:
        return _current_version(memory)
    for entry in memory["previousVersions"]:
        if entry["version"] == args.version:
            return _version_view(memory, entry)
    return None


@handler(MemoriesGetHistoryArgs)
def get_history(ctx: QueryCtx, args: MemoriesGetHistoryArgs) -> list[Doc]:
    """Every version of a memory, oldest first ([] when missing or in another space)."""
    memory = _by_memory_id(ctx, args.memory_id)
    if memory is None or memory["memorySpaceId"] != args.memory_space_id:
        return []
    history = [_version_view(memory, e) for e in memory["previousVersions"]]
    history.append(_current_version(memory))
    history.sort(key=lambda v: v["version"])
    return history


@handler(MemoriesGetAtTimestampArgs)
def get_at_timestamp(ctx: QueryCtx, args: MemoriesGetAtTimestampArgs) -> Doc | None:
    """The version that was current at ``timestamp``, or null (before creation, missing, other space)."""
    memory = _by_memory_id(ctx, args.memory_id)
    if memory is None or memory["memorySpaceId"] != args.memory_space_id:
        return None
    if args.timestamp >= memory["updatedAt"]:
        return _current_version(memory)
    if args.timestamp < memory["createdAt"]:
        return None
    for entry in reversed(memory["previousVersions"]):
        if args.timestamp >= entry["timestamp"]:
            return _version_view(memory, entry)
    return None


@handler(MemoriesExportMemoriesArgs)
def export_memories(ctx: QueryCtx, args: MemoriesExportMemoriesArgs) -> Doc:
    """The space's memories (of a user) as JSON or CSV text."""
    memories = _in_space(ctx, args.memory_space_id)
    if args.user_id:
        memories = [m for m in memories if _matches_user(m, args.user_id)]
    if args.format == "json":
        data = []
        for m in memories:
            item = {
                "memoryId": m["memoryId"],
                "content": m["content"],
                "sourceType": m["sourceType"],
                "importance": m["importance"],
                "tags": m["tags"],
                "createdAt": m["createdAt"],
            }
            if args.include_embeddings and js.truthy(m.get("embedding", UNDEFINED)):
                item["embedding"] = m["embedding"]
            data.append(item)
        text = js.stringify(data, 2)
    else:
        lines = ["memoryId,content,sourceType,importance,tags,createdAt"]
        for m in memories:
            row = [
                m["memoryId"],
                m["content"].replace(",", ";"),
                m["sourceType"],
                js.to_string(m["importance"]),
                ";".join(m["tags"]),
                js.iso_string(m["createdAt"]),
            ]
            lines.append(",".join(row))
        text = "\n".join(lines)
    return {
        "format": args.format,
        "data": text,
        "count": len(memories),
        "exportedAt": ctx.now(),
    }
