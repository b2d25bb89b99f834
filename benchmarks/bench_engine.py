"""Embedded engine throughput: inserts/s in-process, keyword search latency, event-loop responsiveness.

Run: ``python -m benchmarks.bench_engine [--quick]``. Prints:

* inserts/s through ``SyncEmbeddedTransport`` (``mutable:set``, one transaction per call, the SDK's path) and
  through ``Engine.run_mutation`` (one memory with a 768-dim embedding per transaction); goal >= 2,000/s;
* keyword (FTS5) search p50/p95 at 100k memories (10k with ``--quick``), filtered on the memory space (contents
  and queries drawn from a Zipf-distributed 20k-word vocabulary);
* the longest event-loop stall while 500 async calls run on ``AsyncEmbeddedTransport``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from cortex._generated.args.mutable import MutableSetArgs
from cortex._generated.calls import mutable as acalls
from cortex._generated.calls_sync import mutable as calls
from cortex.embedded.engine import Engine
from cortex.embedded.transport import AsyncEmbeddedTransport, SyncEmbeddedTransport

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
_VOCAB_RNG = np.random.default_rng(11)
# 20k synthetic words of 3-9 letters; word frequencies follow Zipf's law like natural text.
VOCABULARY = [
    "".join(_VOCAB_RNG.choice(_LETTERS, size=_VOCAB_RNG.integers(3, 10))) for _ in range(20_000)
]


def words(rng: np.random.Generator, k: int) -> str:
    return " ".join(VOCABULARY[int(r) % len(VOCABULARY)] for r in rng.zipf(1.2, size=k))


def memory(
    i: int, rng: np.random.Generator, space: str, embedding: list[float] | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "memoryId": f"m{i}",
        "memorySpaceId": space,
        "content": words(rng, 12),
        "contentType": "raw",
        "sourceType": "conversation",
        "sourceTimestamp": 1.0,
        "importance": 50.0,
        "tags": [],
        "version": 1.0,
        "previousVersions": [],
        "createdAt": 1.0,
        "updatedAt": 1.0,
        "accessCount": 0.0,
    }
    if embedding is not None:
        doc["embedding"] = embedding
    return doc


def bench_transport_inserts(workdir: Path, n: int) -> float:
    with SyncEmbeddedTransport(workdir / "inserts.db") as t:
        t0 = time.perf_counter()
        for i in range(n):
            calls.mutable_set(
                t, MutableSetArgs(namespace="bench", key=f"k{i}", value={"i": i, "text": "payload"})
            )
        return n / (time.perf_counter() - t0)


def bench_document_inserts(workdir: Path, n: int) -> float:
    engine = Engine(workdir / "docs.db")
    try:
        t0 = time.perf_counter()
        for i in range(n):
            engine.run_mutation(
                lambda ctx, i=i: ctx.db.insert(
                    "mutable",
                    {
                        "namespace": "b",
                        "key": f"k{i}",
                        "value": i,
                        "createdAt": 1.0,
                        "updatedAt": 1.0,
                    },
                )
            )
        return n / (time.perf_counter() - t0)
    finally:
        engine.close()


def bench_embedding_inserts(workdir: Path, n: int) -> float:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(n, 768)).round(6).tolist()
    engine = Engine(workdir / "emb.db")
    try:
        t0 = time.perf_counter()
        for i in range(n):
            engine.run_mutation(
                lambda ctx, i=i: ctx.db.insert("memories", memory(i, rng, "s1", vectors[i]))
            )
        return n / (time.perf_counter() - t0)
    finally:
        engine.close()


def bench_keyword(workdir: Path, n: int) -> tuple[float, float]:
    rng = np.random.default_rng(5)
    engine = Engine(workdir / "fts.db")
    try:
        for start in range(0, n, 5000):

            def fill(ctx: Any, start: int = start) -> None:
                for i in range(start, min(n, start + 5000)):
                    ctx.db.insert("memories", memory(i, rng, f"space-{i % 10}"))

            engine.run_mutation(fill)
        latencies = []
        for _ in range(200):
            text = words(rng, 2)
            space = f"space-{rng.integers(10)}"
            t0 = time.perf_counter()
            engine.run_query(
                lambda ctx, text=text, space=space: (
                    ctx.db.query("memories")
                    .with_search_index(
                        "by_content", lambda q: q.search("content", text).eq("memorySpaceId", space)
                    )
                    .take(20)
                )
            )
            latencies.append((time.perf_counter() - t0) * 1000)
        return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 95))
    finally:
        engine.close()


async def _loop_stall(workdir: Path, calls_n: int) -> tuple[float, float]:
    transport = AsyncEmbeddedTransport(workdir / "async.db")
    worst = 0.0
    stop = False

    async def watchdog() -> None:
        nonlocal worst
        while not stop:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - t0 - 0.001)

    dog = asyncio.create_task(watchdog())
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            acalls.mutable_set(transport, MutableSetArgs(namespace="a", key=f"k{i}", value=i))
            for i in range(calls_n)
        )
    )
    elapsed = time.perf_counter() - t0
    stop = True
    await dog
    await transport.aclose()
    return worst * 1000, calls_n / elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller keyword-search corpus (10k)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("embedded engine")
        rate = bench_transport_inserts(work, 3000)
        print(
            f"  inserts/s, mutable:set via SyncEmbeddedTransport (1 txn/call): {rate:8.0f}   goal >= 2000"
        )
        rate = bench_document_inserts(work, 3000)
        print(
            f"  inserts/s, ctx.db.insert of a mutable entry (1 txn/insert):   {rate:8.0f}   goal >= 2000"
        )
        rate = bench_embedding_inserts(work, 1000)
        print(f"  inserts/s, memory with 768-dim embedding (1 txn/insert):       {rate:8.0f}")
        n = 10_000 if args.quick else 100_000
        p50, p95 = bench_keyword(work, n)
        print(
            f"  keyword search at {n} memories (10 spaces), take 20: p50 {p50:.2f} ms, p95 {p95:.2f} ms"
        )
        stall, rate = asyncio.run(_loop_stall(work, 500))
        print(
            f"  async transport, 500 concurrent calls: {rate:.0f} calls/s, longest event-loop stall {stall:.2f} ms"
        )


if __name__ == "__main__":
    main()
