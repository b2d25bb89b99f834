"""Every adapter operation against the real Neo4j."""

from __future__ import annotations

import pytest

from cortex.errors import CortexError, GraphConnectionError, GraphQueryError, ValidationError
from cortex.graph import CypherGraphAdapter
from cortex.graph.schema import drop_graph_schema, initialize_graph_schema, verify_graph_schema


async def test_connection_and_dialect(adapter: CypherGraphAdapter) -> None:
    assert await adapter.is_connected()
    assert adapter.dialect == "neo4j" and adapter.id_function == "elementId"


async def test_node_operations(adapter: CypherGraphAdapter) -> None:
    a = await adapter.create_node({"label": "User", "properties": {"userId": "u1", "n": 1}})
    node = await adapter.get_node(a)
    assert node is not None and node.label == "User" and node.properties == {"userId": "u1", "n": 1}
    again = await adapter.merge_node(
        {"label": "User", "properties": {"userId": "u1", "n": 2}}, {"userId": "u1"}
    )
    assert again == a and await adapter.count_nodes("User") == 1
    await adapter.update_node(a, {"m": "x"})
    found = await adapter.find_nodes("User", {"userId": "u1"})
    assert [n.properties for n in found] == [{"userId": "u1", "n": 2, "m": "x"}]
    assert await adapter.find_nodes("User", {"userId": "nobody"}) == []
    await adapter.delete_node(a)
    assert await adapter.get_node(a) is None and await adapter.count_nodes() == 0


async def test_edge_operations_and_idempotence(adapter: CypherGraphAdapter) -> None:
    a = await adapter.create_node({"label": "Memory", "properties": {"memoryId": "m"}})
    b = await adapter.create_node({"label": "User", "properties": {"userId": "u"}})
    e = await adapter.create_edge(
        {"type": "RELATES_TO", "from": a, "to": b, "properties": {"w": 1}}
    )
    assert (
        await adapter.create_edge(
            {"type": "RELATES_TO", "from": a, "to": b, "properties": {"w": 2}}
        )
        == e
    )
    edges = await adapter.find_edges("RELATES_TO")
    assert (
        len(edges) == 1
        and edges[0].from_ == a
        and edges[0].to == b
        and edges[0].properties == {"w": 2}
    )
    assert (
        len(await adapter.find_edges("RELATES_TO", {"w": 2})) == 1
        and await adapter.find_edges("RELATES_TO", {"w": 9}) == []
    )
    assert await adapter.count_edges("RELATES_TO") == 1 and await adapter.count_edges() == 1
    await adapter.delete_edge(e)
    assert await adapter.count_edges() == 0
    with pytest.raises(GraphQueryError):
        await adapter.create_edge(
            {"type": "RELATES_TO", "from": a, "to": "4:none:99", "properties": {}}
        )


async def test_traverse_and_path(adapter: CypherGraphAdapter) -> None:
    ids = [
        await adapter.create_node(
            {"label": "Context", "properties": {"contextId": f"c{i}", "k": i % 2}}
        )
        for i in range(4)
    ]
    for child, parent in zip(ids[1:], ids[:-1], strict=True):
        await adapter.create_edge({"type": "CHILD_OF", "from": child, "to": parent})
    near = await adapter.traverse({"startId": ids[0], "maxDepth": 2})
    assert {n.properties["contextId"] for n in near} == {"c1", "c2"}
    up = await adapter.traverse(
        {
            "startId": ids[3],
            "maxDepth": 3,
            "direction": "OUTGOING",
            "relationshipTypes": ["CHILD_OF"],
        }
    )
    assert {n.properties["contextId"] for n in up} == {"c0", "c1", "c2"}
    assert await adapter.traverse({"startId": ids[3], "maxDepth": 3, "direction": "INCOMING"}) == []
    odd = await adapter.traverse({"startId": ids[0], "maxDepth": 3, "filterParams": {"k": 1}})
    assert {n.properties["contextId"] for n in odd} == {"c1", "c3"}
    path = await adapter.find_path({"fromId": ids[0], "toId": ids[3], "maxHops": 5})
    assert path is not None and path.length == 3 and [n.id for n in path.nodes] == ids
    assert await adapter.find_path({"fromId": ids[0], "toId": ids[3], "maxHops": 2}) is None
    with pytest.raises(ValidationError):
        await adapter.traverse({"startId": ids[0], "maxDepth": 0})


async def test_batch_write_query_and_clear(adapter: CypherGraphAdapter) -> None:
    a = await adapter.create_node({"label": "Fact", "properties": {"factId": "f1"}})
    await adapter.batch_write(
        [
            {"type": "CREATE_NODE", "data": {"label": "Fact", "properties": {"factId": "f2"}}},
            {"type": "UPDATE_NODE", "data": {"id": a, "properties": {"fact": "x"}}},
        ]
    )
    (b,) = [n.id for n in await adapter.find_nodes("Fact", {"factId": "f2"})]
    assert b is not None
    await adapter.batch_write(
        [{"type": "CREATE_EDGE", "data": {"type": "SUPERSEDES", "from": b, "to": a}}]
    )
    (edge,) = await adapter.find_edges("SUPERSEDES")
    await adapter.batch_write(
        [
            {"type": "DELETE_EDGE", "data": {"id": edge.id}},
            {"type": "DELETE_NODE", "data": {"id": b}},
        ]
    )
    result = await adapter.query(
        {"cypher": "MATCH (f:Fact) RETURN f.factId AS id, f AS node", "params": {}}
    )
    assert result.count == 1 and result.records == [
        {"id": "f1", "node": {"factId": "f1", "fact": "x"}}
    ]
    stats = (await adapter.query("CREATE (:Entity {name: $n})", {"n": "e"})).stats
    assert stats is not None and stats.nodes_created == 1
    with pytest.raises(GraphQueryError):
        await adapter.query("THIS IS NOT CYPHER")
    await adapter.clear_database()
    assert await adapter.count_nodes() == 0


async def test_batched_unwind_merges(adapter: CypherGraphAdapter) -> None:
    rows = [{"memoryId": f"m{i}", "i": i} for i in range(2500)]
    assert await adapter.merge_nodes("Memory", "memoryId", rows) == 2500
    assert await adapter.merge_nodes("Memory", "memoryId", rows[:10]) == 10
    assert await adapter.count_nodes("Memory") == 2500
    await adapter.merge_nodes("User", "userId", [{"userId": "u"}])
    edges = [{"from": f"m{i}", "to": "u", "props": {"i": i}} for i in range(2500)] + [
        {"from": "gone", "to": "u", "props": {}}
    ]
    assert (
        await adapter.merge_edges("RELATES_TO", ("Memory", "memoryId"), ("User", "userId"), edges)
        == 2500
    )
    assert (
        await adapter.merge_edges("RELATES_TO", ("Memory", "memoryId"), ("User", "userId"), edges)
        == 2500
    )
    assert await adapter.count_edges("RELATES_TO") == 2500


async def test_identifiers_are_checked_before_sending(adapter: CypherGraphAdapter) -> None:
    for bad in ("User) DETACH DELETE (n", "a`b", "", "1abc"):
        with pytest.raises(ValidationError) as info:
            await adapter.find_nodes(bad)
        assert info.value.code == "INVALID_GRAPH_IDENTIFIER"
    with pytest.raises(ValidationError):
        await adapter.find_nodes("User", {"x}) RETURN 1 //": 1})
    assert await adapter.count_nodes() == 0


async def test_schema_create_verify_drop(adapter: CypherGraphAdapter) -> None:
    report = await verify_graph_schema(adapter)
    assert (
        report["valid"]
        and "memory_id" in report["constraints"]
        and "memory_user" in report["indexes"]
    )
    await initialize_graph_schema(adapter)  # idempotent
    await drop_graph_schema(adapter)
    report = await verify_graph_schema(adapter)
    assert not report["valid"] and "entity_name" in report["missing"]
    await initialize_graph_schema(adapter)
    await adapter.create_node({"label": "User", "properties": {"userId": "dup"}})
    with pytest.raises(GraphQueryError):
        await adapter.create_node({"label": "User", "properties": {"userId": "dup"}})


async def test_unreachable_database_is_a_typed_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    a = CypherGraphAdapter({"uri": f"bolt://127.0.0.1:{port}", "connectionTimeout": 2})
    with pytest.raises(GraphConnectionError) as info:
        await a.connect()
    assert isinstance(info.value, CortexError) and not await a.is_connected()
    with pytest.raises(GraphConnectionError):
        await a.count_nodes()
    with pytest.raises(ValidationError):
        await CypherGraphAdapter().connect()
