"""Vector search on the embedded engine: HNSW (usearch, partitioned by memory space) vs an exact full scan.

Run: ``python -m benchmarks.bench_vector [--quick]`` (``--quick`` stops at 10k). Prints p50/p95 latency of
``ctx.vector_search`` (filtered on the memory space, limit 10) at 1k/10k/100k memories of 768 dimensions in one
space, recall@10 against the exact answer, and the latency of an exact numpy scan over the same vectors.
Goals: p50 <= 5 ms at 100k, recall@10 >= 0.95.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from cortex.embedded.engine import Engine

DIMS = 768
LATENT = 64
QUERIES = 200
SPACE = "space-bench"


def _memory(i: int, vec: list[float]) -> dict[str, Any]:
    return {
        "memoryId": f"m{i}",
        "memorySpaceId": SPACE,
        "content": f"memory {i}",
        "contentType": "raw",
        "embedding": vec,
        "sourceType": "system",
        "sourceTimestamp": 1.0,
        "importance": 50.0,
        "tags": [],
        "version": 1.0,
        "previousVersions": [],
        "createdAt": 1.0,
        "updatedAt": 1.0,
        "accessCount": 0.0,
    }


def dataset(
    n: int, rng: np.random.Generator, *, hard: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors and a query-perturbation basis.

    Default: text-embedding-like data: topic clusters in a 64-dim latent space embedded in 768 dims, plus a little
    isotropic noise (real embeddings have a low intrinsic dimension). ``hard``: clusters drowned in full-rank
    768-dim noise, close to uniformly random vectors, the worst case for any graph index.
    """
    if hard:
        centers = rng.normal(size=(max(10, n // 100), DIMS))
        data = centers[rng.integers(len(centers), size=n)] + 0.6 * rng.normal(size=(n, DIMS))
        basis = np.eye(DIMS)
    else:
        basis, _ = np.linalg.qr(rng.normal(size=(DIMS, LATENT)))
        centers = rng.normal(size=(max(10, n // 100), LATENT))
        z = centers[rng.integers(len(centers), size=n)] + 0.5 * rng.normal(size=(n, LATENT))
        data = z @ basis.T + 0.02 * rng.normal(size=(n, DIMS))
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data.round(6), basis


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q))


def run_size(n: int, workdir: Path, *, hard: bool = False) -> dict[str, float]:
    rng = np.random.default_rng(n)
    data, basis = dataset(n, rng, hard=hard)
    engine = Engine(workdir / f"vec-{n}.db")
    try:
        t0 = time.perf_counter()
        ids: list[str] = []
        for start in range(0, n, 1000):
            chunk = data[start : start + 1000]

            def insert(ctx: Any, chunk: np.ndarray = chunk, start: int = start) -> list[str]:
                return [
                    ctx.db.insert("memories", _memory(start + j, v.tolist()))
                    for j, v in enumerate(chunk)
                ]

            ids += engine.run_mutation(insert)
        insert_s = time.perf_counter() - t0
        noise = rng.normal(size=(QUERIES, basis.shape[1])) @ basis.T
        queries = data[rng.integers(n, size=QUERIES)] + (0.3 if hard else 0.1) * noise

        def search(q: np.ndarray) -> list[dict[str, Any]]:
            return engine.run_query(
                lambda ctx: ctx.vector_search(
                    "memories",
                    "by_embedding",
                    vector=q.tolist(),
                    limit=10,
                    filter=lambda f: f.eq("memorySpaceId", SPACE),
                )
            )

        t0 = time.perf_counter()
        search(queries[0])  # first search builds the in-memory graph from the log
        build_s = time.perf_counter() - t0
        index_of = {doc_id: i for i, doc_id in enumerate(ids)}
        latencies, exact_latencies, recalls = [], [], []
        for q in queries:
            t0 = time.perf_counter()
            hits = search(q)
            latencies.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            scores = data @ (q / np.linalg.norm(q))
            top = np.argpartition(-scores, 10)[:10]
            exact_latencies.append((time.perf_counter() - t0) * 1000)
            recalls.append(len({index_of[h["_id"]] for h in hits} & set(top.tolist())) / 10)
        return {
            "n": n,
            "insert_per_s": n / insert_s,
            "build_s": build_s,
            "p50": pct(latencies, 50),
            "p95": pct(latencies, 95),
            "recall": statistics.mean(recalls),
            "exact_p50": pct(exact_latencies, 50),
            "exact_p95": pct(exact_latencies, 95),
        }
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="stop at 10k memories")
    parser.add_argument(
        "--hard", action="store_true", help="near-uniform random vectors (worst case)"
    )
    args = parser.parse_args(argv)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    kind = "near-uniform (hard)" if args.hard else f"clustered, intrinsic dim {LATENT}"
    print(
        f"vector search, {DIMS} dims ({kind}), one memory space, limit 10, {QUERIES} queries per size"
    )
    header = f"{'memories':>9} | {'HNSW p50':>9} {'p95':>8} {'recall@10':>9} | {'exact scan p50':>14} {'p95':>8} | {'bulk ins/s':>10} {'1st search (build) s':>20}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = run_size(n, Path(tmp), hard=args.hard)
            print(
                f"{n:>9} | {r['p50']:>7.2f}ms {r['p95']:>6.2f}ms {r['recall']:>9.3f} | "
                f"{r['exact_p50']:>12.2f}ms {r['exact_p95']:>6.2f}ms | {r['insert_per_s']:>10.0f} {r['build_s']:>20.2f}",
                flush=True,
            )
    print(
        "goal: p50 <= 5 ms at 100k, recall@10 >= 0.95 (exact scan = numpy matrix product over float32 vectors)"
    )


if __name__ == "__main__":
    main()
