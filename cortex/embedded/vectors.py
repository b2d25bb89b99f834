"""Vector indexes: usearch HNSW graphs partitioned by the first filter field, kept consistent with SQLite.

Source of truth: the ``vec`` table (one row per indexed document: label, partition, dimensions, filter values,
float32 vector) and the ``vec_log`` change log (``seq``, label, add/remove), both written in the same transaction as
the document. The in-memory graphs are a cache of that state: before every search they replay the log entries
newer than what they have applied (so writes from other processes are seen), and at open they are loaded from
``<db>.vectors/`` and replayed from the sequence number stored in their manifest; a manifest from another store, a
sequence older than the compacted part of the log, or a partition whose size disagrees with SQLite after the replay
makes the index rebuild from ``vec``.

Partitions: one HNSW per (value of the index's first filter field, vector dimensions): for the Cortex schema that is
one graph per memory space, so a search filtered on the space never sees other spaces' vectors. Further ``eq``
filters are answered with per-partition inverted sets: when few documents match, an exact cosine scan over exactly
those vectors; otherwise an HNSW search that widens until enough matching results are found. Partitions smaller than
``EXACT_BELOW`` are always searched exactly. Dimensions come from the data; vectors of different dimensions live in
different partitions and a query only searches partitions of its own dimension.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from usearch.index import Index

from cortex.embedded import values
from cortex.embedded.errors import EngineError
from cortex.embedded.schema import VectorIndexDef
from cortex.embedded.storage import Store

EXACT_BELOW = 2048
FILTERED_EXACT_BELOW = 8192
SAVE_EVERY = 50_000
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128

_DDL = (
    "CREATE TABLE IF NOT EXISTS vec(label INTEGER PRIMARY KEY AUTOINCREMENT, ix TEXT NOT NULL, rid INTEGER NOT NULL, "
    "part TEXT NOT NULL, dims INTEGER NOT NULL, filt TEXT NOT NULL, v BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vec_rid ON vec(ix, rid)",
    "CREATE TABLE IF NOT EXISTS vec_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, ix TEXT NOT NULL, "
    "label INTEGER NOT NULL, op INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vec_log_ix ON vec_log(ix, seq)",
)
ADD, REMOVE = 1, 0


class VectorFilter:
    """The ``q`` of a vector search filter: ``q.eq(field, v)``, ``q.or_(a, b)``, ``q.and_(a, b)``."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self._fields = fields

    def eq(self, field_name: str, value: Any) -> list[dict[str, Any]]:
        if field_name not in self._fields:
            raise EngineError(
                f"Uncaught Error: {field_name!r} is not a filter field of this vector index ({', '.join(self._fields)})"
            )
        return [{field_name: value}]

    def or_(self, *alternatives: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [c for alt in alternatives for c in alt]

    def and_(self, *parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = [{}]
        for part in parts:
            merged = []
            for a in result:
                for b in part:
                    if all(values.compare_values(a[k], b[k]) == 0 for k in a.keys() & b.keys()):
                        merged.append({**a, **b})
            result = merged
        return result


def _vector(value: Any) -> np.ndarray | None:
    if not isinstance(value, list) or not value:
        return None
    if not set(map(type, value)) <= {int, float}:
        return None
    return np.asarray(value, dtype=np.float32)


def _part_key(value: Any) -> str:
    return values.index_key(value).hex()


@dataclass
class _Partition:
    dims: int
    index: Index
    inverted: list[dict[bytes, set[int]]] = field(default_factory=list)


@dataclass
class _State:
    definition: VectorIndexDef
    applied: int = 0
    saved: int = 0
    parts: dict[tuple[str, int], _Partition] = field(default_factory=dict)
    where: dict[int, tuple[tuple[str, int], tuple[bytes, ...]]] = field(default_factory=dict)


class VectorIndexes:
    """Maintains the ``vec`` tables on writes and answers ``vector_search``."""

    def __init__(self, store: Store, directory: Path | None) -> None:
        self.store = store
        self.directory = directory
        self.defs: dict[str, VectorIndexDef] = {
            f"{t}.{d.name}": d
            for t, tdef in store.tables.items()
            for d in tdef.vector_indexes.values()
        }
        self.by_table: dict[str, list[str]] = {}
        for ix in self.defs:
            self.by_table.setdefault(ix.split(".", 1)[0], []).append(ix)
        self.states: dict[str, _State] = {ix: _State(d) for ix, d in self.defs.items()}
        self._synced_in_write: set[str] = set()
        store.write_hooks.append(self._on_write)
        store.rollback_hooks.append(self._on_rollback)
        store.commit_hooks.append(self._synced_in_write.clear)

    def _on_rollback(self) -> None:
        # A sync inside a rolled-back write transaction may have applied entries that never existed.
        for ix in self._synced_in_write:
            self.states[ix] = _State(self.defs[ix])
        self._synced_in_write.clear()

    def needs_save(self) -> bool:
        return self.directory is not None and any(
            s.applied - s.saved >= SAVE_EVERY for s in self.states.values()
        )

    # ---- schema and writes ---------------------------------------------------------------------------------------

    def migrate(self) -> None:
        self.store.run(True, self._migrate_locked)

    def _migrate_locked(self) -> None:
        conn = self.store.conn
        for stmt in _DDL:
            conn.execute(stmt)
        for ix, d in self.defs.items():
            sig = json.dumps([d.vector_field, list(d.filter_fields)])
            row = conn.execute("SELECT value FROM meta WHERE key=?", ("vec:" + ix,)).fetchone()
            if row is not None and row[0] == sig:
                continue
            for (label,) in conn.execute("SELECT label FROM vec WHERE ix=?", (ix,)).fetchall():
                conn.execute(
                    "INSERT INTO vec_log(ix, label, op) VALUES(?,?,?)", (ix, label, REMOVE)
                )
            conn.execute("DELETE FROM vec WHERE ix=?", (ix,))
            table = ix.split(".", 1)[0]
            for rid, _doc_id, _ct, body in conn.execute(
                "SELECT rid, id, ct, doc FROM documents WHERE tbl=?", (table,)
            ).fetchall():
                self._add_row(ix, d, rid, values.loads(body))
            conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", ("vec:" + ix, sig))

    def _add_row(self, ix: str, d: VectorIndexDef, rid: int, doc: dict[str, Any]) -> None:
        vec = _vector(values.field_path_value(doc, d.vector_field))
        if vec is None:
            return
        filt = [values.field_path_value(doc, f) for f in d.filter_fields]
        stored = [None if v is values.UNDEFINED else v for v in filt]
        undefined = [i for i, v in enumerate(filt) if v is values.UNDEFINED]
        cur = self.store.conn.execute(
            "INSERT INTO vec(ix, rid, part, dims, filt, v) VALUES(?,?,?,?,?,?)",
            (
                ix,
                rid,
                _part_key(filt[0]) if filt else "",
                len(vec),
                values.dumps({"v": stored, "u": undefined}),
                vec.tobytes(),
            ),
        )
        self.store.conn.execute(
            "INSERT INTO vec_log(ix, label, op) VALUES(?,?,?)", (ix, cur.lastrowid, ADD)
        )

    def _on_write(
        self, table: str, rid: int, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        for ix in self.by_table.get(table, ()):
            d = self.defs[ix]
            if old is not None and new is not None:
                same = all(
                    values.field_path_value(old, f) == values.field_path_value(new, f)
                    for f in (d.vector_field, *d.filter_fields)
                )
                if same:
                    continue
            if old is not None:
                for (label,) in self.store.conn.execute(
                    "SELECT label FROM vec WHERE ix=? AND rid=?", (ix, rid)
                ).fetchall():
                    self.store.conn.execute("DELETE FROM vec WHERE label=?", (label,))
                    self.store.conn.execute(
                        "INSERT INTO vec_log(ix, label, op) VALUES(?,?,?)", (ix, label, REMOVE)
                    )
            if new is not None:
                self._add_row(ix, d, rid, new)

    # ---- in-memory graphs ----------------------------------------------------------------------------------------

    def _new_partition(self, dims: int, nfilters: int) -> _Partition:
        index = Index(
            ndim=dims,
            metric="cos",
            dtype="f32",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )
        return _Partition(dims, index, [{} for _ in range(nfilters)])

    @staticmethod
    def _filter_keys(filt_json: str) -> tuple[bytes, ...]:
        data = values.loads(filt_json)
        undefined = set(data["u"])
        return tuple(
            values.index_key(values.UNDEFINED if i in undefined else v)
            for i, v in enumerate(data["v"])
        )

    def _apply_adds(self, state: _State, rows: Iterable[tuple[int, str, int, str, bytes]]) -> None:
        grouped: dict[tuple[str, int], list[tuple[int, tuple[bytes, ...], bytes]]] = {}
        for label, part, dims, filt, blob in rows:
            if label in state.where:
                continue
            grouped.setdefault((part, dims), []).append((label, self._filter_keys(filt), blob))
        nf = len(state.definition.filter_fields)
        for key, items in grouped.items():
            p = state.parts.get(key)
            if p is None:
                p = state.parts[key] = self._new_partition(key[1], nf)
            labels = np.fromiter((i[0] for i in items), dtype=np.uint64, count=len(items))
            matrix = np.frombuffer(b"".join(i[2] for i in items), dtype=np.float32).reshape(
                len(items), key[1]
            )
            p.index.add(labels, matrix, threads=0 if len(items) > 64 else 1)
            for label, fkeys, _ in items:
                state.where[label] = (key, fkeys)
                for pos, fk in enumerate(fkeys):
                    p.inverted[pos].setdefault(fk, set()).add(label)

    def _remove(self, state: _State, label: int) -> None:
        found = state.where.pop(label, None)
        if found is None:
            return
        key, fkeys = found
        p = state.parts[key]
        p.index.remove(label)
        for pos, fk in enumerate(fkeys):
            bucket = p.inverted[pos].get(fk)
            if bucket is not None:
                bucket.discard(label)
                if not bucket:
                    del p.inverted[pos][fk]

    def _top_seq(self) -> int:
        """The highest log sequence number ever handed out (survives compaction)."""
        row = self.store.conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name='vec_log'"
        ).fetchone()
        return int(row[0]) if row else 0

    def _rebuild(self, ix: str) -> None:
        state = self.states[ix] = _State(self.defs[ix])
        conn = self.store.conn
        state.applied = self._top_seq()
        cur = conn.execute(
            "SELECT label, part, dims, filt, v FROM vec WHERE ix=? ORDER BY label", (ix,)
        )
        while True:
            rows = cur.fetchmany(20_000)
            if not rows:
                break
            self._apply_adds(state, rows)

    def sync(self, ix: str) -> None:
        """Bring the in-memory graphs of ``ix`` up to the current transaction's snapshot."""
        if self.store.in_write:
            self._synced_in_write.add(ix)
        state = self.states[ix]
        conn = self.store.conn
        compacted = conn.execute("SELECT value FROM meta WHERE key=?", ("veclog:" + ix,)).fetchone()
        if compacted is not None and int(compacted[0]) > state.applied:
            self._rebuild(ix)
            return
        log = conn.execute(
            "SELECT seq, label, op FROM vec_log WHERE ix=? AND seq>? ORDER BY seq",
            (ix, state.applied),
        ).fetchall()
        if not log:
            return
        i = 0
        while i < len(log):
            if log[i][2] == REMOVE:
                self._remove(state, log[i][1])
                i += 1
                continue
            j = i
            while j < len(log) and log[j][2] == ADD:
                j += 1
            labels = [entry[1] for entry in log[i:j]]
            for k in range(0, len(labels), 500):
                chunk = labels[k : k + 500]
                rows = conn.execute(
                    f"SELECT label, part, dims, filt, v FROM vec WHERE label IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                self._apply_adds(state, rows)
            i = j
        state.applied = log[-1][0]

    # ---- search ----------------------------------------------------------------------------------------------

    def search(
        self,
        table: str,
        index: str,
        vector: list[float],
        limit: int = 10,
        filter: Callable[[VectorFilter], list[dict[str, Any]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` nearest documents as ``[{"_id", "_score"}]``, cosine similarity, best first."""
        ix = f"{table}.{index}"
        d = self.defs.get(ix)
        if d is None:
            raise EngineError(f"Uncaught Error: Vector index {ix} not found.")
        q = _vector(vector)
        if q is None:
            raise EngineError("Uncaught Error: vector search needs a non-empty array of numbers")
        if not 1 <= limit <= 256:
            raise EngineError(
                f"Uncaught Error: vector search limit must be between 1 and 256, got {limit}"
            )
        conjunctions = filter(VectorFilter(d.filter_fields)) if filter is not None else [{}]
        self.sync(ix)
        state = self.states[ix]
        pos = {f: i for i, f in enumerate(d.filter_fields)}
        hits: dict[int, float] = {}
        for key, part in state.parts.items():
            if part.dims != len(q) or len(part.index) == 0:
                continue
            wanted = [
                {pos[f]: values.index_key(v) for f, v in c.items()}
                for c in conjunctions
                if d.filter_fields[0] not in c or _part_key(c[d.filter_fields[0]]) == key[0]
            ]
            if not wanted:
                continue
            for label, score in self._search_partition(part, q, limit, wanted):
                if score > hits.get(label, -2.0):
                    hits[label] = score
        best = sorted(hits.items(), key=lambda kv: -kv[1])[:limit]
        if not best:
            return []
        labels = [label for label, _ in best]
        ids = dict(
            self.store.conn.execute(
                f"SELECT v.label, d.id FROM vec v JOIN documents d ON d.rid = v.rid "
                f"WHERE v.label IN ({','.join('?' * len(labels))})",
                labels,
            ).fetchall()
        )
        return [{"_id": ids[label], "_score": score} for label, score in best if label in ids]

    def _search_partition(
        self, part: _Partition, q: np.ndarray, limit: int, wanted: list[dict[int, bytes]]
    ) -> list[tuple[int, float]]:
        size = len(part.index)
        constrained = [c for c in wanted if len(c) > 1 or (c and 0 not in c)]
        if len(constrained) < len(wanted):
            allowed: set[int] | None = None  # some alternative accepts the whole partition
        else:
            allowed = set()
            for c in constrained:
                sets = [part.inverted[p].get(k, set()) for p, k in c.items() if p != 0]
                if sets:
                    allowed |= set.intersection(*sorted(sets, key=len))
            if not allowed:
                return []
        if allowed is None and size <= EXACT_BELOW:
            return self._hnsw(part, q, min(limit, size), exact=True)
        if allowed is not None and len(allowed) <= FILTERED_EXACT_BELOW:
            return self._exact(part, q, limit, sorted(allowed))
        count = min(size, limit * (4 if allowed is not None else 1))
        while True:
            found = self._hnsw(part, q, count, exact=False)
            if allowed is not None:
                found = [(label, s) for label, s in found if label in allowed]
            if len(found) >= limit or count >= size:
                return found[:limit]
            count = min(size, count * 4)

    @staticmethod
    def _hnsw(
        part: _Partition, q: np.ndarray, count: int, *, exact: bool
    ) -> list[tuple[int, float]]:
        matches = part.index.search(q, count, exact=exact)
        out = []
        for label, dist in zip(matches.keys.tolist(), matches.distances.tolist(), strict=False):
            score = 1.0 - float(dist)
            if score == score:  # not NaN
                out.append((int(label), score))
        return out

    @staticmethod
    def _exact(
        part: _Partition, q: np.ndarray, limit: int, labels: list[int]
    ) -> list[tuple[int, float]]:
        matrix = np.asarray(part.index.get(np.asarray(labels, dtype=np.uint64)), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(q))
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = (matrix @ q) / norms
        scores = np.nan_to_num(scores, nan=-2.0)
        top = np.argsort(-scores)[:limit]
        return [(labels[i], float(scores[i])) for i in top if scores[i] > -2.0]

    # ---- persistence -----------------------------------------------------------------------------------------

    def _manifest(self, ix: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{ix}.json"

    def load(self) -> None:
        """Load every vector index from disk (or rebuild it), then replay the log; run at open."""
        for ix in self.defs:
            self.store.run(False, lambda ix=ix: self._load_one(ix))  # type: ignore[misc]

    def _load_one(self, ix: str) -> None:
        manifest = self._manifest(ix)
        state = self.states[ix] = _State(self.defs[ix])
        conn = self.store.conn
        loaded = False
        if manifest is not None and manifest.exists():
            try:
                loaded = self._load_files(ix, state, manifest)
            except (OSError, ValueError, KeyError, RuntimeError):
                loaded = False
        if not loaded:
            self._rebuild(ix)
            return
        self.sync(ix)
        counts = {
            (part, dims): n
            for part, dims, n in conn.execute(
                "SELECT part, dims, COUNT(*) FROM vec WHERE ix=? GROUP BY part, dims", (ix,)
            ).fetchall()
        }
        sizes = {k: len(p.index) for k, p in self.states[ix].parts.items() if len(p.index)}
        if sizes != counts:
            self._rebuild(ix)

    def _load_files(self, ix: str, state: _State, manifest: Path) -> bool:
        data = json.loads(manifest.read_text("utf-8"))
        conn = self.store.conn
        if data["store_id"] != self.store.store_id():
            return False
        compacted = conn.execute("SELECT value FROM meta WHERE key=?", ("veclog:" + ix,)).fetchone()
        top = self._top_seq()
        if (compacted is not None and int(compacted[0]) > data["seq"]) or data["seq"] > top:
            return False
        assert self.directory is not None
        nf = len(state.definition.filter_fields)
        filters: dict[int, str] = dict(
            conn.execute("SELECT label, filt FROM vec WHERE ix=?", (ix,)).fetchall()
        )
        for entry in data["parts"]:
            p = self._new_partition(int(entry["dims"]), nf)
            p.index.load(str(self.directory / entry["file"]))
            key = (entry["part"], int(entry["dims"]))
            state.parts[key] = p
            self._index_filters(state, p, key, self._keys(p.index), filters, nf)
        state.applied = state.saved = int(data["seq"])
        return True

    @staticmethod
    def _keys(index: Index) -> list[int]:
        """Every key of ``index`` in one call (a per-offset lookup is linear in the index size)."""
        return np.asarray(index.keys[:], dtype=np.uint64).tolist() if len(index) else []

    def _index_filters(
        self,
        state: _State,
        p: _Partition,
        key: tuple[str, int],
        labels: Iterable[int],
        known: dict[int, str],
        nf: int,
    ) -> None:
        """Record where each loaded label lives and fill the partition's inverted sets (decoding each distinct
        filter value once)."""
        decoded: dict[str, tuple[bytes, ...]] = {}
        missing = tuple(b"" for _ in range(nf))
        for label in labels:
            filt = known.get(label)
            if filt is None:
                fkeys = missing
            elif filt in decoded:
                fkeys = decoded[filt]
            else:
                fkeys = decoded[filt] = self._filter_keys(filt)
            state.where[label] = (key, fkeys)
            for pos, fk in enumerate(fkeys):
                p.inverted[pos].setdefault(fk, set()).add(label)

    def save(self) -> None:
        """Persist every vector index (in one write transaction each) and compact the log."""
        if self.directory is None:
            return
        for ix in self.defs:
            self.store.run(True, lambda ix=ix: self._save_locked(ix))  # type: ignore[misc]

    def _save_locked(self, ix: str) -> None:
        assert self.directory is not None
        self.sync(ix)
        state = self.states[ix]
        manifest_path = self._manifest(ix)
        if (
            state.saved
            and state.applied == state.saved
            and manifest_path is not None
            and manifest_path.exists()
        ):
            return  # the files on disk already hold this state
        self.directory.mkdir(parents=True, exist_ok=True)
        parts = []
        for n, ((part, dims), p) in enumerate(sorted(state.parts.items())):
            if len(p.index) == 0:
                continue
            name = f"{ix}.{state.applied}.{n}.usearch"
            tmp = self.directory / (name + ".tmp")
            p.index.save(str(tmp))
            os.replace(tmp, self.directory / name)
            parts.append({"part": part, "dims": dims, "file": name, "count": len(p.index)})
        manifest = {"store_id": self.store.store_id(), "seq": state.applied, "parts": parts}
        target = self._manifest(ix)
        assert target is not None
        tmp_manifest = target.with_suffix(".json.tmp")
        tmp_manifest.write_text(json.dumps(manifest), "utf-8")
        os.replace(tmp_manifest, target)
        keep = {p["file"] for p in parts}
        for old in self.directory.glob(f"{ix}.*.usearch"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        conn = self.store.conn
        conn.execute("DELETE FROM vec_log WHERE ix=? AND seq<=?", (ix, state.applied))
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES(?, ?)", ("veclog:" + ix, str(state.applied))
        )
        state.saved = state.applied
