"""A graph that is down never fails or loses the backend write; the worker drains the queue once it is back.

The outage is real: the adapter talks to Neo4j through a loopback TCP forwarder that the test closes and reopens
(one Neo4j JVM for the whole session)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlparse

import pytest

from cortex import Cortex
from cortex.errors import GraphSyncError
from cortex.graph import CypherGraphAdapter
from cortex.graph.hook import AsyncGraphHook
from cortex.graph.worker import GraphSyncWorker


class Forwarder:
    """Loopback TCP forwarder to the Neo4j Bolt port; ``close`` drops every connection and stops listening."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.server: asyncio.AbstractServer | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.writers:
            w.close()
        self.writers.clear()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


async def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_outage_queues_then_worker_drains_without_duplicates(
    adapter: CypherGraphAdapter, neo4j_uri: str
) -> None:
    target = urlparse(neo4j_uri)
    fwd = Forwarder((target.hostname or "127.0.0.1", target.port or 7687))
    await fwd.open()
    flaky = CypherGraphAdapter({"uri": f"bolt://127.0.0.1:{fwd.port}", "connectionTimeout": 2})
    await flaky.connect()
    hook = AsyncGraphHook(flaky)
    try:
        async with Cortex(local_path=":memory:", graph=hook) as c:
            await fwd.close()  # the graph goes down
            with pytest.raises(GraphSyncError) as info:
                await c.facts.store(
                    {
                        "memory_space_id": "w",
                        "fact": "Dana plays chess",
                        "fact_type": "knowledge",
                        "subject": "Dana",
                        "confidence": 90,
                        "source_type": "manual",
                    },
                    {"sync_to_graph": True},
                )
            assert info.value.details["queued"] is True
            stored = await c.facts.list({"memory_space_id": "w"})
            assert [f.fact for f in stored] == ["Dana plays chess"]  # the primary write is kept

            worker = GraphSyncWorker(
                c.transport, hook, {"batchSize": 10}, poll_interval=0.05, max_backoff=0.2
            )
            worker.start()
            await _wait_for(lambda: _true_after(worker, 2))
            assert worker.metrics.processed == 0 and worker.metrics.connection_errors >= 2
            assert await adapter.count_nodes("Fact") == 0

            await fwd.open()  # the graph comes back on the same port
            await _wait_for(lambda: _count(adapter, "Fact", 1))
            await _wait_for(lambda: _processed(worker, 1))
            await worker.stop()
            assert not worker.running and worker.metrics.failed == 0
            # the queue is empty and a further pass changes nothing
            assert await worker.run_once() == 0
            assert (
                await adapter.count_nodes("Fact") == 1 and await adapter.count_nodes("Entity") == 1
            )
    finally:
        await flaky.disconnect()
        with contextlib.suppress(Exception):
            await fwd.close()


async def _true_after(worker: GraphSyncWorker, errors: int) -> bool:
    return worker.metrics.connection_errors >= errors


async def _count(adapter: CypherGraphAdapter, label: str, n: int) -> bool:
    return await adapter.count_nodes(label) == n


async def _processed(worker: GraphSyncWorker, n: int) -> bool:
    return worker.metrics.processed >= n


async def test_worker_applies_queued_items_once_and_counts_bad_ones(
    adapter: CypherGraphAdapter,
) -> None:
    hook = AsyncGraphHook(adapter)
    async with Cortex(local_path=":memory:") as c:
        from cortex._generated.args.graph_sync import (
            GraphSyncGetUnsyncedItemsArgs,
            GraphSyncQueueForSyncArgs,
        )
        from cortex._generated.calls.graph_sync import (
            graph_sync_get_unsynced_items,
            graph_sync_queue_for_sync,
        )

        for i in range(5):
            mem = {
                "memoryId": f"q{i}",
                "memorySpaceId": "qs",
                "content": f"item {i}",
                "userId": "qu",
            }
            await graph_sync_queue_for_sync(
                c.transport,
                GraphSyncQueueForSyncArgs(
                    table="memories", entity_id=f"q{i}", operation="insert", entity=mem
                ),
            )
        await graph_sync_queue_for_sync(
            c.transport,
            GraphSyncQueueForSyncArgs(
                table="memories", entity_id="bad", operation="insert", entity={"no": "id"}
            ),
        )
        worker = GraphSyncWorker(c.transport, hook, {"batchSize": 3})
        for _ in range(20):  # bounded: each pass syncs items or counts one attempt of the bad one
            await worker.run_once()
            args = GraphSyncGetUnsyncedItemsArgs(limit=10)
            if not await graph_sync_get_unsynced_items(c.transport, args):
                break
        # five synced once each; the bad item used the backend's three attempts and was given up
        assert worker.metrics.processed == 5 and worker.metrics.failed == 3
        assert await adapter.count_nodes("Memory") == 5
        await graph_sync_queue_for_sync(
            c.transport,
            GraphSyncQueueForSyncArgs(table="memories", entity_id="q4", operation="delete"),
        )
        assert await worker.run_once() == 1
        assert await adapter.count_nodes("Memory") == 4
