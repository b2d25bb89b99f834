"""Several processes on one store: no "database is locked", no lost write; kill -9 leaves a consistent store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cortex._generated.args.mutable import MutableCountArgs, MutableGetArgs, MutableSetArgs
from cortex._generated.calls_sync import mutable as calls
from cortex.embedded.engine import Engine
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.embedded.values import loads

WRITER = str(Path(__file__).with_name("writer_proc.py"))
ROOT = str(Path(__file__).resolve().parents[2])


def _spawn(db: Path, name: str, count: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.Popen(
        [sys.executable, WRITER, str(db), name, str(count), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _seed_counter(db: Path) -> None:
    with SyncEmbeddedTransport(db) as t:
        calls.mutable_set(t, MutableSetArgs(namespace="shared", key="counter", value=0))


@pytest.mark.slow
def test_four_processes_write_concurrently_without_loss(db_path: Path) -> None:
    _seed_counter(db_path)
    procs = [_spawn(db_path, f"w{i}", 60) for i in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    acknowledged = [line for out, _ in outputs for line in out.split()]
    assert len(acknowledged) == 240
    with SyncEmbeddedTransport(db_path) as t:
        assert calls.mutable_count(t, MutableCountArgs(namespace="load")) == 240
        assert (
            calls.mutable_get(t, MutableGetArgs(namespace="shared", key="counter"))["value"] == 240
        )


def _check_consistency(engine: Engine) -> None:
    conn = engine.store.conn
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    docs = conn.execute("SELECT rid, id, tbl, ct, doc FROM documents").fetchall()
    expected = set()
    for rid, doc_id, table, ct, body in docs:
        for ix, key in engine.store._index_rows(table, loads(body), ct, doc_id):
            expected.add((ix, key, rid))
    actual = set(conn.execute("SELECT ix, key, rid FROM idx").fetchall())
    assert actual == expected
    memories = [row for row in docs if row[2] == "memories"]
    assert conn.execute("SELECT COUNT(*) FROM fts_memories_by_content").fetchone()[0] == len(
        memories
    )
    assert conn.execute("SELECT COUNT(*) FROM vec").fetchone()[0] == len(memories)
    engine.run_query(lambda ctx: engine.vectors.sync("memories.by_embedding"))
    state = engine.vectors.states["memories.by_embedding"]
    assert len(state.where) == len(memories)
    assert sum(len(p.index) for p in state.parts.values()) == len(memories)


@pytest.mark.slow
def test_kill_9_during_writes_leaves_a_consistent_store(db_path: Path) -> None:
    _seed_counter(db_path)
    first = _spawn(db_path, "a", 40, "--vectors")
    first.communicate(timeout=300)
    with SyncEmbeddedTransport(db_path):
        pass  # a clean close: vector files saved
    victims = [_spawn(db_path, f"k{i}", 0, "--vectors") for i in range(2)]
    time.sleep(4)
    for v in victims:
        v.send_signal(signal.SIGKILL)
    acknowledged = ["a-" + str(i) for i in range(40)]
    for v in victims:
        out, _ = v.communicate(timeout=30)
        acknowledged += out.split()
    assert len(acknowledged) > 40
    engine = Engine(db_path)
    try:
        _check_consistency(engine)
        keys = {
            d["key"]
            for d in engine.run_query(
                lambda ctx: (
                    ctx.db.query("mutable")
                    .with_index("by_namespace", lambda q: q.eq("namespace", "load"))
                    .collect()
                )
            )
        }
        assert set(acknowledged) <= keys
        memory_ids = {
            d["memoryId"] for d in engine.run_query(lambda ctx: ctx.db.query("memories").collect())
        }
        assert set(acknowledged) <= memory_ids
        some = engine.run_query(
            lambda ctx: ctx.vector_search("memories", "by_embedding", vector=[0.5] * 16, limit=5)
        )
        assert len(some) == 5
    finally:
        engine.close()


def test_busy_store_is_retried_not_reported(db_path: Path) -> None:
    import sqlite3
    import threading

    engine = Engine(db_path, busy_timeout_ms=1)
    try:
        holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO meta VALUES('holder', 'x')")
        release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
        release.start()
        started = time.perf_counter()
        doc_id = engine.run_mutation(
            lambda ctx: ctx.db.insert(
                "mutable",
                {"namespace": "n", "key": "k", "value": 1, "createdAt": 1.0, "updatedAt": 1.0},
            )
        )
        assert time.perf_counter() - started >= 0.25  # it waited for the other writer
        release.join()
        assert engine.run_query(lambda ctx: ctx.db.get(doc_id)) is not None
        assert engine.store.conn.execute(
            "SELECT value FROM meta WHERE key='holder'"
        ).fetchone() == ("x",)
        holder.close()
    finally:
        engine.close()
