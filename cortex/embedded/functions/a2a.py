"""The ``a2a`` Convex module: agent-to-agent messages, stored as ``a2a`` memories in the sender's and the
receiver's memory spaces and (optionally) as messages of an ``agent-agent`` conversation."""

from __future__ import annotations

import re
from typing import Any

from cortex._generated.args.a2a import (
    A2aBroadcastArgs,
    A2aGetConversationArgs,
    A2aRequestArgs,
    A2aSendArgs,
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
from cortex.embedded.functions._common import defined, opt, page, random_base36

MAX_MESSAGE_BYTES = 102400
MAX_RECIPIENTS = 100
INTERNAL_TAGS = frozenset({"a2a", "sent", "received", "broadcast", "request", "pending"})
CONTENT_PREFIX = re.compile(
    r"^(Sent to [^:]+: |Received from [^:]+: |Broadcast to [^:]+: |Broadcast from [^:]+: "
    r"|Request to [^:]+: |Request from [^:]+: )"
)
Doc = dict[str, Any]


def _blank(text: str) -> bool:
    return not text or js.trim(text) == ""


def _check_message(message: str) -> None:
    if _blank(message):
        raise FunctionError("EMPTY_MESSAGE: Message cannot be empty")
    size = len(message.encode("utf-8", "surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise FunctionError(
            f"MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: {size // 1024}KB)"
        )


def _check_importance(importance: float) -> None:
    if importance < 0 or importance > 100:
        raise FunctionError("INVALID_IMPORTANCE: Importance must be between 0 and 100")


def _importance(value: float | None, default: int) -> float:
    return default if value is None else value


def _conversation_id(a: str, b: str) -> str:
    first, second = sorted((a, b), key=js.code_unit_key)
    return f"a2a-conv-{first}-{second}"


def _metadata_tags(metadata: Any) -> list[Any]:
    """``[...(metadata?.tags || [])]``: a string spreads into its characters; other non-iterables fail."""
    tags = metadata.get("tags", UNDEFINED) if isinstance(metadata, dict) else UNDEFINED
    if not js.truthy(tags):
        return []
    if isinstance(tags, list):
        return list(tags)
    if isinstance(tags, str):
        return list(js.spread(tags).values())
    raise FunctionError("TypeError: (intermediate value) is not iterable")


def _append_to_conversation(
    ctx: MutationCtx, sender: str, recipient: str, message: Doc, now: float
) -> str:
    """Add ``message`` to the A2A conversation of the two agents (created on first use); its conversationId."""
    conv_id = _conversation_id(sender, recipient)
    conversation = (
        ctx.db.query("conversations")
        .with_index("by_conversationId", lambda q: q.eq("conversationId", conv_id))
        .first()
    )
    if conversation is None:
        doc_id = ctx.db.insert(
            "conversations",
            {
                "conversationId": conv_id,
                "memorySpaceId": sender,
                "type": "agent-agent",
                "participants": {"memorySpaceIds": [sender, recipient]},
                "messages": [],
                "messageCount": 0,
                "metadata": {"a2a": True, "agents": [sender, recipient]},
                "createdAt": now,
                "updatedAt": now,
            },
        )
        conversation = ctx.db.get(doc_id)
        assert conversation is not None
    ctx.db.patch(
        conversation["_id"],
        {
            "messages": [*conversation["messages"], message],
            "messageCount": js.add(conversation["messageCount"], 1),
            "updatedAt": now,
        },
    )
    return conv_id


def _store_memory(
    ctx: MutationCtx,
    *,
    memory_id: str,
    space: str,
    content: str,
    user_id: str | None,
    conversation: tuple[str, str] | None,
    importance: float,
    tags: list[Any],
    metadata: Doc,
    now: float,
) -> None:
    ctx.db.insert(
        "memories",
        {
            "memoryId": memory_id,
            "memorySpaceId": space,
            "content": content,
            "contentType": "raw",
            "sourceType": "a2a",
            "sourceTimestamp": now,
            "userId": opt(user_id),
            "conversationRef": {"conversationId": conversation[0], "messageIds": [conversation[1]]}
            if conversation is not None
            else UNDEFINED,
            "importance": importance,
            "tags": tags,
            "metadata": metadata,
            "version": 1,
            "previousVersions": [],
            "createdAt": now,
            "updatedAt": now,
            "accessCount": 0,
        },
    )


def _memory_metadata(base: Doc, context_id: str | None, extra: Any) -> Doc:
    metadata = dict(base)
    if context_id is not None:
        metadata["contextId"] = context_id
    return {**metadata, **js.spread(js.or_(extra, {}))}


def _message_metadata(base: Doc, extra: Any) -> Doc:
    return {**base, **js.spread(extra)}


@handler(A2aSendArgs)
def send(ctx: MutationCtx, args: A2aSendArgs) -> Doc:
    """Send a message: an outbound memory for the sender, an inbound one for the receiver and (unless
    ``trackConversation`` is false) a message in their A2A conversation."""
    if _blank(args.from_):
        raise FunctionError("INVALID_AGENT_ID: 'from' agent ID is required")
    if _blank(args.to):
        raise FunctionError("INVALID_AGENT_ID: 'to' agent ID is required")
    _check_message(args.message)
    if args.from_ == args.to:
        raise FunctionError("SAME_AGENT_COMMUNICATION: Cannot send message to self")
    importance = _importance(args.importance, 60)
    _check_importance(importance)
    metadata = args.metadata if "metadata" in args.model_fields_set else UNDEFINED
    now = ctx.now()
    message_id = f"a2a-msg-{js.number_to_string(now)}-{random_base36(9)}"
    conversation: tuple[str, str] | None = None
    if args.track_conversation is not False:
        acid_id = f"a2a-acid-{js.number_to_string(now)}-{random_base36(9)}"
        message = {
            "id": acid_id,
            "role": "agent",
            "content": args.message,
            "participantId": args.from_,
            "metadata": _message_metadata(
                {
                    "fromAgent": args.from_,
                    "toAgent": args.to,
                    "messageId": message_id,
                    "timestamp": now,
                },
                metadata,
            ),
            "timestamp": now,
        }
        conversation = (_append_to_conversation(ctx, args.from_, args.to, message, now), acid_id)
    extra_tags = _metadata_tags(metadata)
    common = {"fromAgent": args.from_, "toAgent": args.to, "messageId": message_id}
    sender_memory_id = f"mem-a2a-{js.number_to_string(now)}-{random_base36(9)}"
    _store_memory(
        ctx,
        memory_id=sender_memory_id,
        space=args.from_,
        content=f"Sent to {args.to}: {args.message}",
        user_id=args.user_id,
        conversation=conversation,
        importance=importance,
        tags=["a2a", "sent", args.to, *extra_tags],
        metadata=_memory_metadata({"direction": "outbound", **common}, args.context_id, metadata),
        now=now,
    )
    receiver_memory_id = f"mem-a2a-{js.number_to_string(now + 1)}-{random_base36(9)}"
    _store_memory(
        ctx,
        memory_id=receiver_memory_id,
        space=args.to,
        content=f"Received from {args.from_}: {args.message}",
        user_id=args.user_id,
        conversation=conversation,
        importance=importance,
        tags=["a2a", "received", args.from_, *extra_tags],
        metadata=_memory_metadata({"direction": "inbound", **common}, args.context_id, metadata),
        now=now,
    )
    result: Doc = {"messageId": message_id, "sentAt": now}
    if conversation is not None:
        result |= {"conversationId": conversation[0], "acidMessageId": conversation[1]}
    return result | {"senderMemoryId": sender_memory_id, "receiverMemoryId": receiver_memory_id}


@handler(A2aRequestArgs)
def request(ctx: MutationCtx, args: A2aRequestArgs) -> Doc:
    """Request/response needs pub/sub, which no backend here has: after validating, this always fails with
    ``PUBSUB_NOT_CONFIGURED`` (a ``ConvexError``) and stores nothing, as upstream (whose writes roll back)."""
    if _blank(args.from_):
        raise FunctionError("INVALID_AGENT_ID: 'from' agent ID is required")
    if _blank(args.to):
        raise FunctionError("INVALID_AGENT_ID: 'to' agent ID is required")
    _check_message(args.message)
    if args.from_ == args.to:
        raise FunctionError("SAME_AGENT_COMMUNICATION: Cannot send request to self")
    timeout = args.timeout if args.timeout is not None else 30000
    if timeout < 1000 or timeout > 300000:
        raise FunctionError("INVALID_TIMEOUT: Timeout must be between 1000ms and 300000ms")
    _check_importance(_importance(args.importance, 70))
    message_id = f"a2a-req-{js.number_to_string(ctx.now())}-{random_base36(9)}"
    raise ConvexError(
        "PUBSUB_NOT_CONFIGURED: request() requires pub/sub infrastructure for real-time responses. "
        "In Direct Mode, configure your own Redis/RabbitMQ/NATS adapter. "
        "In Cloud Mode, pub/sub is included automatically. "
        f"Request stored with messageId: {message_id}"
    )


def _check_broadcast(args: A2aBroadcastArgs) -> None:
    if _blank(args.from_):
        raise FunctionError("INVALID_AGENT_ID: 'from' agent ID is required")
    _check_message(args.message)
    if not args.to:
        raise FunctionError("EMPTY_RECIPIENTS: Recipients array cannot be empty")
    if len(args.to) > MAX_RECIPIENTS:
        raise FunctionError("TOO_MANY_RECIPIENTS: Maximum 100 recipients allowed")
    if len(set(args.to)) != len(args.to):
        raise FunctionError("DUPLICATE_RECIPIENTS: Recipients array contains duplicates")
    if args.from_ in args.to:
        raise FunctionError("INVALID_RECIPIENT: Sender cannot be in recipients list")
    if any(_blank(r) for r in args.to):
        raise FunctionError("INVALID_AGENT_ID: All recipient IDs must be non-empty")


@handler(A2aBroadcastArgs)
def broadcast(ctx: MutationCtx, args: A2aBroadcastArgs) -> Doc:
    """Send one message to up to 100 agents: per recipient, what ``send`` stores (with broadcast tags and ids)."""
    _check_broadcast(args)
    importance = _importance(args.importance, 60)
    _check_importance(importance)
    metadata = args.metadata if "metadata" in args.model_fields_set else UNDEFINED
    now = ctx.now()
    stamp = js.number_to_string(now)
    broadcast_id = f"a2a-broadcast-{stamp}-{random_base36(9)}"
    track = args.track_conversation is not False
    sender_ids: list[str] = []
    receiver_ids: list[str] = []
    conversation_ids: list[str] = []
    for i, recipient in enumerate(args.to):
        message_id = f"{broadcast_id}-{i}"
        common = {
            "fromAgent": args.from_,
            "toAgent": recipient,
            "messageId": message_id,
            "broadcastId": broadcast_id,
            "broadcast": True,
        }
        conversation: tuple[str, str] | None = None
        if track:
            acid_id = f"a2a-acid-{stamp}-{i}-{random_base36(5)}"
            message = {
                "id": acid_id,
                "role": "agent",
                "content": args.message,
                "participantId": args.from_,
                "metadata": _message_metadata({**common, "timestamp": now}, metadata),
                "timestamp": now,
            }
            conversation = (
                _append_to_conversation(ctx, args.from_, recipient, message, now),
                acid_id,
            )
            conversation_ids.append(conversation[0])
        extra_tags = _metadata_tags(metadata)
        sender_memory_id = f"mem-a2a-bc-{stamp}-{i}-s-{random_base36(5)}"
        _store_memory(
            ctx,
            memory_id=sender_memory_id,
            space=args.from_,
            content=f"Broadcast to {recipient}: {args.message}",
            user_id=args.user_id,
            conversation=conversation,
            importance=importance,
            tags=["a2a", "broadcast", "sent", recipient, *extra_tags],
            metadata=_memory_metadata(
                {"direction": "outbound", **common}, args.context_id, metadata
            ),
            now=now,
        )
        sender_ids.append(sender_memory_id)
        receiver_memory_id = f"mem-a2a-bc-{stamp}-{i}-r-{random_base36(5)}"
        _store_memory(
            ctx,
            memory_id=receiver_memory_id,
            space=recipient,
            content=f"Broadcast from {args.from_}: {args.message}",
            user_id=args.user_id,
            conversation=conversation,
            importance=importance,
            tags=["a2a", "broadcast", "received", args.from_, *extra_tags],
            metadata=_memory_metadata(
                {"direction": "inbound", **common}, args.context_id, metadata
            ),
            now=now,
        )
        receiver_ids.append(receiver_memory_id)
    result: Doc = {
        "messageId": broadcast_id,
        "sentAt": now,
        "recipients": list(args.to),
        "senderMemoryIds": sender_ids,
        "receiverMemoryIds": receiver_ids,
        "memoriesCreated": len(sender_ids) + len(receiver_ids),
    }
    if track:
        result["conversationIds"] = conversation_ids
    return result


def _check_conversation_args(args: A2aGetConversationArgs) -> tuple[float, float]:
    if _blank(args.agent1):
        raise FunctionError("INVALID_AGENT_ID: 'agent1' is required")
    if _blank(args.agent2):
        raise FunctionError("INVALID_AGENT_ID: 'agent2' is required")
    limit = args.limit if args.limit is not None else 100
    if limit <= 0 or limit > 1000:
        raise FunctionError("INVALID_LIMIT: Limit must be between 1 and 1000")
    offset = args.offset if args.offset is not None else 0
    if offset < 0:
        raise FunctionError("INVALID_OFFSET: Offset cannot be negative")
    if js.truthy(args.since) and js.truthy(args.until) and (args.since or 0) > (args.until or 0):
        raise FunctionError("INVALID_DATE_RANGE: 'since' must be before 'until'")
    if args.min_importance is not None and not 0 <= args.min_importance <= 100:
        raise FunctionError("INVALID_IMPORTANCE: minImportance must be between 0 and 100")
    return limit, offset


def _between(memory: Doc, a: str, b: str) -> bool:
    if memory.get("sourceType") != "a2a":
        return False
    meta = memory.get("metadata", UNDEFINED)
    if not js.truthy(meta) or not isinstance(meta, dict):
        return False
    sender, receiver = meta.get("fromAgent"), meta.get("toAgent")
    return (sender == a and receiver == b) or (sender == b and receiver == a)


def _as_message(memory: Doc, agent1: str, agent2: str) -> Doc:
    meta = memory.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    ref = memory.get("conversationRef")
    ref_ids = ref.get("messageIds") if isinstance(ref, dict) else None
    message: Doc = {
        "from": js.or_(meta.get("fromAgent"), agent1),
        "to": js.or_(meta.get("toAgent"), agent2),
        "message": CONTENT_PREFIX.sub("", memory["content"], count=1),
        "importance": memory["importance"],
        "timestamp": memory["createdAt"],
        "messageId": js.or_(meta.get("messageId"), memory["memoryId"]),
        "memoryId": memory["memoryId"],
        "acidMessageId": ref_ids[0] if ref_ids else UNDEFINED,
        "tags": [
            t for t in memory["tags"] if t not in INTERNAL_TAGS and t != agent1 and t != agent2
        ],
        "direction": meta.get("direction", UNDEFINED),
        "broadcast": meta.get("broadcast", UNDEFINED),
        "broadcastId": meta.get("broadcastId", UNDEFINED),
    }
    return defined(message)


@handler(A2aGetConversationArgs)
def get_conversation(ctx: QueryCtx, args: A2aGetConversationArgs) -> Doc:
    """The A2A messages between two agents as seen from ``agent1``'s memory space, filtered by time,
    importance, tags and user, oldest first, paginated (``limit`` 1–1000, default 100)."""
    limit, offset = _check_conversation_args(args)
    agent1, agent2 = args.agent1, args.agent2
    conv_id = _conversation_id(agent1, agent2)
    conversation = (
        ctx.db.query("conversations")
        .with_index("by_conversationId", lambda q: q.eq("conversationId", conv_id))
        .first()
    )
    memories = [
        m
        for m in ctx.db.query("memories")
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", agent1))
        .collect()
        if _between(m, agent1, agent2)
    ]
    if js.truthy(args.since):
        memories = [m for m in memories if m["createdAt"] >= (args.since or 0)]
    if js.truthy(args.until):
        memories = [m for m in memories if m["createdAt"] <= (args.until or 0)]
    if args.min_importance is not None:
        memories = [m for m in memories if m["importance"] >= (args.min_importance or 0)]
    if args.tags:
        wanted = args.tags
        memories = [m for m in memories if any(t in m["tags"] for t in wanted)]
    if args.user_id:
        memories = [m for m in memories if m.get("userId") == args.user_id]
    memories.sort(key=lambda m: m["createdAt"])
    messages = [_as_message(m, agent1, agent2) for m in page(memories, offset, limit)]
    stamps = [m["timestamp"] for m in messages]
    now = ctx.now()
    tags: dict[str, None] = {}
    for message in messages:
        tags.update(dict.fromkeys(message["tags"]))
    result: Doc = {"participants": [agent1, agent2]}
    if conversation is not None:
        result["conversationId"] = conv_id
    result |= {
        "messageCount": len(memories),
        "messages": messages,
        "period": {"start": min(stamps), "end": max(stamps)}
        if stamps
        else {"start": now, "end": now},
    }
    if tags:
        result["tags"] = list(tags)
    result["canRetrieveFullHistory"] = conversation is not None
    return result
