"""``memory.remember``: every layer written, embeddings from the configured embedder, fact extraction inline,
in the background or skipped, supplied facts, validation; in-process and over ``cortex serve``."""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any

import pytest

from cortex import Cortex, CortexConfig, ValidationError

from .conftest import WordHashEmbedder


def exchange(space: str, conversation: str = "conv-1", **extra: Any) -> dict[str, Any]:
    return {
        "memory_space_id": space,
        "conversation_id": conversation,
        "user_message": "My favourite colour is teal and I live in Lisbon",
        "agent_response": "Teal is a lovely colour; Lisbon must be sunny this time of year.",
        "user_id": "user-1",
        "user_name": "Alex",
        "agent_id": "agent-1",
        **extra,
    }


async def test_remember_writes_conversation_and_memories(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    client.memory.configure(embedder=embedder)
    result = await client.memory.remember(exchange(space, f"conv-{space}"))

    conversation = await client.conversations.get(f"conv-{space}")
    assert conversation is not None and conversation.memory_space_id == space
    assert [m.role for m in conversation.messages] == ["user", "agent"]
    assert [m.id for m in conversation.messages] == result.conversation.message_ids
    assert await client.memory_spaces.get(space) is not None

    assert [m.message_role for m in result.memories] == ["user", "agent"]
    for memory in result.memories:
        assert memory.embedding is not None and len(memory.embedding) == WordHashEmbedder.dimensions
        assert memory.conversation_ref is not None
        assert memory.conversation_ref.conversation_id == f"conv-{space}"
        stored = await client.memory.get(space, memory.memory_id)
        assert stored is not None and stored.content == memory.content
    assert embedder.calls == 1  # both texts in one batch
    assert result.facts == [] and result.fact_revisions is None


async def test_embedder_from_the_config(space: str, embedder: WordHashEmbedder) -> None:
    async with Cortex(CortexConfig(local_path=":memory:", embedder=embedder)) as client:
        result = await client.memory.remember(exchange(space))
    assert embedder.calls == 1
    assert all(len(m.embedding or []) == WordHashEmbedder.dimensions for m in result.memories)


async def test_second_exchange_appends_to_the_same_conversation(client: Cortex, space: str) -> None:
    await client.memory.remember(exchange(space, f"c-{space}"))
    await client.memory.remember(exchange(space, f"c-{space}", user_message="And I have a cat"))
    conversation = await client.conversations.get(f"c-{space}")
    assert conversation is not None and conversation.message_count == 4
    assert await client.memory.count({"memory_space_id": space}) == 4


async def test_acknowledgements_get_no_memory_of_their_own(client: Cortex, space: str) -> None:
    result = await client.memory.remember(exchange(space, agent_response="Got it, noted!"))
    assert [m.message_role for m in result.memories] == ["user"]
    assert len(result.conversation.message_ids) == 2


async def test_without_embedder_memories_have_no_vector(client: Cortex, space: str) -> None:
    result = await client.memory.remember(exchange(space))
    assert all(m.embedding is None for m in result.memories)


async def test_generate_embedding_callback_wins_and_dimensions_come_from_data(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    client.memory.configure(embedder=embedder)

    async def three_dims(text: str) -> list[float]:
        return [float(len(text)), 1.0, 0.5]

    result = await client.memory.remember(exchange(space, generate_embedding=three_dims))
    assert [len(m.embedding or []) for m in result.memories] == [3, 3]
    assert embedder.calls == 0


async def test_agent_only_exchange(client: Cortex, space: str) -> None:
    result = await client.memory.remember(
        {
            "memory_space_id": space,
            "conversation_id": f"a-{space}",
            "user_message": "status report?",
            "agent_response": "All systems nominal, three jobs queued for tonight.",
            "agent_id": "agent-7",
        }
    )
    assert len(result.memories) == 2 and all(m.user_id is None for m in result.memories)
    conversation = await client.conversations.get(f"a-{space}")
    assert conversation is not None and conversation.type == "agent-agent"


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"user_id": None, "agent_id": None}, "OWNER_REQUIRED"),
        ({"agent_id": None}, "AGENT_REQUIRED_FOR_USER_CONVERSATION"),
        ({"user_name": None}, "MISSING_REQUIRED_FIELD"),
        ({"memory_space_id": "  "}, "INVALID_MEMORYSPACE_ID"),
        ({"user_message": ""}, "MISSING_REQUIRED_FIELD"),
        ({"importance": 101}, "INVALID_IMPORTANCE"),
    ],
)
async def test_invalid_params_are_rejected_before_anything_is_stored(
    patch: dict[str, Any], code: str, space: str
) -> None:
    async with Cortex(local_path=":memory:") as c:
        params = {k: v for k, v in {**exchange(space), **patch}.items() if v is not None}
        with pytest.raises(ValidationError) as info:
            await c.memory.remember(params)
        assert info.value.code == code
        assert await c.memory_spaces.get(space) is None


def extractor(user_message: str, agent_response: str) -> list[dict[str, Any]]:
    facts = []
    if "teal" in user_message:
        facts.append(
            {
                "fact": "Alex's favourite colour is teal",
                "factType": "preference",
                "subject": "user-1",
                "predicate": "favorite color",
                "object": "teal",
                "confidence": 90,
            }
        )
    if "Lisbon" in user_message:
        facts.append(
            {
                "fact": "Alex lives in Lisbon",
                "factType": "identity",
                "subject": "user-1",
                "predicate": "lives in",
                "object": "Lisbon",
                "confidence": 90,
            }
        )
    return facts


async def test_inline_extraction_stores_facts_linked_to_the_exchange(
    client: Cortex, space: str
) -> None:
    result = await client.memory.remember(exchange(space, f"x-{space}", extract_facts=extractor))
    assert sorted(f.fact for f in result.facts) == [
        "Alex lives in Lisbon",
        "Alex's favourite colour is teal",
    ]
    assert [r.action for r in result.fact_revisions or []] == ["ADD", "ADD"]
    for fact in result.facts:
        assert fact.source_ref is not None
        assert fact.source_ref.conversation_id == f"x-{space}"
        assert fact.source_ref.memory_id == result.memories[0].memory_id
        assert fact.source_ref.message_ids == result.conversation.message_ids
    assert len(await client.facts.list({"memory_space_id": space})) == 2


async def test_skip_extraction(client: Cortex, space: str) -> None:
    result = await client.memory.remember(exchange(space, extract_facts=extractor), extract="skip")
    assert result.facts == []
    assert await client.facts.list({"memory_space_id": space}) == []


async def test_background_extraction_does_not_delay_remember(client: Cortex, space: str) -> None:
    release = asyncio.Event()

    async def slow_extractor(user_message: str, agent_response: str) -> list[dict[str, Any]]:
        await release.wait()
        return extractor(user_message, agent_response)

    result = await client.memory.remember(
        exchange(space, extract_facts=slow_extractor), extract="background"
    )
    # remember returned while the extractor is still blocked: messages and memories are stored, facts not yet.
    assert len(result.memories) == 2 and result.facts == []
    assert await client.facts.list({"memory_space_id": space}) == []
    release.set()
    assert await client.memory.wait_background() == []
    assert len(await client.facts.list({"memory_space_id": space})) == 2


async def test_closing_the_client_finishes_background_extraction(
    tmp_path: pathlib.Path, space: str
) -> None:
    db = str(tmp_path / "store.db")

    async def slow_extractor(user_message: str, agent_response: str) -> list[dict[str, Any]]:
        await asyncio.sleep(0.2)
        return extractor(user_message, agent_response)

    async with Cortex(CortexConfig(local_path=db)) as writer:
        result = await writer.memory.remember(
            exchange(space, extract_facts=slow_extractor), extract="background"
        )
        assert result.facts == []
    # the block's exit closed the client, which waited for the extraction before closing the store
    async with Cortex(CortexConfig(local_path=db)) as reader:
        assert len(await reader.facts.list({"memory_space_id": space})) == 2


async def test_background_errors_are_reported(client: Cortex, space: str) -> None:
    def broken(user_message: str, agent_response: str) -> list[dict[str, Any]]:
        raise RuntimeError("extractor exploded")

    await client.memory.remember(exchange(space, extract_facts=broken), extract="background")
    errors = await client.memory.wait_background()
    assert [str(e) for e in errors] == ["extractor exploded"]


async def test_supplied_facts_need_no_extractor(client: Cortex, space: str) -> None:
    supplied = [
        {
            "fact": "Alex plays the cello",
            "factType": "knowledge",
            "subject": "user-1",
            "predicate": "plays",
            "object": "cello",
            "confidence": 80,
        }
    ]
    result = await client.memory.remember(exchange(space), facts=supplied, extract="skip")
    assert [f.fact for f in result.facts] == ["Alex plays the cello"]


async def test_client_wide_extractor(client: Cortex, space: str) -> None:
    client.memory.configure(fact_extractor=extractor)
    result = await client.memory.remember(exchange(space))
    assert len(result.facts) == 2
    client.memory.configure(fact_extractor=None)
    again = await client.memory.remember(exchange(space, "conv-2"))
    assert again.facts == []


async def test_observer_sees_each_layer(client: Cortex, space: str) -> None:
    seen: list[str] = []
    done: list[Any] = []
    observer = {
        "on_orchestration_start": lambda oid: seen.append(f"start:{oid[:5]}"),
        "on_layer_update": lambda event: seen.append(f"{event.layer}:{event.status}"),
        "on_orchestration_complete": lambda summary: done.append(summary),
    }
    await client.memory.remember(exchange(space, observer=observer))
    assert seen == [
        "start:orch-",
        "memorySpace:complete",
        "conversation:complete",
        "vector:complete",
        "facts:complete",
    ]
    assert len(done[0]["createdIds"]["memoryIds"]) == 2


async def test_skip_layers(client: Cortex, space: str) -> None:
    result = await client.memory.remember(
        exchange(space, f"s-{space}", skip_layers=["conversations"])
    )
    assert result.conversation.message_ids == []
    assert await client.conversations.get(f"s-{space}") is None
    assert all(m.conversation_ref is None for m in result.memories)
