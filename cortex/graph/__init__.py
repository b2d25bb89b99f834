"""Graph database integration (extra ``[graph]``): sync of Cortex entities into Neo4j or Memgraph.

``CypherGraphAdapter`` talks Bolt; ``cortex.graph.schema`` creates the model's constraints and indexes;
``cortex.graph.sync`` maps entities to nodes and relationships; ``GraphSyncWorker`` drains the backend's queue.
See ``docs/graph.md``.
"""

from cortex._generated.models import GraphConfig, GraphSyncWorkerOptions
from cortex.graph.adapters.cypher import CypherGraphAdapter
from cortex.graph.hook import AsyncGraphHook
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

__all__ = [
    "AsyncGraphHook",
    "CypherGraphAdapter",
    "GraphConfig",
    "GraphConnectionConfig",
    "GraphEdge",
    "GraphNode",
    "GraphOperation",
    "GraphPath",
    "GraphQuery",
    "GraphQueryResult",
    "GraphSyncWorkerOptions",
    "QueryStatistics",
    "ShortestPathConfig",
    "TraversalConfig",
]
