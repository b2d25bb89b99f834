"""Facts orchestration: belief revision (slot matching, deduplication, conflict resolution by rules or by an
LLM, history events), ``check_conflicts``, ``store_with_dedup``, ``supersede`` and the history readers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cortex import Cortex, CortexError, ValidationError

from .conftest import WordHashEmbedder


def candidate(
    space: str, fact: str, predicate: str | None, obj: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "memory_space_id": space,
        "user_id": "user-1",
        "fact": {
            "fact": fact,
            "fact_type": "identity",
            "subject": "user-1",
            "predicate": predicate,
            "object": obj,
            "confidence": extra.pop("confidence", 85),
        },
        **extra,
    }


async def test_same_slot_new_value_supersedes(client: Cortex, space: str) -> None:
    first = await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    assert first.action == "ADD" and first.pipeline.slot_matching is not None
    assert first.pipeline.slot_matching.matched is False

    second = await client.facts.revise(
        candidate(space, "Alex moved to Berlin", "moved to", "Berlin")
    )
    assert second.action == "SUPERSEDE"
    assert [f.fact_id for f in second.superseded] == [first.fact.fact_id]
    assert second.pipeline.slot_matching is not None and second.pipeline.slot_matching.matched

    old = await client.facts.get(space, first.fact.fact_id)
    assert (
        old is not None and old.superseded_by == second.fact.fact_id and old.valid_until is not None
    )
    current = await client.facts.list({"memory_space_id": space})
    assert [f.fact for f in current] == ["Alex moved to Berlin"]

    events = await client.facts.history(second.fact.fact_id)
    assert [(e.action, e.supersedes) for e in events] == [("SUPERSEDE", first.fact.fact_id)]
    old_events = await client.facts.history(first.fact.fact_id)
    assert [e.action for e in old_events] == ["SUPERSEDE", "CREATE"]  # most recent first
    assert old_events[0].superseded_by == second.fact.fact_id
    chain = await client.facts.get_supersession_chain(second.fact.fact_id)
    assert [entry.fact_id for entry in chain][-2:] == [first.fact.fact_id, second.fact.fact_id]


async def test_duplicate_is_none(client: Cortex, space: str) -> None:
    first = await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    again = await client.facts.revise(
        candidate(space, "Alex lives in Paris.", "resides in", "paris")
    )
    assert again.action == "NONE"
    assert again.fact.fact_id == first.fact.fact_id
    assert len(await client.facts.list({"memory_space_id": space})) == 1
    events = await client.facts.history(first.fact.fact_id)
    assert [e.action for e in events] == ["UPDATE", "CREATE"]  # upstream logs NONE as UPDATE


async def test_duplicate_with_higher_confidence_updates_in_place(
    client: Cortex, space: str
) -> None:
    first = await client.facts.revise(
        candidate(space, "Alex lives in Paris", "lives in", "Paris", confidence=60)
    )
    again = await client.facts.revise(
        candidate(space, "Alex lives in Paris", "lives in", "Paris", confidence=95)
    )
    assert again.action == "UPDATE" and again.fact.fact_id == first.fact.fact_id
    assert again.fact.confidence == 95


async def test_unrelated_fact_is_added(client: Cortex, space: str) -> None:
    await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    other = await client.facts.revise(candidate(space, "Alex works at Acme", "works at", "Acme"))
    assert other.action == "ADD"
    assert sorted(f.fact for f in await client.facts.list({"memory_space_id": space})) == [
        "Alex lives in Paris",
        "Alex works at Acme",
    ]
    assert [e.action for e in await client.facts.history(other.fact.fact_id)] == ["CREATE"]


async def test_check_conflicts_writes_nothing(client: Cortex, space: str) -> None:
    await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    check = await client.facts.check_conflicts(
        candidate(space, "Alex lives in Rome", "lives in", "Rome")
    )
    assert check.has_conflicts and check.recommended_action == "SUPERSEDE"
    assert [f.object for f in check.slot_conflicts] == ["Paris"]
    assert len(await client.facts.list({"memory_space_id": space})) == 1
    free = await client.facts.check_conflicts(candidate(space, "Alex owns a bike", "owns", "bike"))
    assert not free.has_conflicts and free.recommended_action == "ADD"


async def test_llm_resolution_is_used_when_configured(client: Cortex, space: str) -> None:
    prompts: list[str] = []

    def llm(system: str, prompt: str) -> str:
        prompts.append(prompt)
        existing = [json.loads(line) for line in prompt.split("EXISTING facts:\n")[1].splitlines()]
        return json.dumps(
            {
                "action": "UPDATE",
                "targetFactId": existing[0]["factId"],
                "reason": "more precise",
                "mergedFact": "Alex lives in Paris, 11th arrondissement",
                "confidence": 88,
            }
        )

    first = await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    client.facts.configure_belief_revision(llm)
    refined = await client.facts.revise(
        candidate(space, "Alex lives in the 11th", "lives in", "Paris 11e")
    )
    assert refined.action == "UPDATE" and refined.fact.fact_id == first.fact.fact_id
    assert refined.fact.fact == "Alex lives in Paris, 11th arrondissement"
    assert refined.pipeline.llm_resolution is not None and refined.pipeline.llm_resolution.executed
    assert "Alex lives in Paris" in prompts[0]


async def test_bad_llm_answer_falls_back_to_rules(client: Cortex, space: str) -> None:
    client.facts.configure_belief_revision(
        lambda system, prompt: '{"action": "SUPERSEDE"}'
    )  # no target
    await client.facts.revise(candidate(space, "Alex lives in Paris", "lives in", "Paris"))
    moved = await client.facts.revise(candidate(space, "Alex lives in Oslo", "lives in", "Oslo"))
    assert moved.action == "SUPERSEDE"
    assert (
        moved.pipeline.llm_resolution is not None
        and moved.pipeline.llm_resolution.executed is False
    )


async def test_semantic_matching_with_embedder(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    client.memory.configure(embedder=embedder)
    first = await client.facts.revise(
        {
            "memory_space_id": space,
            "fact": {"fact": "the user enjoys hiking in the alps", "confidence": 70},
        }
    )
    again = await client.facts.revise(
        {
            "memory_space_id": space,
            "fact": {"fact": "The user enjoys hiking in the Alps!", "confidence": 70},
        }
    )
    assert again.action == "NONE" and again.fact.fact_id == first.fact.fact_id
    assert again.pipeline.semantic_matching is not None and again.pipeline.semantic_matching.matched


async def test_revise_validation(client: Cortex, space: str) -> None:
    with pytest.raises(ValidationError):
        await client.facts.revise(candidate(space, "", "lives in", "Paris"))
    with pytest.raises(ValidationError):
        await client.facts.revise(
            candidate(space, "Alex lives in Paris", "lives in", "Paris", confidence=150)
        )


def store_params(space: str, fact: str, confidence: float = 80, **extra: Any) -> dict[str, Any]:
    return {
        "memory_space_id": space,
        "fact": fact,
        "fact_type": "preference",
        "subject": "user-1",
        "predicate": extra.pop("predicate", "likes"),
        "object": extra.pop("object", fact.split()[-1]),
        "confidence": confidence,
        "source_type": "manual",
        "tags": extra.pop("tags", ["a"]),
        **extra,
    }


async def test_store_with_dedup_strategies(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    first = await client.facts.store_with_dedup(store_params(space, "Alex likes tea"))
    assert first.deduplication is not None and first.deduplication.matched_existing is False
    structural = await client.facts.store_with_dedup(store_params(space, "Alex really likes tea"))
    assert structural.fact.fact_id == first.fact.fact_id and not structural.was_updated
    exact = await client.facts.store_with_dedup(
        store_params(space, "alex likes TEA!", object="tea leaves"), {"deduplication": "exact"}
    )
    assert exact.fact.fact_id == first.fact.fact_id
    higher = await client.facts.store_with_dedup(
        store_params(space, "Alex likes tea", 95, tags=["b"])
    )
    assert (
        higher.was_updated and higher.fact.confidence == 95 and set(higher.fact.tags) == {"a", "b"}
    )
    off = await client.facts.store_with_dedup(
        store_params(space, "Alex likes tea"), {"deduplication": False}
    )
    assert off.fact.fact_id != first.fact.fact_id and off.deduplication is None
    client.memory.configure(embedder=embedder)
    semantic = await client.facts.store_with_dedup(
        store_params(space, "alex likes tea", subject="someone-else", object="x")
        | {"subject": "someone-else"},
        {"deduplication": {"strategy": "semantic", "similarity_threshold": 0.95}},
    )
    assert semantic.deduplication is not None and semantic.deduplication.matched_existing


async def test_supersede_and_history_readers(client: Cortex, space: str) -> None:
    old = await client.facts.store(store_params(space, "Alex likes tea"))
    new = await client.facts.store(store_params(space, "Alex likes coffee"))
    done = await client.facts.supersede(
        {
            "memory_space_id": space,
            "old_fact_id": old.fact_id,
            "new_fact_id": new.fact_id,
            "reason": "taste",
        }
    )
    assert done.superseded and done.old_fact_id == old.fact_id
    events = await client.facts.history(old.fact_id)
    latest = events[0]
    assert (latest.action, latest.superseded_by, latest.reason) == (
        "SUPERSEDE",
        new.fact_id,
        "taste",
    )
    changes = await client.facts.get_changes({"memory_space_id": space, "action": "SUPERSEDE"})
    assert [c.fact_id for c in changes] == [old.fact_id]
    summary = await client.facts.get_activity_summary(space, 1)
    assert summary.action_counts.supersede >= 1
    with pytest.raises(CortexError) as info:
        await client.facts.supersede(
            {"memory_space_id": space, "old_fact_id": "fact-missing", "new_fact_id": new.fact_id}
        )
    assert info.value.code == "FACT_NOT_FOUND"
    with pytest.raises(ValidationError):
        await client.facts.history("not-a-fact-id")


async def test_has_belief_revision_by_default(client: Cortex) -> None:
    assert client.facts.has_belief_revision() is True
    client.facts.configure_belief_revision(None, {"slot_matching": {"enabled": False}})
    assert client.facts.has_belief_revision() is True


async def test_remember_revises_facts_across_exchanges(client: Cortex, space: str) -> None:
    def extract(user_message: str, agent_response: str) -> list[dict[str, Any]]:
        city = user_message.rsplit(" ", 1)[-1]
        return [
            {
                "fact": f"Alex lives in {city}",
                "factType": "identity",
                "predicate": "lives in",
                "object": city,
                "confidence": 90,
            }
        ]

    base = {
        "memory_space_id": space,
        "conversation_id": f"r-{space}",
        "user_id": "user-1",
        "user_name": "Alex",
        "agent_id": "agent-1",
        "agent_response": "Thanks for telling me about where you live now.",
        "extract_facts": extract,
    }
    first = await client.memory.remember({**base, "user_message": "I live in Madrid"})
    moved = await client.memory.remember({**base, "user_message": "These days I live in Porto"})
    same = await client.memory.remember({**base, "user_message": "Still living in Porto"})
    assert [r.action for r in first.fact_revisions or []] == ["ADD"]
    assert [r.action for r in moved.fact_revisions or []] == ["SUPERSEDE"]
    assert [r.action for r in same.fact_revisions or []] == ["NONE"] and same.facts == []
    assert [f.fact for f in await client.facts.list({"memory_space_id": space})] == [
        "Alex lives in Porto"
    ]
