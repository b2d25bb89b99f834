"""Graph benchmark (needs ``NEO4J_URI``, e.g. from tests/services/neo4j/start.sh): the initial sync of 10k memories
with one fact each (nodes/s, batched UNWIND writes), and recall p50 with graph expansion vs without."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from cortex import Cortex
from cortex.graph import CypherGraphAdapter
from cortex.graph import sync as gsync
from cortex.graph.schema import initialize_graph_schema

# one-by-one MERGEs measured here run at 70-280 nodes/s: the floor the batched path is compared with
ONE_BY_ONE_FLOOR = "70-280 nodes/s"


def _entities(n: int) -> gsync.GraphBatch:
    batch = gsync.GraphBatch()
    for i in range(n):
        conv = f"c{i // 10}"
        gsync.add_memory(
            batch,
            {
                "memoryId": f"m{i}",
                "memorySpaceId": "bench",
                "content": f"memory {i}",
                "userId": f"u{i % 50}",
                "conversationRef": {"conversationId": conv},
            },
        )
        gsync.add_fact(
            batch,
            {
                "factId": f"f{i}",
                "memorySpaceId": "bench",
                "fact": f"person{i} likes topic{i % 100}",
                "subject": f"person{i}",
                "predicate": "likes",
                "object": f"topic{i % 100}",
                "sourceRef": {"conversationId": conv},
            },
        )
    return batch


async def _sync(adapter: CypherGraphAdapter, n: int) -> None:
    batch = _entities(n)
    started = time.perf_counter()
    written = await gsync.write_batch(adapter, batch)
    took = time.perf_counter() - started
    print(
        f"initial sync, {n} memories + {n} facts: {written['nodes']} nodes, {written['edges']} edges in {took:.1f} s"
        f" = {written['nodes'] / took:,.0f} nodes/s ({(written['nodes'] + written['edges']) / took:,.0f} writes/s);"
        f" one-by-one floor {ONE_BY_ONE_FLOOR}"
    )


async def _recall(adapter: CypherGraphAdapter, facts: int, rounds: int) -> None:
    async with Cortex(local_path=":memory:", graph=adapter) as c:
        for i in range(facts):
            await c.facts.store(
                {
                    "memory_space_id": "rb",
                    "fact": f"person{i} works at company{i % 20}",
                    "fact_type": "knowledge",
                    "subject": f"person{i}",
                    "predicate": "works at",
                    "object": f"company{i % 20}",
                    "confidence": 90,
                    "source_type": "manual",
                },
                {"sync_to_graph": True},
            )
        for label, extra in (
            ("without graph", {"sources": {"graph": False}}),
            ("with graph expansion", {}),
        ):
            times = []
            for r in range(rounds):
                started = time.perf_counter()
                await c.memory.recall(
                    {"memory_space_id": "rb", "query": f"person{r % facts}", **extra}
                )
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"recall p50 {label}: {statistics.median(times):.1f} ms ({rounds} queries, {facts} facts)"
            )


async def _main(quick: bool) -> None:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        print("skipped: NEO4J_URI not set (bash tests/services/neo4j/start.sh DIR prints one)")
        return
    adapter = CypherGraphAdapter({"uri": uri})
    await adapter.connect()
    await adapter.clear_database()
    await initialize_graph_schema(adapter)
    try:
        await _sync(adapter, 1000 if quick else 10_000)
        await adapter.clear_database()
        await _recall(adapter, 50 if quick else 200, 20 if quick else 50)
        await adapter.clear_database()
    finally:
        await adapter.disconnect()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks graph")
    parser.add_argument("--quick", action="store_true")
    asyncio.run(_main(parser.parse_args(argv).quick))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
