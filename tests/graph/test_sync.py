"""Entity sync and deletes through the real client (embedded backend) into the real Neo4j."""

from __future__ import annotations

import itertools
from typing import Any

from cortex import Cortex
from cortex.graph import CypherGraphAdapter
from cortex.graph.hook import AsyncGraphHook

_N = itertools.count()


async def _labels(adapter: CypherGraphAdapter) -> dict[str, int]:
    rows = (await adapter.query("MATCH (n) RETURN labels(n)[0] AS l, count(n) AS c")).records
    return {r["l"]: r["c"] for r in rows}


async def _rels(adapter: CypherGraphAdapter) -> set[tuple[str, str, str]]:
    rows = (
        await adapter.query(
            "MATCH (a)-[r]->(b) RETURN labels(a)[0] AS a, type(r) AS t, labels(b)[0] AS b"
        )
    ).records
    return {(r["a"], r["t"], r["b"]) for r in rows}


def _remember(space: str, conv: str) -> dict[str, Any]:
    return {
        "memory_space_id": space,
        "conversation_id": conv,
        "user_message": "I sail on weekends",
        "agent_response": "Sailing is a lovely way to spend time on the water.",
        "user_id": "u-sailor",
        "user_name": "Sailor",
        "agent_id": "a-helper",
    }


async def test_remember_builds_upstreams_graph(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        result = await c.memory.remember(_remember("s1", "c1"))
        again = await c.memory.remember(_remember("s1", "c1"))
    assert await _labels(adapter) == {
        "MemorySpace": 1,
        "Conversation": 1,
        "Memory": 4,
        "User": 1,
        "Agent": 1,
    }
    assert {
        ("Memory", "REFERENCES", "Conversation"),
        ("Memory", "IN_SPACE", "MemorySpace"),
        ("Memory", "RELATES_TO", "User"),
        ("Memory", "RELATES_TO", "Agent"),
        ("Conversation", "IN_SPACE", "MemorySpace"),
        ("Conversation", "INVOLVES", "User"),
        ("Conversation", "INVOLVES", "Agent"),
    } <= await _rels(adapter)
    memory = (await adapter.find_nodes("Memory", {"memoryId": result.memories[0].memory_id}))[0]
    assert (
        memory.properties["content"] == "I sail on weekends"
        and memory.properties["userId"] == "u-sailor"
    )
    assert len({m.memory_id for m in result.memories + again.memories}) == 4


async def test_remember_twice_with_the_same_ids_writes_no_duplicates(
    adapter: CypherGraphAdapter,
) -> None:
    hook = AsyncGraphHook(adapter)
    memory = {
        "memoryId": "m1",
        "memorySpaceId": "s",
        "content": "x" * 500,
        "userId": "u",
        "conversationRef": {"conversationId": "c", "messageIds": ["1"]},
    }
    for _ in range(3):
        await hook.apply("memories", "m1", "insert", memory)
    assert await _labels(adapter) == {"Memory": 1, "MemorySpace": 1, "User": 1, "Conversation": 1}
    assert await adapter.count_edges() == 3
    (node,) = await adapter.find_nodes("Memory")
    assert len(node.properties["content"]) == 200


async def test_facts_entities_and_supersession_chain(adapter: CypherGraphAdapter) -> None:
    hook = AsyncGraphHook(adapter)
    base = {
        "memorySpaceId": "s",
        "factType": "preference",
        "confidence": 90,
        "sourceType": "conversation",
        "userId": "u",
    }
    f1 = {
        **base,
        "factId": "f1",
        "fact": "Alice likes tea",
        "subject": "Alice",
        "predicate": "likes",
        "object": "tea",
        "sourceRef": {"conversationId": "c1", "messageIds": ["m"]},
        "supersededBy": "f2",
    }
    f2 = {
        **base,
        "factId": "f2",
        "fact": "Alice likes coffee",
        "subject": "Alice",
        "predicate": "likes",
        "object": "coffee",
        "supersedes": "f1",
        "supersededBy": "f3",
        "entities": [{"name": "Alice", "type": "person", "fullValue": "Alice Smith"}],
    }
    f3 = {
        **base,
        "factId": "f3",
        "fact": "Alice likes mate",
        "subject": "Alice",
        "predicate": "likes",
        "object": "mate",
        "supersedes": "f2",
    }
    for fact in (f3, f1, f2):  # any order: the chain comes out the same
        await hook.apply("facts", fact["factId"], "insert", fact)
    chain = (
        await adapter.query(
            "MATCH p = (a:Fact {factId: 'f3'})-[:SUPERSEDES*]->(b:Fact {factId: 'f1'}) RETURN [n IN nodes(p) | n.factId] AS ids"
        )
    ).records
    assert chain == [{"ids": ["f3", "f2", "f1"]}]
    assert await adapter.count_edges("SUPERSEDES") == 2
    alice = (await adapter.find_nodes("Entity", {"name": "Alice"}))[0].properties
    assert alice["fullValue"] == "Alice Smith"
    assert ("Entity", "LIKES", "Entity") in await _rels(adapter)
    assert ("Fact", "EXTRACTED_FROM", "Conversation") in await _rels(adapter)
    assert await adapter.count_edges("MENTIONS") == 6


async def test_fact_delete_removes_orphan_entities_only(adapter: CypherGraphAdapter) -> None:
    hook = AsyncGraphHook(adapter)
    base = {"memorySpaceId": "s", "factType": "knowledge", "confidence": 80, "sourceType": "manual"}
    await hook.apply(
        "facts",
        "a",
        "insert",
        {**base, "factId": "a", "fact": "Bob owns a boat", "subject": "Bob", "object": "boat"},
    )
    await hook.apply(
        "facts",
        "b",
        "insert",
        {**base, "factId": "b", "fact": "Bob owns a car", "subject": "Bob", "object": "car"},
    )
    deleted = await hook.apply("facts", "a", "delete", None)
    names = {n.properties["name"] for n in await adapter.find_nodes("Entity")}
    assert (
        names == {"Bob", "car"} and deleted == 2
    )  # the fact and "boat"; Bob is still mentioned by b
    assert await adapter.count_nodes("MemorySpace") == 1  # never an orphan
    assert await hook.apply("facts", "a", "delete", None) == 0


async def test_memory_delete_keeps_a_referenced_conversation(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        result = await c.memory.remember(_remember("s2", "c2"))
        first, second = (m.memory_id for m in result.memories)
        await c.memory.forget("s2", first)
        assert (
            await adapter.count_nodes("Conversation") == 1
            and await adapter.count_nodes("Memory") == 1
        )
        await c.memory.forget("s2", second)
    labels = await _labels(adapter)
    assert "Memory" not in labels and "Conversation" not in labels and "Agent" not in labels
    assert labels == {"MemorySpace": 1, "User": 1}  # never deleted as orphans


async def test_contexts_parent_chain_and_delete(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        root = await c.contexts.create(
            {"purpose": "root", "memory_space_id": "s3", "user_id": "u"}, {"sync_to_graph": True}
        )
        child = await c.contexts.create(
            {"purpose": "child", "memory_space_id": "s3", "parent_id": root.context_id},
            {"sync_to_graph": True},
        )
        grandchild = await c.contexts.create(
            {"purpose": "leaf", "memory_space_id": "s3", "parent_id": child.context_id},
            {"sync_to_graph": True},
        )
        rows = (
            await adapter.query(
                "MATCH p = (:Context {contextId: $leaf})-[:CHILD_OF*]->(:Context {contextId: $root}) RETURN length(p) AS n",
                {"leaf": grandchild.context_id, "root": root.context_id},
            )
        ).records
        assert rows == [{"n": 2}]
        assert ("Context", "INVOLVES", "User") in await _rels(adapter)
        await c.contexts.delete(grandchild.context_id, {"sync_to_graph": True})
    assert await adapter.count_nodes("Context") == 2


async def test_memory_spaces_and_a2a_edges(adapter: CypherGraphAdapter) -> None:
    hook = AsyncGraphHook(adapter)
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        space = await c.memory_spaces.register(
            {"memory_space_id": "team", "name": "Team", "type": "team"}, {"sync_to_graph": True}
        )
    (node,) = await adapter.find_nodes("MemorySpace", {"memorySpaceId": space.memory_space_id})
    assert node.properties["name"] == "Team" and node.properties["type"] == "team"
    await hook.apply(
        "memories",
        "am",
        "insert",
        {
            "memoryId": "am",
            "memorySpaceId": "team",
            "content": "hi",
            "sourceType": "a2a",
            "metadata": {"fromMemorySpace": "team", "toMemorySpace": "other", "messageId": "msg-1"},
        },
    )
    (edge,) = await adapter.find_edges("SENT_TO")
    assert edge.properties is not None and edge.properties["messageId"] == "msg-1"
    await hook.apply("users", "u", "insert", {"id": "u9", "createdAt": 1})
    await hook.apply("agents", "a", "insert", {"agentId": "a9", "name": "Agent 9"})
    assert await adapter.count_nodes("User") == 1 and await adapter.count_nodes("Agent") == 1


async def test_gdpr_cascade_deletes_every_user_node(adapter: CypherGraphAdapter) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        await c.users.update("u-sailor", {"name": "Sailor"})
        await c.memory.remember(_remember("s4", "c4"))
        await c.contexts.create(
            {"purpose": "p", "memory_space_id": "s4", "user_id": "u-sailor"},
            {"sync_to_graph": True},
        )
        carrying = (
            await adapter.query("MATCH (n {userId: 'u-sailor'}) RETURN count(n) AS c")
        ).records[0]["c"]
        result = await c.users.delete("u-sailor", {"cascade": True})
    assert carrying == 5  # User, Conversation, 2 Memory, Context
    assert result.graph_nodes_deleted == carrying and result.verification.complete
    assert (await adapter.query("MATCH (n {userId: 'u-sailor'}) RETURN count(n) AS c")).records[0][
        "c"
    ] == 0
    assert await adapter.count_nodes("Agent") == 1
