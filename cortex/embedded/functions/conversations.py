"""The ``conversations`` Convex module: append-only conversations (user-agent or agent-agent) in memory spaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsCountArgs,
    ConversationsCreateArgs,
    ConversationsDeleteByIdsArgs,
    ConversationsDeleteConversationArgs,
    ConversationsDeleteManyArgs,
    ConversationsExportConversationsArgs,
    ConversationsFindConversationArgs,
    ConversationsGetArgs,
    ConversationsGetHistoryArgs,
    ConversationsGetMessageArgs,
    ConversationsGetMessagesByIdsArgs,
    ConversationsGetOrCreateArgs,
    ConversationsListArgs,
    ConversationsPurgeAllArgs,
    ConversationsSearchArgs,
)
from cortex.embedded import ConvexError, MutationCtx, QueryCtx, field, handler, js
from cortex.embedded.functions._common import (
    delete_all,
    new_id,
    opt,
    page,
    plain,
    purge_table,
    within,
)

TABLE = "conversations"
Doc = dict[str, Any]
NOT_FOUND = "CONVERSATION_NOT_FOUND"
NEEDS_USER = "user-agent conversations require userId"
NEEDS_AGENT = (
    "agentId is required when userId is provided. User-agent conversations require both a user and an "
    "agent participant."
)
NEEDS_SPACES = "agent-agent conversations require at least 2 memorySpaceIds"


def _by_conversation_id(ctx: QueryCtx, conversation_id: str) -> Doc | None:
    return (
        ctx.db.query(TABLE)
        .with_index("by_conversationId", lambda q: q.eq("conversationId", conversation_id))
        .first()
    )


def _in_space_or_all(ctx: QueryCtx, memory_space_id: str | None) -> list[Doc]:
    if memory_space_id:
        return (
            ctx.db.query(TABLE)
            .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", memory_space_id))
            .collect()
        )
    return ctx.db.query(TABLE).collect()


def _check_participants(type_: str, participants: Any) -> None:
    if type_ == "user-agent":
        if not participants.user_id:
            raise ConvexError(NEEDS_USER)
        if not participants.agent_id:
            raise ConvexError(NEEDS_AGENT)
    elif type_ == "agent-agent" and (
        not participants.memory_space_ids or len(participants.memory_space_ids) < 2
    ):
        raise ConvexError(NEEDS_SPACES)


def _same_spaces(wanted: list[str]) -> Callable[[Doc], bool]:
    target = sorted(wanted)

    def same(c: Doc) -> bool:
        ids = c["participants"].get("memorySpaceIds")
        return ids is not None and sorted(ids) == target

    return same


def _agent_agent(ctx: QueryCtx, memory_space_ids: list[str]) -> Doc | None:
    """The first agent-agent conversation between exactly these memory spaces (any order, any memory space)."""
    candidates = ctx.db.query(TABLE).with_index("by_type", lambda q: q.eq("type", "agent-agent"))
    return next(filter(_same_spaces(memory_space_ids), candidates), None)


def _user_in_space(ctx: QueryCtx, memory_space_id: str, user_id: str) -> Any:
    return (
        ctx.db.query(TABLE)
        .with_index(
            "by_memorySpace_user",
            lambda q: q.eq("memorySpaceId", memory_space_id).eq("participants.userId", user_id),
        )
        .filter(field("type") == "user-agent")
    )


def _last_message_at(c: Doc) -> Any:
    return c["messages"][-1]["timestamp"] if c["messages"] else c["createdAt"]


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(ConversationsCreateArgs)
def create(ctx: MutationCtx, args: ConversationsCreateArgs) -> Doc | None:
    """Create a conversation; ``CONVERSATION_ALREADY_EXISTS`` when the id is taken."""
    _check_participants(args.type, args.participants)
    if _by_conversation_id(ctx, args.conversation_id) is not None:
        raise ConvexError("CONVERSATION_ALREADY_EXISTS")
    now = ctx.now()
    doc_id = ctx.db.insert(
        TABLE,
        {
            "conversationId": args.conversation_id,
            "memorySpaceId": args.memory_space_id,
            "participantId": opt(args.participant_id),
            "tenantId": opt(args.tenant_id),
            "type": args.type,
            "participants": plain(args.participants),
            "messages": [],
            "messageCount": 0,
            "metadata": js.or_(args.metadata, {}),
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


@handler(ConversationsAddMessageArgs)
def add_message(ctx: MutationCtx, args: ConversationsAddMessageArgs) -> Doc | None:
    """Append a message (stamped with the current time) and bump ``messageCount``."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        raise ConvexError(NOT_FOUND)
    message = {**plain(args.message), "timestamp": ctx.now()}
    ctx.db.patch(
        conversation["_id"],
        {
            "messages": [*conversation["messages"], message],
            "messageCount": conversation["messageCount"] + 1,
            "updatedAt": ctx.now(),
        },
    )
    return ctx.db.get(conversation["_id"])


@handler(ConversationsDeleteConversationArgs)
def delete_conversation(ctx: MutationCtx, args: ConversationsDeleteConversationArgs) -> Doc:
    """Delete one conversation for good."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        raise ConvexError(NOT_FOUND)
    ctx.db.delete(conversation["_id"])
    return {
        "deleted": True,
        "conversationId": args.conversation_id,
        "messagesDeleted": conversation["messageCount"],
        "deletedAt": ctx.now(),
        "restorable": False,
    }


@handler(ConversationsDeleteManyArgs)
def delete_many(ctx: MutationCtx, args: ConversationsDeleteManyArgs) -> Doc:
    """Delete the conversations matching space/user/type; refuses more than ``confirmationThreshold`` (10)."""
    conversations = _in_space_or_all(ctx, args.memory_space_id)
    if args.user_id:
        conversations = [
            c for c in conversations if c["participants"].get("userId") == args.user_id
        ]
    if args.type:
        conversations = [c for c in conversations if c["type"] == args.type]
    messages = sum(c["messageCount"] for c in conversations)
    if args.dry_run:
        return {
            "deleted": 0,
            "totalMessagesDeleted": 0,
            "conversationIds": [],
            "wouldDelete": len(conversations),
            "wouldDeleteMessages": messages,
            "dryRun": True,
        }
    threshold = args.confirmation_threshold if args.confirmation_threshold is not None else 10
    if len(conversations) > threshold:
        raise ConvexError(
            f"DELETE_MANY_THRESHOLD_EXCEEDED: Would delete {len(conversations)} conversations (threshold: "
            f"{js.number_to_string(threshold)}). Use dryRun first or increase confirmationThreshold."
        )
    delete_all(ctx, conversations)
    return {
        "deleted": len(conversations),
        "totalMessagesDeleted": messages,
        "conversationIds": [c["conversationId"] for c in conversations],
        "dryRun": False,
    }


@handler(ConversationsDeleteByIdsArgs)
def delete_by_ids(ctx: MutationCtx, args: ConversationsDeleteByIdsArgs) -> Doc:
    """Delete the named conversations that exist; unknown ids are skipped."""
    deleted: list[str] = []
    messages = 0
    for conversation_id in args.conversation_ids:
        conversation = _by_conversation_id(ctx, conversation_id)
        if conversation is not None:
            messages += conversation["messageCount"]
            ctx.db.delete(conversation["_id"])
            deleted.append(conversation_id)
    return {"deleted": len(deleted), "conversationIds": deleted, "totalMessagesDeleted": messages}


@handler(ConversationsPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: ConversationsPurgeAllArgs) -> Doc:
    """Delete every conversation; only on a backend opened with ``allow_purge``."""
    conversations = purge_table(ctx, TABLE)
    return {
        "deleted": len(conversations),
        "totalMessagesDeleted": sum(c["messageCount"] for c in conversations),
    }


@handler(ConversationsGetOrCreateArgs)
def get_or_create(ctx: MutationCtx, args: ConversationsGetOrCreateArgs) -> Doc | None:
    """The conversation between these participants in this space (agent-agent: in any space), else a new one."""
    p = args.participants
    _check_participants(args.type, p)
    existing: Doc | None
    if args.type == "user-agent":
        agent_id = p.agent_id
        existing = (
            _user_in_space(ctx, args.memory_space_id, p.user_id or "")
            .filter(field("participants.agentId") == agent_id)
            .first()
        )
    else:
        existing = _agent_agent(ctx, p.memory_space_ids or [])
    if existing is not None:
        return existing
    now = ctx.now()
    doc_id = ctx.db.insert(
        TABLE,
        {
            "conversationId": new_id("conv", now),
            "memorySpaceId": args.memory_space_id,
            "participantId": opt(args.participant_id),
            "type": args.type,
            "participants": plain(p),
            "messages": [],
            "messageCount": 0,
            "metadata": js.or_(args.metadata, {}),
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return ctx.db.get(doc_id)


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(ConversationsFindConversationArgs)
def find_conversation(ctx: QueryCtx, args: ConversationsFindConversationArgs) -> Doc | None:
    """The user's user-agent conversation in a space, or the agent-agent conversation between the given spaces."""
    if args.type == "user-agent":
        if not args.user_id:
            return None
        result: Doc | None = _user_in_space(ctx, args.memory_space_id, args.user_id).first()
        return result
    if not args.memory_space_ids or len(args.memory_space_ids) < 2:
        return None
    return _agent_agent(ctx, args.memory_space_ids)


@handler(ConversationsGetMessageArgs)
def get_message(ctx: QueryCtx, args: ConversationsGetMessageArgs) -> Doc | None:
    """One message by id, or null."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        return None
    return next((m for m in conversation["messages"] if m["id"] == args.message_id), None)


@handler(ConversationsGetMessagesByIdsArgs)
def get_messages_by_ids(ctx: QueryCtx, args: ConversationsGetMessagesByIdsArgs) -> list[Doc]:
    """The conversation's messages whose ids are listed, in conversation order."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        return []
    wanted = set(args.message_ids)
    return [m for m in conversation["messages"] if m["id"] in wanted]


@handler(ConversationsGetArgs)
def get(ctx: QueryCtx, args: ConversationsGetArgs) -> Doc | None:
    """A conversation (null for another tenant's), optionally without messages or with only the last N."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        return None
    if args.tenant_id and conversation.get("tenantId") != args.tenant_id:
        return None
    if args.include_messages is False:
        return {**conversation, "messages": []}
    limit = args.message_limit
    if limit is not None and limit > 0:
        return {**conversation, "messages": conversation["messages"][int(-limit) :]}
    return conversation


def _list_candidates(ctx: QueryCtx, args: ConversationsListArgs) -> list[Doc]:
    """The index scan ``list`` starts from: tenant (and space) first, then space (and user), user, type."""
    tenant, space, user = args.tenant_id, args.memory_space_id, args.user_id
    query = ctx.db.query(TABLE)
    if tenant and space:
        scan = query.with_index(
            "by_tenant_space", lambda q: q.eq("tenantId", tenant).eq("memorySpaceId", space)
        )
    elif tenant:
        scan = query.with_index("by_tenantId", lambda q: q.eq("tenantId", tenant))
    elif space and user:
        scan = query.with_index(
            "by_memorySpace_user",
            lambda q: q.eq("memorySpaceId", space).eq("participants.userId", user),
        )
    elif space:
        scan = query.with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space))
    elif user:
        scan = query.with_index("by_user", lambda q: q.eq("participants.userId", user))
    elif args.type:
        type_ = args.type
        scan = query.with_index("by_type", lambda q: q.eq("type", type_))
    else:
        scan = query.full_table_scan()
    return scan.collect()


_SORT_KEYS: dict[str, Callable[[Doc], Any]] = {
    "updatedAt": lambda c: c["updatedAt"],
    "lastMessageAt": _last_message_at,
    "messageCount": lambda c: c["messageCount"],
}


@handler(ConversationsListArgs)
def list_(ctx: QueryCtx, args: ConversationsListArgs) -> Doc:
    """Conversations filtered, sorted (``createdAt`` desc by default) and paged (limit 50), with the total."""
    limit = js.or_(args.limit, 50)
    offset = js.or_(args.offset, 0)
    rows = _list_candidates(ctx, args)
    if args.user_id and args.tenant_id:
        rows = [c for c in rows if c["participants"].get("userId") == args.user_id]
    if args.type and (args.tenant_id or args.memory_space_id or args.user_id):
        rows = [c for c in rows if c["type"] == args.type]
    if args.participant_id:
        rows = [c for c in rows if c.get("participantId") == args.participant_id]
    bounds: list[tuple[float | None, Callable[[Doc], Any], Callable[[Any, float], bool]]] = [
        (args.created_before, lambda c: c["createdAt"], lambda a, b: a < b),
        (args.created_after, lambda c: c["createdAt"], lambda a, b: a > b),
        (args.updated_before, lambda c: c["updatedAt"], lambda a, b: a < b),
        (args.updated_after, lambda c: c["updatedAt"], lambda a, b: a > b),
        (args.last_message_before, _last_message_at, lambda a, b: a < b),
        (args.last_message_after, _last_message_at, lambda a, b: a > b),
        (args.message_count_min, lambda c: c["messageCount"], lambda a, b: a >= b),
        (args.message_count_max, lambda c: c["messageCount"], lambda a, b: a <= b),
    ]
    for bound, value_of, keep in bounds:
        if bound is not None:
            rows = [c for c in rows if keep(value_of(c), bound)]
    total = len(rows)
    sort_key = _SORT_KEYS.get(js.or_(args.sort_by, "createdAt"), lambda c: c["createdAt"])
    rows.sort(key=sort_key, reverse=js.or_(args.sort_order, "desc") != "asc")
    rows = page(rows, offset, limit)
    if args.include_messages is False:
        rows = [{**c, "messages": []} for c in rows]
    return {
        "conversations": rows,
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + limit < total,
    }


@handler(ConversationsCountArgs)
def count(ctx: QueryCtx, args: ConversationsCountArgs) -> int:
    """How many conversations match space/user/type."""
    rows = _in_space_or_all(ctx, args.memory_space_id)
    if args.user_id:
        rows = [c for c in rows if c["participants"].get("userId") == args.user_id]
    if args.type:
        rows = [c for c in rows if c["type"] == args.type]
    return len(rows)


@handler(ConversationsGetHistoryArgs)
def get_history(ctx: QueryCtx, args: ConversationsGetHistoryArgs) -> Doc:
    """A page of a conversation's messages, filtered by time and role, oldest first by default."""
    conversation = _by_conversation_id(ctx, args.conversation_id)
    if conversation is None:
        raise ConvexError(NOT_FOUND)
    limit = js.or_(args.limit, 50)
    offset = js.or_(args.offset, 0)
    messages: list[Doc] = list(conversation["messages"])
    messages = within(messages, "timestamp", args.since, args.until, inclusive=True)
    if args.roles:
        roles = set(args.roles)
        messages = [m for m in messages if m["role"] in roles]
    total = len(messages)
    if js.or_(args.sort_order, "asc") == "desc":
        messages.reverse()
    return {
        "messages": page(messages, offset, limit),
        "total": total,
        "hasMore": offset + limit < total,
        "conversationId": conversation["conversationId"],
    }


def _matcher(mode: str, needle: str) -> Callable[[str], bool]:
    if mode == "exact":
        return lambda text: text.lower() == needle
    if mode == "fuzzy":
        words = needle.split()
        return lambda text: all(w in text.lower() for w in words)
    return lambda text: needle in text.lower()


def _highlight(content: str, needle: str) -> str:
    at = content.lower().find(needle)
    if at == -1:
        return content[:60] + ("..." if len(content) > 60 else "")
    return content[max(0, at - 30) : min(len(content), at + len(needle) + 30)]


@handler(ConversationsSearchArgs)
def search(ctx: QueryCtx, args: ConversationsSearchArgs) -> list[Doc]:
    """Conversations whose messages (and/or metadata JSON) match the query, best score first."""
    needle = args.query.lower()
    where = js.or_(args.search_in, "content")
    matches = _matcher(js.or_(args.match_mode, "contains"), needle)
    results: list[Doc] = []
    for c in _in_space_or_all(ctx, args.memory_space_id):
        if args.type and c["type"] != args.type:
            continue
        if args.user_id and c["participants"].get("userId") != args.user_id:
            continue
        if js.truthy(args.date_start) and c["createdAt"] < (args.date_start or 0):
            continue
        if js.truthy(args.date_end) and c["createdAt"] > (args.date_end or 0):
            continue
        matched: list[Doc] = []
        if where in ("content", "both"):
            matched = [m for m in c["messages"] if matches(m["content"])]
        metadata_match = where in ("metadata", "both") and matches(
            js.stringify(js.sorted_value(js.or_(c.get("metadata"), {})))
        )
        if not matched and not metadata_match:
            continue
        score: Any = 0
        if matched and c["messageCount"] > 0:
            score = len(matched) / c["messageCount"]
        if metadata_match:
            score += 0.5
        results.append(
            {
                "conversation": c,
                "matchedMessages": matched,
                "highlights": [_highlight(m["content"], needle) for m in matched[:3]],
                "score": score,
            }
        )
    results.sort(key=lambda r: r["score"], reverse=True)
    return results[: int(js.or_(args.limit, 10))]


@handler(ConversationsExportConversationsArgs)
def export_conversations(ctx: QueryCtx, args: ConversationsExportConversationsArgs) -> Doc:
    """The selected conversations as a JSON document or CSV text."""
    rows = _in_space_or_all(ctx, args.memory_space_id)
    if args.conversation_ids:
        wanted = set(args.conversation_ids)
        rows = [c for c in rows if c["conversationId"] in wanted]
    if args.user_id:
        rows = [c for c in rows if c["participants"].get("userId") == args.user_id]
    if args.type:
        rows = [c for c in rows if c["type"] == args.type]
    if args.date_start:
        start = args.date_start
        rows = [c for c in rows if c["createdAt"] >= start]
    if args.date_end:
        end = args.date_end
        rows = [c for c in rows if c["createdAt"] <= end]
    if args.format == "json":
        items = []
        for c in rows:
            item: Doc = {
                "conversationId": c["conversationId"],
                "type": c["type"],
                "participants": js.sorted_value(c["participants"]),
                "messages": js.sorted_value(c["messages"]),
                "messageCount": c["messageCount"],
                "createdAt": c["createdAt"],
                "updatedAt": c["updatedAt"],
            }
            if args.include_metadata and js.truthy(c.get("metadata")):
                item["metadata"] = js.sorted_value(c["metadata"])
            items.append(item)
        data = js.stringify(items, 2)
    else:
        headers = [
            "conversationId",
            "type",
            "participants",
            "messageCount",
            "createdAt",
            "updatedAt",
        ]
        if args.include_metadata:
            headers.append("metadata")
        lines = [",".join(headers)]
        for c in rows:
            cells = [
                c["conversationId"],
                c["type"],
                js.stringify(js.sorted_value(c["participants"])),
                js.number_to_string(c["messageCount"]),
                js.iso_string(c["createdAt"]),
                js.iso_string(c["updatedAt"]),
            ]
            if args.include_metadata:
                cells.append(js.stringify(js.sorted_value(js.or_(c.get("metadata"), {}))))
            lines.append(",".join(cells))
        data = "\n".join(lines)
    return {"format": args.format, "data": data, "count": len(rows), "exportedAt": ctx.now()}
