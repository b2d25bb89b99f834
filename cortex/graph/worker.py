"""``GraphSyncWorker``: drains the backend's graph sync queue (``graphSync:*``) into the graph.

Each pass reads up to ``batch_size`` unsynced items, applies each one with the hook's ``apply`` (idempotent
``MERGE``s, so an item applied twice changes nothing) and marks it synced. A graph that is down
(``GraphConnectionError``) leaves the item queued untouched, with no attempt counted, and the loop backs off
exponentially until the graph answers again; a rejected item (``GraphQueryError``, bad data) counts one failed
attempt (``graphSync:markFailed``; the backend gives it up after its attempt limit). Works on both backends: it only
calls the generated ``graphSync`` functions through the client's transport.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cortex._generated.args.graph_sync import (
    GraphSyncGetUnsyncedItemsArgs,
    GraphSyncMarkFailedArgs,
    GraphSyncMarkSyncedArgs,
)
from cortex._generated.calls.graph_sync import (
    graph_sync_get_unsynced_items,
    graph_sync_mark_failed,
    graph_sync_mark_synced,
)
from cortex._generated.models import GraphSyncWorkerOptions
from cortex._transport.base import AsyncTransport
from cortex.errors import GraphConnectionError, GraphDatabaseError
from cortex.graph.hook import AsyncGraphHook


@dataclass
class GraphSyncMetrics:
    processed: int = 0
    failed: int = 0
    connection_errors: int = 0
    passes: int = 0
    last_error: str | None = None


class GraphSyncWorker:
    """Drains the graph sync queue; ``run_once`` for one pass, ``start``/``stop`` for a background loop."""

    def __init__(
        self,
        transport: AsyncTransport,
        hook: AsyncGraphHook,
        options: GraphSyncWorkerOptions | Mapping[str, Any] | None = None,
        *,
        poll_interval: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        opts = GraphSyncWorkerOptions.model_validate(options or {})
        self.batch_size = int(opts.batch_size or 100)
        self.verbose = bool(opts.verbose)
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.metrics = GraphSyncMetrics()
        self._transport = transport
        self._hook = hook
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """One pass over the queue; returns how many items were synced. Raises ``GraphConnectionError`` when the
        graph is down (nothing was marked)."""
        items = await graph_sync_get_unsynced_items(
            self._transport, GraphSyncGetUnsyncedItemsArgs(limit=self.batch_size)
        )
        self.metrics.passes += 1
        done = 0
        for item in sorted(items or [], key=lambda i: i.get("createdAt", 0)):
            try:
                await self._hook.apply(
                    item["table"], item["entityId"], item["operation"], item.get("entity")
                )
            except GraphConnectionError:
                self.metrics.connection_errors += 1
                raise
            except (GraphDatabaseError, KeyError) as exc:
                self.metrics.failed += 1
                self.metrics.last_error = str(exc)
                await graph_sync_mark_failed(
                    self._transport, GraphSyncMarkFailedArgs(id=item["_id"], error=str(exc)[:500])
                )
                continue
            await graph_sync_mark_synced(self._transport, GraphSyncMarkSyncedArgs(id=item["_id"]))
            done += 1
        self.metrics.processed += done
        return done

    async def _loop(self) -> None:
        delay = self.poll_interval
        while not self._stopping.is_set():
            try:
                synced = await self.run_once()
                delay = self.poll_interval if synced == 0 else 0.0
            except GraphConnectionError as exc:
                self.metrics.last_error = str(exc)
                delay = min(self.max_backoff, max(delay, self.poll_interval) * 2)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    def start(self) -> None:
        """Run the loop in the background (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()
