"""``CypherGraphAdapter``: the graph adapter over Bolt (Neo4j 5, Memgraph) with the official async driver.

Every value is a query parameter; labels, relationship types and property names are checked identifiers
(``cortex.graph.model.identifier``). Node and edge ids are Neo4j element ids (``elementId``); on Memgraph, which has
no ``elementId``, the integer ``id()`` as a string. Writes of many rows go through ``merge_nodes``/``merge_edges``:
one ``UNWIND`` statement per chunk of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cortex.errors import GraphConnectionError, GraphQueryError, ValidationError
from cortex.graph.model import identifier
from cortex.graph.types import (
    GraphConnectionConfig,
    GraphEdge,
    GraphNode,
    GraphOperation,
    GraphPath,
    GraphQuery,
    GraphQueryResult,
    QueryStatistics,
    ShortestPathConfig,
    TraversalConfig,
)

try:
    import neo4j
    from neo4j import exceptions as neo4j_errors
except ImportError:  # pragma: no cover - the [graph] extra is not installed
    neo4j = None  # type: ignore[assignment]
    neo4j_errors = None  # type: ignore[assignment]

CHUNK = 1000
MAX_DEPTH = 10
_ARROWS = {"OUTGOING": ("-", "->"), "INCOMING": ("<-", "-"), "BOTH": ("-", "-")}


def _connection_errors() -> tuple[type[BaseException], ...]:
    return (
        neo4j_errors.ServiceUnavailable,
        neo4j_errors.SessionExpired,
        neo4j_errors.AuthError,
        neo4j_errors.DriverError,
        OSError,
    )


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _rel_pattern(types: Sequence[str] | None, depth: str) -> str:
    names = "|".join(identifier(t, "relationship type") for t in types or ())
    return f"[{':' + names if names else ''}{depth}]"


def _depth(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DEPTH:
        raise ValidationError(
            f"{what} must be an integer in 1..{MAX_DEPTH}", code="INVALID_GRAPH_DEPTH", field=what
        )
    return value


def _plain(value: Any) -> Any:
    """A driver value as plain Python (nodes and relationships as dicts of their properties)."""
    if neo4j is not None and isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return dict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class CypherGraphAdapter:
    """A graph adapter for Neo4j 5 and Memgraph (detected on connect)."""

    def __init__(self, config: GraphConnectionConfig | Mapping[str, Any] | None = None) -> None:
        self._config = GraphConnectionConfig.model_validate(config) if config is not None else None
        self._driver: Any = None
        self._database: str | None = None
        self.dialect = "neo4j"

    # ---- connection -------------------------------------------------------------------------------------------

    @property
    def id_function(self) -> str:
        """``elementId`` on Neo4j, ``id`` on Memgraph."""
        return "elementId" if self.dialect == "neo4j" else "id"

    async def connect(
        self, config: GraphConnectionConfig | Mapping[str, Any] | None = None
    ) -> None:
        """Open the driver, check the database answers and detect its dialect."""
        if config is not None:
            self._config = GraphConnectionConfig.model_validate(config)
        if self._config is None:
            raise ValidationError(
                "no graph connection config", code="INVALID_GRAPH_CONFIG", field="uri"
            )
        if neo4j is None:  # pragma: no cover
            raise GraphConnectionError(
                "the neo4j driver is not installed: pip install 'cortex-python[graph]'"
            )
        cfg = self._config
        auth = (cfg.username, cfg.password) if cfg.username else None
        kwargs: dict[str, Any] = {"auth": auth, "notifications_min_severity": "OFF"}
        if cfg.max_connection_pool_size is not None:
            kwargs["max_connection_pool_size"] = cfg.max_connection_pool_size
        if cfg.connection_timeout is not None:
            kwargs["connection_timeout"] = cfg.connection_timeout
        self._database = cfg.database
        try:
            self._driver = neo4j.AsyncGraphDatabase.driver(cfg.uri, **kwargs)
            await self._driver.verify_connectivity()
        except (ValueError, OSError, neo4j_errors.DriverError, neo4j_errors.Neo4jError) as exc:
            await self.disconnect()
            raise GraphConnectionError(
                f"cannot connect to the graph database at {cfg.uri}: {exc}"
            ) from exc
        self.dialect = await self._detect_dialect()

    async def _detect_dialect(self) -> str:
        try:
            await self._run("MATCH (n) RETURN elementId(n) AS id LIMIT 0", {})
            return "neo4j"
        except GraphQueryError:
            return "memgraph"

    async def disconnect(self) -> None:
        driver, self._driver = self._driver, None
        if driver is not None:
            await driver.close()

    async def is_connected(self) -> bool:
        if self._driver is None:
            return False
        try:
            await self._driver.verify_connectivity()
        except _connection_errors():
            return False
        return True

    # ---- running Cypher ---------------------------------------------------------------------------------------

    async def _run(
        self, cypher: str, params: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], Any]:
        if self._driver is None:
            raise GraphConnectionError("the graph adapter is not connected")
        try:
            async with self._driver.session(database=self._database) as session:
                result = await session.run(cypher, dict(params))
                records = [record.data() for record in [r async for r in result]]
                summary = await result.consume()
        except neo4j_errors.Neo4jError as exc:
            if isinstance(exc, neo4j_errors.AuthError):
                raise GraphConnectionError(
                    f"graph database refused the credentials: {exc}"
                ) from exc
            raise GraphQueryError(
                f"graph query failed: {exc.message or exc}", details={"query": cypher}
            ) from exc
        except _connection_errors() as exc:
            raise GraphConnectionError(f"graph database unreachable: {exc}") from exc
        return records, summary

    async def _records(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        records, _ = await self._run(cypher, params)
        return records

    def _id(self, node_id: str) -> Any:
        """The id as the dialect's id function returns it (a string, or an integer on Memgraph)."""
        return node_id if self.dialect == "neo4j" else int(node_id)

    async def query(
        self, query: GraphQuery | Mapping[str, Any] | str, params: Mapping[str, Any] | None = None
    ) -> GraphQueryResult:
        """Run caller-written Cypher with parameters; records come back as plain dicts."""
        if isinstance(query, str):
            cypher, base = query, {}
        else:
            q = GraphQuery.model_validate(query)
            cypher, base = q.cypher, dict(q.params or {})
        records, summary = await self._run(cypher, {**base, **(params or {})})
        c = summary.counters
        stats = QueryStatistics(
            nodes_created=c.nodes_created,
            nodes_deleted=c.nodes_deleted,
            relationships_created=c.relationships_created,
            relationships_deleted=c.relationships_deleted,
            properties_set=c.properties_set,
            labels_added=c.labels_added,
            labels_removed=c.labels_removed,
            indexes_added=c.indexes_added,
            constraints_added=c.constraints_added,
        )
        plain = [_plain(r) for r in records]
        return GraphQueryResult(records=plain, count=len(plain), stats=stats)

    # ---- nodes ------------------------------------------------------------------------------------------------

    async def create_node(self, node: GraphNode | Mapping[str, Any]) -> str:
        n = GraphNode.model_validate(node)
        rows = await self._records(
            f"CREATE (n:{identifier(n.label, 'label')}) SET n = $props RETURN {self.id_function}(n) AS id",
            props=n.properties,
        )
        return str(rows[0]["id"])

    async def merge_node(
        self, node: GraphNode | Mapping[str, Any], match_properties: Mapping[str, Any]
    ) -> str:
        """Create the node or update the one matching ``match_properties`` (idempotent)."""
        n = GraphNode.model_validate(node)
        if not match_properties:
            raise ValidationError("merge_node needs match properties", code="INVALID_GRAPH_MERGE")
        match = ", ".join(
            f"{identifier(k, 'property')}: $match.{identifier(k, 'property')}"
            for k in match_properties
        )
        rows = await self._records(
            f"MERGE (n:{identifier(n.label, 'label')} {{{match}}}) SET n += $props RETURN {self.id_function}(n) AS id",
            match=dict(match_properties),
            props=n.properties,
        )
        return str(rows[0]["id"])

    async def merge_nodes(self, label: str, key: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Batched ``merge_node``: each row is the node's properties, merged on ``row[key]``. Returns rows written."""
        cypher = (
            f"UNWIND $rows AS row MERGE (n:{identifier(label, 'label')} {{{identifier(key, 'property')}: "
            f"row.{identifier(key, 'property')}}}) SET n += row RETURN count(n) AS c"
        )
        written = 0
        for chunk in _chunks([dict(r) for r in rows]):
            written += (await self._records(cypher, rows=list(chunk)))[0]["c"]
        return int(written)

    async def get_node(self, id: str) -> GraphNode | None:
        rows = await self._records(
            f"MATCH (n) WHERE {self.id_function}(n) = $id RETURN labels(n) AS labels, properties(n) AS props",
            id=self._id(id),
        )
        if not rows:
            return None
        return GraphNode(label=rows[0]["labels"][0], properties=rows[0]["props"], id=id)

    async def update_node(self, id: str, properties: Mapping[str, Any]) -> None:
        await self._records(
            f"MATCH (n) WHERE {self.id_function}(n) = $id SET n += $props",
            id=self._id(id),
            props=dict(properties),
        )

    async def delete_node(self, id: str, detach: bool = True) -> None:
        verb = "DETACH DELETE" if detach else "DELETE"
        await self._records(
            f"MATCH (n) WHERE {self.id_function}(n) = $id {verb} n", id=self._id(id)
        )

    async def find_nodes(
        self, label: str, properties: Mapping[str, Any] | None = None, limit: int = 100
    ) -> list[GraphNode]:
        where = " AND ".join(
            f"n.{identifier(k, 'property')} = $props.{identifier(k, 'property')}"
            for k in properties or {}
        )
        rows = await self._records(
            f"MATCH (n:{identifier(label, 'label')}) {'WHERE ' + where if where else ''} "
            f"RETURN {self.id_function}(n) AS id, properties(n) AS props LIMIT $limit",
            props=dict(properties or {}),
            limit=int(limit),
        )
        return [GraphNode(label=label, properties=r["props"], id=str(r["id"])) for r in rows]

    # ---- edges ------------------------------------------------------------------------------------------------

    async def create_edge(self, edge: GraphEdge | Mapping[str, Any]) -> str:
        """Create the relationship, or update the one of that type already between the two nodes (idempotent)."""
        e = GraphEdge.model_validate(edge)
        f = self.id_function
        rows = await self._records(
            f"MATCH (a) WHERE {f}(a) = $src MATCH (b) WHERE {f}(b) = $dst "
            f"MERGE (a)-[r:{identifier(e.type, 'relationship type')}]->(b) SET r += $props RETURN {f}(r) AS id",
            src=self._id(e.from_),
            dst=self._id(e.to),
            props=dict(e.properties or {}),
        )
        if not rows:
            raise GraphQueryError(
                f"cannot create {e.type}: a node does not exist", code="GRAPH_NOT_FOUND"
            )
        return str(rows[0]["id"])

    async def merge_edges(
        self,
        rel_type: str,
        source: tuple[str, str],
        target: tuple[str, str],
        rows: Sequence[Mapping[str, Any]],
    ) -> int:
        """Batched idempotent edges between nodes found by unique key: ``source``/``target`` are ``(label, key)``;
        each row is ``{"from": key value, "to": key value, "props": {...}}``. Rows whose nodes are missing are
        skipped. Returns how many edges now exist for the rows."""
        (sl, sk), (tl, tk) = source, target
        cypher = (
            f"UNWIND $rows AS row MATCH (a:{identifier(sl, 'label')} {{{identifier(sk, 'property')}: row.from}}) "
            f"MATCH (b:{identifier(tl, 'label')} {{{identifier(tk, 'property')}: row.to}}) "
            f"MERGE (a)-[r:{identifier(rel_type, 'relationship type')}]->(b) SET r += row.props RETURN count(r) AS c"
        )
        written = 0
        for chunk in _chunks([dict(r) for r in rows]):
            written += (await self._records(cypher, rows=list(chunk)))[0]["c"]
        return int(written)

    async def delete_edge(self, id: str) -> None:
        await self._records(
            f"MATCH ()-[r]->() WHERE {self.id_function}(r) = $id DELETE r", id=self._id(id)
        )

    async def find_edges(
        self, type: str, properties: Mapping[str, Any] | None = None, limit: int = 100
    ) -> list[GraphEdge]:
        f = self.id_function
        where = " AND ".join(
            f"r.{identifier(k, 'property')} = $props.{identifier(k, 'property')}"
            for k in properties or {}
        )
        rows = await self._records(
            f"MATCH (a)-[r:{identifier(type, 'relationship type')}]->(b) {'WHERE ' + where if where else ''} "
            f"RETURN {f}(r) AS id, {f}(a) AS src, {f}(b) AS dst, properties(r) AS props LIMIT $limit",
            props=dict(properties or {}),
            limit=int(limit),
        )
        return [
            GraphEdge.model_validate(
                {
                    "type": type,
                    "from": str(r["src"]),
                    "to": str(r["dst"]),
                    "properties": r["props"],
                    "id": str(r["id"]),
                }
            )
            for r in rows
        ]

    # ---- traversal --------------------------------------------------------------------------------------------

    async def traverse(self, config: TraversalConfig | Mapping[str, Any]) -> list[GraphNode]:
        """Distinct nodes reachable from ``start_id`` in 1..``max_depth`` hops (optionally filtered by properties)."""
        c = TraversalConfig.model_validate(config)
        depth = _depth(c.max_depth, "max_depth")
        left, right = _ARROWS[c.direction or "BOTH"]
        where = " AND ".join(
            f"n.{identifier(k, 'property')} = $filter.{identifier(k, 'property')}"
            for k in c.filter_params or {}
        )
        f = self.id_function
        rows = await self._records(
            f"MATCH (s) WHERE {f}(s) = $start MATCH (s){left}{_rel_pattern(c.relationship_types, f'*1..{depth}')}{right}(n) "
            f"WHERE n <> s {'AND ' + where if where else ''} "
            f"RETURN DISTINCT {f}(n) AS id, labels(n) AS labels, properties(n) AS props",
            start=self._id(c.start_id),
            filter=dict(c.filter_params or {}),
        )
        return [
            GraphNode(label=r["labels"][0], properties=r["props"], id=str(r["id"])) for r in rows
        ]

    async def find_path(self, config: ShortestPathConfig | Mapping[str, Any]) -> GraphPath | None:
        """The shortest path between two nodes within ``max_hops``, or ``None``."""
        c = ShortestPathConfig.model_validate(config)
        hops = _depth(c.max_hops, "max_hops")
        left, right = _ARROWS[c.direction or "BOTH"]
        f = self.id_function
        if self.dialect == "neo4j":
            pattern = f"p = shortestPath((a){left}{_rel_pattern(c.relationship_types, f'*..{hops}')}{right}(b))"
        else:  # pragma: no cover - Memgraph's breadth-first expansion
            pattern = (
                f"p = (a){left}{_rel_pattern(c.relationship_types, f' *BFS ..{hops}')}{right}(b)"
            )
        rows = await self._records(
            f"MATCH (a) WHERE {f}(a) = $src MATCH (b) WHERE {f}(b) = $dst MATCH {pattern} "
            f"RETURN [x IN nodes(p) | {{id: {f}(x), labels: labels(x), props: properties(x)}}] AS nodes, "
            f"[r IN relationships(p) | {{id: {f}(r), type: type(r), src: {f}(startNode(r)), "
            f"dst: {f}(endNode(r)), props: properties(r)}}] AS rels LIMIT 1",
            src=self._id(c.from_id),
            dst=self._id(c.to_id),
        )
        if not rows:
            return None
        nodes = [
            GraphNode(label=n["labels"][0], properties=n["props"], id=str(n["id"]))
            for n in rows[0]["nodes"]
        ]
        rels = [
            GraphEdge.model_validate(
                {
                    "type": r["type"],
                    "from": str(r["src"]),
                    "to": str(r["dst"]),
                    "properties": r["props"],
                    "id": str(r["id"]),
                }
            )
            for r in rows[0]["rels"]
        ]
        return GraphPath(nodes=nodes, relationships=rels, length=len(rels))

    # ---- batch and utilities ----------------------------------------------------------------------------------

    async def batch_write(self, operations: Sequence[GraphOperation | Mapping[str, Any]]) -> None:
        """Apply the operations in order (each one as its single-operation method does)."""
        for raw in operations:
            op = GraphOperation.model_validate(raw)
            data = op.data
            if op.type == "CREATE_NODE":
                await self.create_node(data)
            elif op.type == "UPDATE_NODE":
                await self.update_node(str(data["id"]), data.get("properties") or {})
            elif op.type == "DELETE_NODE":
                await self.delete_node(str(data["id"]))
            elif op.type == "CREATE_EDGE":
                await self.create_edge(data)
            else:
                await self.delete_edge(str(data["id"]))

    async def count_nodes(self, label: str | None = None) -> int:
        pattern = f"(n:{identifier(label, 'label')})" if label else "(n)"
        return int((await self._records(f"MATCH {pattern} RETURN count(n) AS c"))[0]["c"])

    async def count_edges(self, type: str | None = None) -> int:
        rel = f"[r:{identifier(type, 'relationship type')}]" if type else "[r]"
        return int((await self._records(f"MATCH ()-{rel}->() RETURN count(r) AS c"))[0]["c"])

    async def clear_database(self) -> None:
        """Delete every node and relationship, in transactions of 5,000 nodes (bounded memory)."""
        await self._records("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS")
