"""Graph value types (the shapes of upstream's graph contract), snake_case with camelCase aliases."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cortex._model_base import CortexModel

Direction = Literal["OUTGOING", "INCOMING", "BOTH"]


class GraphNode(CortexModel):
    label: str
    properties: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class GraphEdge(CortexModel):
    type: str
    from_: str = Field(..., alias="from")
    to: str
    properties: dict[str, Any] | None = None
    id: str | None = None


class GraphQuery(CortexModel):
    cypher: str
    params: dict[str, Any] | None = None


class GraphPath(CortexModel):
    nodes: list[GraphNode]
    relationships: list[GraphEdge]
    length: int


class GraphConnectionConfig(CortexModel):
    """Where the graph database is. ``username``/``password`` empty means no authentication."""

    uri: str
    username: str = ""
    password: str = ""
    database: str | None = None
    max_connection_pool_size: int | None = Field(None, alias="maxConnectionPoolSize")
    connection_timeout: float | None = Field(None, alias="connectionTimeout")


class QueryStatistics(CortexModel):
    nodes_created: int | None = Field(None, alias="nodesCreated")
    nodes_deleted: int | None = Field(None, alias="nodesDeleted")
    relationships_created: int | None = Field(None, alias="relationshipsCreated")
    relationships_deleted: int | None = Field(None, alias="relationshipsDeleted")
    properties_set: int | None = Field(None, alias="propertiesSet")
    labels_added: int | None = Field(None, alias="labelsAdded")
    labels_removed: int | None = Field(None, alias="labelsRemoved")
    indexes_added: int | None = Field(None, alias="indexesAdded")
    constraints_added: int | None = Field(None, alias="constraintsAdded")


class GraphQueryResult(CortexModel):
    records: list[dict[str, Any]]
    count: int
    stats: QueryStatistics | None = None


class GraphOperation(CortexModel):
    type: Literal["CREATE_NODE", "UPDATE_NODE", "DELETE_NODE", "CREATE_EDGE", "DELETE_EDGE"]
    data: dict[str, Any]


class TraversalConfig(CortexModel):
    start_id: str = Field(..., alias="startId")
    relationship_types: list[str] | None = Field(None, alias="relationshipTypes")
    max_depth: int = Field(..., alias="maxDepth")
    direction: Direction | None = None
    # a property filter on the reached nodes: {property: value}, compared with parameters (no Cypher text)
    filter_params: dict[str, Any] | None = Field(None, alias="filterParams")


class ShortestPathConfig(CortexModel):
    from_id: str = Field(..., alias="fromId")
    to_id: str = Field(..., alias="toId")
    max_hops: int = Field(..., alias="maxHops")
    relationship_types: list[str] | None = Field(None, alias="relationshipTypes")
    direction: Direction | None = None
