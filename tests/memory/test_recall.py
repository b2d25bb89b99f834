"""``memory.recall`` and ``memory.search``: hybrid retrieval fused by reciprocal rank fusion, modes, scoping,
reranker hook, token budget, conversation enrichment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cortex import Cortex, ValidationError
from cortex._async.recall import estimate_tokens, format_context, rrf
from cortex._generated.namespaces.conversations import ConversationsBase
from cortex._generated.namespaces.memory_spaces import MemorySpacesBase

from .conftest import WordHashEmbedder

LINES = [
    ("I adopted a beagle named Biscuit", "Beagles are wonderful dogs with lots of energy."),
    ("My sister Maria is a pediatric nurse", "Nursing children must be rewarding work for her."),
    (
        "I am training for the Berlin marathon in September",
        "Long slow runs will build your endurance.",
    ),
    ("I'm allergic to peanuts", "I'll keep peanuts out of any recipe suggestions."),
]


async def seed(
    client: Cortex, space: str, embedder: WordHashEmbedder, *, tenant: str | None = None
) -> None:
    client.memory.configure(embedder=embedder)
    for i, (user, agent) in enumerate(LINES):
        params: dict[str, Any] = {
            "memory_space_id": space,
            "conversation_id": f"conv-{space}-{i}",
            "user_message": user,
            "agent_response": agent,
            "user_id": "user-1",
            "user_name": "Alex",
            "agent_id": "agent-1",
        }
        if tenant is not None:
            params["tenant_id"] = tenant
        await client.memory.remember(params)
    await client.facts.store(
        {
            "memory_space_id": space,
            "fact": "Alex is allergic to peanuts",
            "fact_type": "identity",
            "subject": "user-1",
            "predicate": "allergic to",
            "object": "peanuts",
            "confidence": 95,
            "source_type": "manual",
            "tags": [],
        }
    )


def test_rrf_sums_reciprocal_ranks() -> None:
    scores = rrf([["a", "b", "c"], ["c", "a"]], k=60)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert sorted(scores, key=lambda key: -scores[key]) == ["a", "c", "b"]


def test_format_context_respects_token_budget() -> None:
    items = [{"type": "fact", "content": "fact one"}] + [
        {"type": "memory", "content": f"memory number {i} " + "x" * 40} for i in range(10)
    ]
    full = format_context(items)
    assert full.startswith("## Known facts\n- fact one\n## Relevant memories\n")
    short = format_context(items, token_budget=40)
    assert sum(estimate_tokens(line) + 1 for line in short.splitlines()) <= 40
    assert short.count("- ") < full.count("- ")


async def test_hybrid_recall_finds_memories_and_facts(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    result = await client.memory.recall(
        {"memory_space_id": space, "query": "peanuts allergy", "limit": 5}
    )
    assert result.items, "nothing recalled"
    assert {i.type for i in result.items} == {"memory", "fact"}
    assert "peanuts" in result.items[0].content.lower()
    fact_items = [i for i in result.items if i.type == "fact"]
    assert fact_items[0].fact is not None and fact_items[0].fact.object == "peanuts"
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1
    assert result.context is not None and "## Known facts" in result.context
    assert result.sources.facts.count >= 1 and result.sources.vector.count >= 1
    memory_item = next(i for i in result.items if i.type == "memory")
    assert memory_item.conversation is not None
    assert [m.content for m in memory_item.source_messages or []] == [memory_item.content]


async def test_vector_only_and_keyword_only(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    vector = await client.memory.recall(
        {"memory_space_id": space, "query": "marathon training"}, mode="vector"
    )
    assert vector.items and all(i.type == "memory" for i in vector.items)
    assert "marathon" in vector.items[0].content
    keyword = await client.memory.recall(
        {"memory_space_id": space, "query": "biscuit"}, mode="keyword"
    )
    assert [i.content for i in keyword.items] == ["I adopted a beagle named Biscuit"]
    with pytest.raises(ValidationError):
        await client.memory.recall({"memory_space_id": space, "query": "x"}, mode="magic")  # type: ignore[arg-type]


async def test_recall_is_scoped_to_the_space(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    other = await client.memory.recall({"memory_space_id": space + "-other", "query": "peanuts"})
    assert other.items == [] and other.total_results == 0


async def test_recall_is_scoped_to_the_tenant(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder, tenant="tenant-a")
    mine = await client.memory.recall(
        {"memory_space_id": space, "query": "beagle", "tenant_id": "tenant-a"}
    )
    assert any("beagle" in i.content for i in mine.items)
    theirs = await client.memory.recall(
        {"memory_space_id": space, "query": "beagle", "tenant_id": "tenant-b"}
    )
    assert [i for i in theirs.items if i.type == "memory"] == []


async def test_reranker_hook_reorders(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    calls: list[tuple[str, int]] = []

    async def prefer_short(query: str, texts: list[str]) -> list[float]:
        calls.append((query, len(texts)))
        return [-float(len(t)) for t in texts]

    result = await client.memory.recall(
        {"memory_space_id": space, "query": "peanuts beagle"}, reranker=prefer_short
    )
    lengths = [len(i.content) for i in result.items]
    assert lengths == sorted(lengths) and calls and calls[0][0] == "peanuts beagle"


async def test_recall_token_budget_and_flags(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    tight = await client.memory.recall(
        {"memory_space_id": space, "query": "peanuts beagle marathon"}, token_budget=20
    )
    assert tight.context is not None and estimate_tokens(tight.context) <= 24
    bare = await client.memory.recall(
        {
            "memory_space_id": space,
            "query": "beagle",
            "format_for_llm": False,
            "include_conversation": False,
            "sources": {"facts": False},
        }
    )
    assert bare.context is None and all(
        i.conversation is None and i.type == "memory" for i in bare.items
    )


async def test_recall_validation(client: Cortex) -> None:
    with pytest.raises(ValidationError):
        await client.memory.recall({"memory_space_id": "", "query": "x"})
    with pytest.raises(ValidationError):
        await client.memory.recall({"memory_space_id": "s", "query": "  "})


async def test_search_by_meaning_and_enriched(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    await seed(client, space, embedder)
    found = await client.memory.search(space, "my sister Maria", {"limit": 2})
    assert "Maria" in found[0].content  # type: ignore[union-attr]
    enriched = await client.memory.search(
        space, "beagle", {"enrich_conversation": True, "limit": 1}
    )
    first = enriched[0]
    assert first.memory.content.startswith("I adopted")  # type: ignore[union-attr]
    assert first.conversation is not None and first.source_messages  # type: ignore[union-attr]


async def test_tenant_reaches_space_conversation_and_memories(client: Cortex, space: str) -> None:
    await client.memory.remember(
        {
            "memory_space_id": space,
            "conversation_id": f"t-{space}",
            "user_message": "I like jazz",
            "agent_response": "Jazz has such a rich history of improvisation.",
            "user_id": "u",
            "user_name": "U",
            "agent_id": "a",
            "tenant_id": "tenant-z",
        }
    )
    tenant_view = replace(client.context, auth={"tenantId": "tenant-z"})
    registered = await MemorySpacesBase(tenant_view).get(space)
    conversation = await ConversationsBase(tenant_view).get(f"t-{space}")
    assert registered is not None and registered.tenant_id == "tenant-z"
    assert conversation is not None and conversation.tenant_id == "tenant-z"
    assert {m.tenant_id for m in await client.memory.list({"memory_space_id": space})} == {
        "tenant-z"
    }
