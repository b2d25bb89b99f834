"""``memory`` get/store/update/delete/forget/list/count/update_many/delete_many/export/archive and the version
readers: memories and their facts kept in step."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cortex import Cortex, CortexError, ValidationError

from .conftest import WordHashEmbedder


async def remembered(
    client: Cortex, space: str, conversation: str, text: str = "I play chess on Sundays"
) -> Any:
    def extract(user_message: str, agent_response: str) -> list[dict[str, Any]]:
        return [
            {
                "fact": f"Alex: {user_message}",
                "factType": "knowledge",
                "subject": "user-1",
                "predicate": f"said {len(user_message)}",
                "object": user_message,
                "confidence": 80,
            }
        ]

    return await client.memory.remember(
        {
            "memory_space_id": space,
            "conversation_id": conversation,
            "user_message": text,
            "agent_response": "Chess is a great way to spend a Sunday afternoon with friends.",
            "user_id": "user-1",
            "user_name": "Alex",
            "agent_id": "agent-1",
            "extract_facts": extract,
        }
    )


async def test_get_plain_and_enriched(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"g-{space}")
    memory_id = result.memories[0].memory_id
    plain = await client.memory.get(space, memory_id)
    assert plain is not None and plain.memory_id == memory_id  # type: ignore[union-attr]
    enriched = await client.memory.get(space, memory_id, {"include_conversation": True})
    assert enriched.memory.memory_id == memory_id  # type: ignore[union-attr]
    assert enriched.conversation.conversation_id == f"g-{space}"  # type: ignore[union-attr]
    assert [m.role for m in enriched.source_messages] == ["user"]  # type: ignore[union-attr]
    assert [f.fact for f in enriched.facts] == ["Alex: I play chess on Sundays"]  # type: ignore[union-attr]
    assert await client.memory.get(space, "mem-missing") is None
    with pytest.raises(ValidationError):
        await client.memory.get("", memory_id)


async def test_store_with_embedder_and_extract(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    client.memory.configure(embedder=embedder)
    stored = await client.memory.store(
        space,
        {
            "content": "The deploy key rotates monthly",
            "content_type": "raw",
            "source": {"type": "system"},
            "metadata": {"importance": 70, "tags": ["ops"]},
            "extract_facts": lambda content: [
                {"fact": "deploy keys rotate monthly", "factType": "knowledge", "confidence": 90}
            ],
        },
    )
    assert stored.memory.embedding is not None and len(stored.memory.embedding) == 64
    assert [f.fact for f in stored.facts] == ["deploy keys rotate monthly"]
    assert (
        stored.facts[0].source_ref is not None
        and stored.facts[0].source_ref.memory_id == stored.memory.memory_id
    )
    with pytest.raises(ValidationError) as info:
        await client.memory.store(
            space,
            {
                "content": "x",
                "content_type": "raw",
                "source": {"type": "conversation"},
                "metadata": {"importance": 1, "tags": []},
            },
        )
    assert info.value.field == "conversationRef"


async def test_update_reembeds_and_reextracts(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    result = await remembered(client, space, f"u-{space}")
    memory_id = result.memories[0].memory_id
    client.memory.configure(embedder=embedder)
    updated = await client.memory.update(
        space,
        memory_id,
        {"content": "I play go on Sundays"},
        {
            "reextract_facts": True,
            "extract_facts": lambda c: [
                {"fact": "Alex plays go", "factType": "knowledge", "confidence": 85}
            ],
        },
    )
    assert updated.memory.content == "I play go on Sundays" and updated.memory.version == 2
    assert updated.memory.embedding == embedder.embed(["I play go on Sundays"])[0]
    assert [f.fact for f in updated.facts_reextracted or []] == ["Alex plays go"]
    history = await client.memory.get_history(space, memory_id)
    assert [h.version for h in history] == [1, 2]
    v1 = await client.memory.get_version(space, memory_id, 1)
    assert v1 is not None and v1.content == "I play chess on Sundays"
    at = await client.memory.get_at_timestamp(space, memory_id, updated.memory.updated_at)
    assert at is not None and at.version == 2
    with pytest.raises(ValidationError):
        await client.memory.update(space, memory_id, {})


async def test_delete_cascades_to_facts(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"d-{space}")
    memory_id = result.memories[0].memory_id
    deleted = await client.memory.delete(space, memory_id)
    assert (
        deleted.deleted
        and deleted.facts_deleted == 1
        and deleted.fact_ids == [result.facts[0].fact_id]
    )
    assert await client.memory.get(space, memory_id) is None
    # facts are soft-deleted (as upstream): they stop being valid
    assert all(
        f.valid_until is not None for f in await client.facts.list({"memory_space_id": space})
    )
    with pytest.raises(CortexError) as info:
        await client.memory.delete(space, memory_id)
    assert info.value.code == "MEMORY_NOT_FOUND"


async def test_delete_without_cascade_keeps_facts(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"k-{space}")
    await client.memory.delete(space, result.memories[0].memory_id, {"cascade_delete_facts": False})
    facts = await client.facts.list({"memory_space_id": space})
    assert len(facts) == 1 and facts[0].valid_until is None


async def test_forget_with_whole_conversation(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"f-{space}")
    forgotten = await client.memory.forget(
        space,
        result.memories[0].memory_id,
        {"delete_conversation": True, "delete_entire_conversation": True},
    )
    assert (
        forgotten.memory_deleted
        and forgotten.conversation_deleted
        and forgotten.messages_deleted == 2
    )
    assert forgotten.facts_deleted == 1 and not forgotten.restorable
    assert await client.conversations.get(f"f-{space}") is None
    again = await remembered(client, space, f"f-{space}")  # the conversation is created anew
    assert len(again.conversation.message_ids) == 2


async def test_forget_keeps_conversation_by_default(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"fk-{space}")
    forgotten = await client.memory.forget(space, result.memories[1].memory_id)
    assert (
        forgotten.restorable
        and not forgotten.conversation_deleted
        and forgotten.messages_deleted == 0
    )
    assert await client.conversations.get(f"fk-{space}") is not None


async def test_list_count_and_enriched_list(client: Cortex, space: str) -> None:
    await remembered(client, space, f"l1-{space}")
    await remembered(client, space, f"l2-{space}", "I collect stamps")
    listed = await client.memory.list({"memory_space_id": space})
    assert len(listed) == 4
    assert await client.memory.count({"memory_space_id": space}) == 4
    enriched = await client.memory.list({"memory_space_id": space, "enrich_facts": True})
    with_facts = [e for e in enriched if e.facts]  # type: ignore[union-attr]
    assert len(with_facts) == 2


async def test_update_many_and_delete_many(client: Cortex, space: str) -> None:
    await remembered(client, space, f"m1-{space}")
    await remembered(client, space, f"m2-{space}", "I collect stamps")
    updated = await client.memory.update_many(
        {"memory_space_id": space, "user_id": "user-1"}, {"importance": 90}
    )
    assert updated.updated == 4 and updated.facts_affected == 2
    assert {m.importance for m in await client.memory.list({"memory_space_id": space})} == {90}
    deleted = await client.memory.delete_many({"memory_space_id": space, "user_id": "user-1"})
    assert deleted.deleted == 4 and deleted.facts_deleted == 2
    assert await client.memory.count({"memory_space_id": space}) == 0


async def test_export_with_facts(client: Cortex, space: str) -> None:
    await remembered(client, space, f"e-{space}")
    exported = await client.memory.export(
        {"memory_space_id": space, "format": "json", "include_facts": True}
    )
    rows = json.loads(exported.data)
    assert exported.count == 2 and len(rows) == 2
    assert sorted(len(r["facts"]) for r in rows) == [0, 1]
    csv = await client.memory.export({"memory_space_id": space, "format": "csv"})
    assert csv.format == "csv" and csv.count == 2


async def test_archive_marks_facts(client: Cortex, space: str) -> None:
    result = await remembered(client, space, f"a-{space}")
    memory_id = result.memories[0].memory_id
    archived = await client.memory.archive(space, memory_id)
    assert archived.archived and archived.restorable and archived.facts_archived == 1
    old = await client.facts.get(space, result.facts[0].fact_id)
    assert old is not None and old.superseded_by is not None  # facts:update writes a new version
    fact = await client.facts.get(space, old.superseded_by)
    assert fact is not None and "archived" in fact.tags and fact.valid_until is not None
    restored = await client.memory.restore_from_archive(space, memory_id)
    assert restored.restored
    with pytest.raises(CortexError):
        await client.memory.archive(space, "mem-nope")
