"""Seeding for the users/agents orchestration tests: one owner's records in every layer, through the public SDK.

``seed_user``/``seed_user_sync`` give a user a profile, a conversation with two messages, an immutable record, a
mutable key, two memories, a fact, a session and a context in ``space``. ``snapshot``/``snapshot_sync`` read back
what the user owns, layer by layer, as comparable values (ids the backend assigns are left out). ``IdThief`` is
a real transport on which another client takes a conversation id while a cascade runs.
"""

from __future__ import annotations

from typing import Any

from cortex import Cortex, CortexConfig

from .rest_support import RecordingAsyncTransport

PREFS = "user-preferences"


def _memory(user: str, text: str, agent: str | None) -> dict[str, Any]:
    memory: dict[str, Any] = {
        "content": text,
        "contentType": "raw",
        "userId": user,
        "source": {"type": "conversation", "userId": user},
        "metadata": {"importance": 60, "tags": ["seed"]},
    }
    if agent is not None:
        memory["participantId"] = agent
    return memory


def _fact(user: str, space: str, agent: str | None) -> dict[str, Any]:
    fact: dict[str, Any] = {
        "memorySpaceId": space,
        "userId": user,
        "fact": f"{user} prefers tea",
        "factType": "preference",
        "subject": user,
        "predicate": "prefers",
        "object": "tea",
        "confidence": 90,
        "sourceType": "conversation",
        "tags": ["drinks"],
    }
    if agent is not None:
        fact["participantId"] = agent
    return fact


def _conversation(user: str, space: str, agent: str) -> dict[str, Any]:
    return {
        "memorySpaceId": space,
        "type": "user-agent",
        "participants": {"userId": user, "agentId": agent, "participantId": agent},
    }


async def seed_user(
    client: Any, user: str, space: str, agent: str = "agent-seed"
) -> dict[str, Any]:
    """Records of ``user`` in every layer; returns their ids."""
    await client.users.update(
        user, {"displayName": f"Name of {user}", "email": f"{user}@example.com"}
    )
    conv = await client.conversations.create(_conversation(user, space, agent))
    for role, text in (("user", "hello"), ("agent", "hi there")):
        await client.conversations.add_message(
            {"conversationId": conv.conversation_id, "message": {"role": role, "content": text}}
        )
    await client.immutable.store(
        {"type": "note", "id": f"note-{user}", "data": {"text": "private"}, "userId": user}
    )
    await client.mutable.set(PREFS, f"theme-{user}", "dark", user)
    for text in ("likes tea", "lives in Lyon"):
        await client.vector.store(space, _memory(user, text, agent))
    fact = await client.facts.store(_fact(user, space, agent))
    session = await client.sessions.create({"userId": user, "memorySpaceId": space})
    context = await client.contexts.create(
        {"purpose": "plan a trip", "memorySpaceId": space, "userId": user}
    )
    return {
        "conversation": conv.conversation_id,
        "fact": fact.fact_id,
        "session": session.session_id,
        "context": context.context_id,
    }


def seed_user_sync(client: Any, user: str, space: str, agent: str = "agent-seed") -> dict[str, Any]:
    """``seed_user`` for a ``SyncCortex``."""
    client.users.update(user, {"displayName": f"Name of {user}", "email": f"{user}@example.com"})
    conv = client.conversations.create(_conversation(user, space, agent))
    for role, text in (("user", "hello"), ("agent", "hi there")):
        client.conversations.add_message(
            {"conversationId": conv.conversation_id, "message": {"role": role, "content": text}}
        )
    client.immutable.store(
        {"type": "note", "id": f"note-{user}", "data": {"text": "private"}, "userId": user}
    )
    client.mutable.set(PREFS, f"theme-{user}", "dark", user)
    for text in ("likes tea", "lives in Lyon"):
        client.vector.store(space, _memory(user, text, agent))
    fact = client.facts.store(_fact(user, space, agent))
    session = client.sessions.create({"userId": user, "memorySpaceId": space})
    context = client.contexts.create(
        {"purpose": "plan a trip", "memorySpaceId": space, "userId": user}
    )
    return {
        "conversation": conv.conversation_id,
        "fact": fact.fact_id,
        "session": session.session_id,
        "context": context.context_id,
    }


def _conversations_view(result: Any) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return sorted(
        (c.conversation_id, [(m.id, m.role, m.content) for m in c.messages])
        for c in result.conversations
    )


async def snapshot(client: Any, user: str, space: str) -> dict[str, Any]:
    """What ``user`` owns, per layer, as plain comparable values."""
    profile = await client.users.get(user)
    return {
        "profile": profile.data if profile else None,
        "conversations": _conversations_view(await client.conversations.list({"userId": user})),
        "immutable": (await client.immutable.get("note", f"note-{user}") or _Absent).data,
        "mutable": await client.mutable.get(PREFS, f"theme-{user}"),
        "memories": sorted(
            m.content for m in await client.vector.list({"memorySpaceId": space, "userId": user})
        ),
        "facts": sorted(
            f.fact for f in await client.facts.list({"memorySpaceId": space, "userId": user})
        ),
        "sessions": sorted(s.session_id for s in await client.sessions.list({"userId": user})),
        "contexts": sorted(c.purpose for c in await client.contexts.list({"userId": user})),
    }


def snapshot_sync(client: Any, user: str, space: str) -> dict[str, Any]:
    """``snapshot`` for a ``SyncCortex``."""
    profile = client.users.get(user)
    return {
        "profile": profile.data if profile else None,
        "conversations": _conversations_view(client.conversations.list({"userId": user})),
        "immutable": (client.immutable.get("note", f"note-{user}") or _Absent).data,
        "mutable": client.mutable.get(PREFS, f"theme-{user}"),
        "memories": sorted(
            m.content for m in client.vector.list({"memorySpaceId": space, "userId": user})
        ),
        "facts": sorted(
            f.fact for f in client.facts.list({"memorySpaceId": space, "userId": user})
        ),
        "sessions": sorted(s.session_id for s in client.sessions.list({"userId": user})),
        "contexts": sorted(c.purpose for c in client.contexts.list({"userId": user})),
    }


class _Absent:
    data = None


EMPTY = {
    "profile": None,
    "conversations": [],
    "immutable": None,
    "mutable": None,
    "memories": [],
    "facts": [],
    "sessions": [],
    "contexts": [],
}


class IdThief(RecordingAsyncTransport):
    """A real transport; before the cascade deletes contexts, another client takes the deleted conversation's id."""

    def __init__(self, inner: Any, conversation_id: str) -> None:
        super().__init__(inner)
        self.conversation_id = conversation_id

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        if path.startswith("contexts:delete") and not any(
            p.startswith("contexts:delete") for p in self.paths
        ):
            other = Cortex(CortexConfig(), transport=self.inner)
            await other.conversations.create(
                {
                    "conversationId": self.conversation_id,
                    "memorySpaceId": "thief-space",
                    "type": "user-agent",
                    "participants": {"userId": "thief", "agentId": "thief-agent"},
                }
            )
        return await super().call(kind, path, args, options=options)
