"""The client's graph hook: what ``thin+graph`` methods call after their backend call, and the graph calls the
cascade and recall make (``delete_user_nodes``, ``count_user_nodes``, ``expand``).

``AsyncGraphHook.of(value)`` turns ``CortexConfig.graph`` into a hook: a ``GraphConfig`` or a
``CypherGraphAdapter`` becomes an ``AsyncGraphHook``; an object that already has ``after_call`` is used as it is.
Inline sync never fails or loses the backend write: when the graph is down the entity is queued for the
``GraphSyncWorker`` (``graphSync:queueForSync``) and, if the caller asked for graph sync, a ``GraphSyncError`` (or
``GraphConnectionError``) says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortex._generated.args.graph_sync import GraphSyncQueueForSyncArgs
from cortex._generated.calls.graph_sync import graph_sync_queue_for_sync
from cortex._generated.models import GraphConfig
from cortex._transport.base import AsyncTransport
from cortex.errors import ConfigurationError, GraphDatabaseError, GraphSyncError
from cortex.graph import sync
from cortex.graph.adapters.cypher import CypherGraphAdapter
from cortex.graph.model import NODE_KEYS

# hooked method -> (queue table, what the entity is: "result" or the id argument of a delete)
UPSERTS: dict[str, str] = {
    "memory_spaces.register": "memorySpaces",
    "memory_spaces.update": "memorySpaces",
    "conversations.create": "conversations",
    "conversations.add_message": "conversations",
    "vector.store": "memories",
    "facts.store": "facts",
    "facts.update": "facts",
    "contexts.create": "contexts",
    "contexts.update": "contexts",
}
DELETES: dict[str, tuple[str, str]] = {
    "vector.delete": ("memories", "memoryId"),
    "facts.delete": ("facts", "factId"),
    "contexts.delete": ("contexts", "contextId"),
    "conversations.delete": ("conversations", "conversationId"),
}


def _entity_id(table: str, entity: Mapping[str, Any]) -> str:
    label = sync.TABLE_LABELS[table]
    return str(entity[NODE_KEYS[label]])


class AsyncGraphHook:
    """Writes entities into the graph right after the backend stored them."""

    def __init__(self, adapter: CypherGraphAdapter, *, orphan_cleanup: bool = True) -> None:
        self.adapter = adapter
        self.orphan_cleanup = orphan_cleanup
        self.transport: AsyncTransport | None = (
            None  # set by the client: where failed syncs are queued
        )

    @classmethod
    def of(cls, value: Any) -> Any:
        """The hook for ``CortexConfig.graph`` (``None`` when no graph is configured)."""
        if value is None or hasattr(value, "after_call"):
            return value
        if isinstance(value, CypherGraphAdapter):
            return cls(value)
        if isinstance(value, (GraphConfig, Mapping)):
            config = GraphConfig.model_validate(value)
            if not isinstance(config.adapter, CypherGraphAdapter):
                raise ConfigurationError(
                    "graph.adapter must be a CypherGraphAdapter", field="graph"
                )
            return cls(config.adapter, orphan_cleanup=config.orphan_cleanup is not False)
        raise ConfigurationError(
            "graph must be a GraphConfig or a CypherGraphAdapter", field="graph"
        )

    async def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None:
        if method in UPSERTS and isinstance(result, Mapping):
            table = UPSERTS[method]
            await self._guarded(table, _entity_id(table, result), "insert", result)
        elif method in DELETES:
            table, key = DELETES[method]
            if args.get(key) is not None:
                await self._guarded(table, str(args[key]), "delete", None)

    async def apply(self, table: str, entity_id: str, operation: str, entity: Any) -> int:
        """Apply one change to the graph (used inline and by the worker); returns nodes written or deleted."""
        if operation == "delete":
            return await sync.delete_node(
                self.adapter, sync.TABLE_LABELS[table], entity_id, self.orphan_cleanup
            )
        batch = sync.GraphBatch()
        sync.BUILDERS[table](batch, entity)
        return (await sync.write_batch(self.adapter, batch))["nodes"]

    async def _guarded(self, table: str, entity_id: str, operation: str, entity: Any) -> None:
        try:
            await self.apply(table, entity_id, operation, entity)
        except GraphDatabaseError as exc:
            queued = False
            if self.transport is not None:
                args = GraphSyncQueueForSyncArgs(
                    table=table,
                    entity_id=entity_id,
                    operation=operation,
                    entity=entity,
                    priority="normal",
                )
                await graph_sync_queue_for_sync(self.transport, args)
                queued = True
            raise GraphSyncError(
                f"graph sync of {table}/{entity_id} failed ({exc.code}); "
                + ("queued for the sync worker" if queued else "not queued"),
                details={
                    "table": table,
                    "entityId": entity_id,
                    "queued": queued,
                    "cause": exc.code,
                },
            ) from exc

    async def delete_user_nodes(self, user_id: str) -> int:
        return await sync.delete_user_nodes(self.adapter, user_id)

    async def count_user_nodes(self, user_id: str) -> int:
        return await sync.count_user_nodes(self.adapter, user_id)

    async def expand(
        self,
        space: str,
        memory_ids: list[str],
        fact_ids: list[str],
        depth: int = 2,
        limit: int = 20,
    ) -> tuple[list[str], list[str]]:
        """Recall's graph expansion: ``(entity names, related fact ids)`` (see ``sync.related_facts``)."""
        return await sync.related_facts(self.adapter, space, memory_ids, fact_ids, depth, limit)


class SyncGraphHook:
    """The blocking client's side: a graph object with a blocking ``after_call`` is used as it is; the Bolt
    adapter is asynchronous, so a ``GraphConfig``/``CypherGraphAdapter`` needs the async client (``Cortex``)."""

    @classmethod
    def of(cls, value: Any) -> Any:
        if value is None or hasattr(value, "after_call"):
            return value
        raise ConfigurationError(
            "graph sync with CypherGraphAdapter needs the async client (Cortex)", field="graph"
        )
