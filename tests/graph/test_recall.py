"""Graph-enhanced recall: facts linked to the hits through shared entities join the results."""

from __future__ import annotations

from cortex import Cortex
from cortex.graph import CypherGraphAdapter

FACTS = [
    ("Maria works at Acme", "Maria", "works at", "Acme"),
    ("Acme headquarters are in Lisbon", "Acme", "located in", "Lisbon"),
    ("Tomas collects stamps", "Tomas", "collects", "stamps"),
]


async def _store(c: Cortex, space: str) -> None:
    for text, subject, predicate, obj in FACTS:
        await c.facts.store(
            {
                "memory_space_id": space,
                "fact": text,
                "fact_type": "knowledge",
                "subject": subject,
                "predicate": predicate,
                "object": obj,
                "confidence": 90,
                "source_type": "manual",
            },
            {"sync_to_graph": True},
        )


async def test_expansion_adds_linked_facts(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        await _store(c, "r")
        with_graph = await c.memory.recall({"memory_space_id": "r", "query": "Maria"})
        without = await c.memory.recall(
            {"memory_space_id": "r", "query": "Maria", "sources": {"graph": False}}
        )
        shallow = await c.memory.recall(
            {"memory_space_id": "r", "query": "Maria", "graph_expansion": {"enabled": False}}
        )
    got = [i.content for i in with_graph.items]
    assert got[0] == "Maria works at Acme" and "Acme headquarters are in Lisbon" in got
    assert "Tomas collects stamps" not in got
    assert (
        with_graph.graph_expansion_applied and "Acme" in with_graph.sources.graph.expanded_entities
    )
    assert with_graph.sources.graph.count >= 1
    for result in (without, shallow):
        assert [i.content for i in result.items] == ["Maria works at Acme"]
        assert not result.graph_expansion_applied and result.sources.graph.count == 0


async def test_expansion_stays_in_the_space(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        await _store(c, "r1")
        await c.facts.store(
            {
                "memory_space_id": "r2",
                "fact": "Maria prefers Acme",
                "fact_type": "preference",
                "subject": "Maria",
                "object": "Acme",
                "confidence": 90,
                "source_type": "manual",
            },
            {"sync_to_graph": True},
        )
        result = await c.memory.recall({"memory_space_id": "r2", "query": "Maria"})
    assert [i.content for i in result.items] == ["Maria prefers Acme"]
