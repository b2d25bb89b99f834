"""Vector indexes: cosine scores, filters inside the search, dimensions from the data, persistence and recovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cortex.embedded import MutationCtx
from cortex.embedded import vectors as vectors_module
from cortex.embedded.engine import Engine
from cortex.embedded.errors import EngineError

from .helpers import memory_doc


def _insert(
    engine: Engine, rows: list[tuple[str, str, list[float], dict[str, Any]]]
) -> dict[str, str]:
    def run(ctx: MutationCtx) -> dict[str, str]:
        return {
            mid: ctx.db.insert("memories", memory_doc(mid, space, embedding=vec, **extra))
            for mid, space, vec, extra in rows
        }

    return engine.run_mutation(run)


def _search(
    engine: Engine, vec: list[float], limit: int = 10, flt: Any = None
) -> list[dict[str, Any]]:
    return engine.run_query(
        lambda ctx: ctx.vector_search(
            "memories", "by_embedding", vector=vec, limit=limit, filter=flt
        )
    )


def _exact(rows: dict[str, np.ndarray], q: np.ndarray, k: int) -> list[str]:
    scores = {
        mid: float(v @ q / (np.linalg.norm(v) * np.linalg.norm(q))) for mid, v in rows.items()
    }
    return sorted(scores, key=lambda m: -scores[m])[:k]


def test_cosine_scores_and_order(engine: Engine) -> None:
    ids = _insert(
        engine,
        [
            ("a", "s1", [1.0, 0.0, 0.0], {}),
            ("b", "s1", [0.7, 0.7, 0.0], {}),
            ("c", "s1", [0.0, 0.0, 1.0], {}),
        ],
    )
    hits = _search(engine, [2.0, 0.0, 0.0], limit=3)
    assert [h["_id"] for h in hits] == [ids["a"], ids["b"], ids["c"]]
    assert hits[0]["_score"] == pytest.approx(1.0, abs=1e-5)
    assert hits[1]["_score"] == pytest.approx(0.7071, abs=1e-3)
    assert hits[2]["_score"] == pytest.approx(0.0, abs=1e-5)


def test_filters_apply_inside_the_search(engine: Engine) -> None:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(300):
        rows.append((f"m{i}", f"s{i % 3}", rng.normal(size=8).tolist(), {"userId": f"u{i % 5}"}))
    ids = _insert(engine, rows)
    q = rng.normal(size=8)
    hits = _search(engine, q.tolist(), 5, lambda f: f.eq("memorySpaceId", "s1"))
    space1 = {mid: np.asarray(v) for mid, s, v, _ in rows if s == "s1"}
    assert [h["_id"] for h in hits] == [ids[m] for m in _exact(space1, q, 5)]
    both = _search(
        engine, q.tolist(), 5, lambda f: f.and_(f.eq("memorySpaceId", "s1"), f.eq("userId", "u2"))
    )
    subset = {mid: np.asarray(v) for mid, s, v, x in rows if s == "s1" and x["userId"] == "u2"}
    assert [h["_id"] for h in both] == [ids[m] for m in _exact(subset, q, 5)]
    either = _search(
        engine, q.tolist(), 5, lambda f: f.or_(f.eq("userId", "u0"), f.eq("userId", "u1"))
    )
    subset = {mid: np.asarray(v) for mid, _, v, x in rows if x["userId"] in ("u0", "u1")}
    assert [h["_id"] for h in either] == [ids[m] for m in _exact(subset, q, 5)]
    assert _search(engine, q.tolist(), 5, lambda f: f.eq("memorySpaceId", "nowhere")) == []
    with pytest.raises(EngineError, match="not a filter field"):
        _search(engine, q.tolist(), 5, lambda f: f.eq("content", "x"))


def test_dimensions_come_from_the_data_and_stay_apart(engine: Engine) -> None:
    ids = _insert(
        engine, [("small", "s1", [1.0, 0.0], {}), ("big", "s1", [1.0, 0.0, 0.0, 0.0], {})]
    )
    assert [h["_id"] for h in _search(engine, [1.0, 0.1])] == [ids["small"]]
    assert [h["_id"] for h in _search(engine, [1.0, 0.0, 0.0, 0.1])] == [ids["big"]]
    assert _search(engine, [1.0, 0.0, 0.0]) == []


def test_hnsw_path_recall_on_a_large_partition(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors_module, "EXACT_BELOW", 50)
    rng = np.random.default_rng(7)
    centers = rng.normal(size=(20, 32))
    data = {f"m{i}": centers[i % 20] + 0.3 * rng.normal(size=32) for i in range(3000)}
    ids = _insert(engine, [(m, "s1", v.tolist(), {}) for m, v in data.items()])
    hits_total = 0
    for _ in range(20):
        q = centers[rng.integers(20)] + 0.3 * rng.normal(size=32)
        got = {h["_id"] for h in _search(engine, q.tolist(), 10)}
        hits_total += len(got & {ids[m] for m in _exact(data, q, 10)})
    assert hits_total / 200 >= 0.9


def test_updates_and_deletes_reach_the_vector_index(engine: Engine) -> None:
    ids = _insert(engine, [("a", "s1", [1.0, 0.0], {}), ("b", "s1", [0.0, 1.0], {})])
    engine.run_mutation(lambda ctx: ctx.db.patch(ids["a"], {"embedding": [-1.0, 0.0]}))
    assert _search(engine, [1.0, 0.0], 1)[0]["_id"] == ids["b"]
    engine.run_mutation(lambda ctx: ctx.db.patch(ids["b"], {"memorySpaceId": "s2"}))
    assert [
        h["_id"] for h in _search(engine, [0.0, 1.0], 5, lambda f: f.eq("memorySpaceId", "s2"))
    ] == [ids["b"]]
    engine.run_mutation(lambda ctx: ctx.db.delete(ids["b"]))
    assert [h["_id"] for h in _search(engine, [0.0, 1.0], 5)] == [ids["a"]]


def test_rolled_back_mutation_leaves_no_vector(engine: Engine) -> None:
    def fail(ctx: MutationCtx) -> None:
        ctx.db.insert("memories", memory_doc("ghost", "s1", embedding=[1.0, 0.0]))
        assert len(ctx.vector_search("memories", "by_embedding", vector=[1.0, 0.0])) == 1
        raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        engine.run_mutation(fail)
    assert _search(engine, [1.0, 0.0]) == []
    ids = _insert(engine, [("real", "s1", [1.0, 0.0], {})])
    assert [h["_id"] for h in _search(engine, [1.0, 0.0])] == [ids["real"]]


def test_persisted_and_reloaded(db_path: Path) -> None:
    engine = Engine(db_path)
    ids = _insert(engine, [(f"m{i}", "s1", [float(i), 1.0, 0.5], {}) for i in range(50)])
    expected = _search(engine, [3.0, 1.0, 0.5], 5)
    engine.close()
    manifest = Path(str(db_path) + ".vectors") / "memories.by_embedding.json"
    assert manifest.exists()
    reopened = Engine(db_path)
    try:
        assert reopened.vectors.states["memories.by_embedding"].saved > 0
        assert _search(reopened, [3.0, 1.0, 0.5], 5) == expected
        assert ids
    finally:
        reopened.close()


def test_stale_files_are_caught_up_or_rebuilt(db_path: Path) -> None:
    engine = Engine(db_path)
    ids = _insert(engine, [("a", "s1", [1.0, 0.0], {})])
    engine.close()  # files now reflect only "a"
    # Writes after the save, then a "crash": no save at the end.
    engine = Engine(db_path)
    more = _insert(engine, [("b", "s1", [0.0, 1.0], {})])
    engine.run_mutation(lambda ctx: ctx.db.delete(ids["a"]))
    engine.store.conn.close()
    reopened = Engine(db_path)
    try:
        assert [h["_id"] for h in _search(reopened, [1.0, 0.1], 5)] == [more["b"]]
    finally:
        reopened.close()
    # Files that disagree with SQLite (here: a foreign manifest) are discarded and rebuilt.
    manifest = Path(str(db_path) + ".vectors") / "memories.by_embedding.json"
    manifest.write_text(manifest.read_text().replace('"store_id": "', '"store_id": "x'))
    reopened = Engine(db_path)
    try:
        assert [h["_id"] for h in _search(reopened, [1.0, 0.1], 5)] == [more["b"]]
    finally:
        reopened.close()


def test_bad_vector_arguments(engine: Engine) -> None:
    with pytest.raises(EngineError, match="non-empty array"):
        _search(engine, [])
    with pytest.raises(EngineError, match="between 1 and 256"):
        _search(engine, [1.0], limit=0)


def test_another_connections_writes_are_seen(db_path: Path) -> None:
    reader, writer = Engine(db_path), Engine(db_path)
    try:
        first = _insert(writer, [("a", "s1", [1.0, 0.0], {})])
        assert [h["_id"] for h in _search(reader, [1.0, 0.0])] == [first["a"]]
        second = _insert(writer, [("b", "s1", [0.0, 1.0], {})])
        writer.run_mutation(lambda ctx: ctx.db.delete(first["a"]))
        assert [h["_id"] for h in _search(reader, [1.0, 0.1])] == [second["b"]]
    finally:
        writer.close()
        reader.close()


def test_unchanged_index_is_not_rewritten_at_close(db_path: Path) -> None:
    engine = Engine(db_path)
    _insert(engine, [("a", "s1", [1.0, 0.0], {})])
    engine.close()
    directory = Path(str(db_path) + ".vectors")
    before = {f.name: f.stat().st_mtime_ns for f in directory.iterdir()}
    Engine(db_path).close()
    assert {f.name: f.stat().st_mtime_ns for f in directory.iterdir()} == before
    engine = Engine(db_path)
    _insert(engine, [("b", "s1", [0.0, 1.0], {})])
    engine.close()
    assert {f.name for f in directory.iterdir()} != set(before)


def _statements_to_reopen(
    path: Path, n: int
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    engine = Engine(path)
    rows = [(f"m{i}", f"s{i % 3}", [float(i % 17), 1.0, float(i % 5)], {}) for i in range(n)]
    _insert(engine, rows)
    only_s1 = lambda q: q.eq("memorySpaceId", "s1")  # noqa: E731
    expected = (_search(engine, [3.0, 1.0, 2.0], 5), _search(engine, [3.0, 1.0, 2.0], 5, only_s1))
    engine.close()
    statements: list[str] = []
    original = vectors_module.VectorIndexes.load

    def counted_load(self: vectors_module.VectorIndexes) -> None:
        self.store.conn.set_trace_callback(statements.append)
        try:
            original(self)
        finally:
            self.store.conn.set_trace_callback(None)

    vectors_module.VectorIndexes.load = counted_load  # type: ignore[method-assign]
    try:
        reopened = Engine(path)
    finally:
        vectors_module.VectorIndexes.load = original  # type: ignore[method-assign]
    try:
        assert reopened.vectors.states["memories.by_embedding"].saved > 0  # loaded from files
        got = (
            _search(reopened, [3.0, 1.0, 2.0], 5),
            _search(reopened, [3.0, 1.0, 2.0], 5, only_s1),
        )
    finally:
        reopened.close()
    return len(statements), list(expected), list(got)


def test_reopening_does_work_independent_of_the_number_of_vectors(tmp_path: Path) -> None:
    small, small_expected, small_got = _statements_to_reopen(tmp_path / "small.db", 60)
    large, large_expected, large_got = _statements_to_reopen(tmp_path / "large.db", 3000)
    assert small_got == small_expected and large_got == large_expected
    assert large == small  # keys and filter values are read in bulk, not per vector or per chunk
