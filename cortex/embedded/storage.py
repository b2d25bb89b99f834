"""SQLite layout and transactions of the embedded engine.

Layout (one SQLite file, WAL mode):

* ``documents(rid, id, tbl, ct, doc)``: every document of every table; ``doc`` is the JSON body without system
  fields, ``ct`` is ``_creationTime``.
* ``idx(ix, key, rid)``: entries of every database index (``"<table>.<index>"``, plus the system indexes
  ``by_creation_time`` and ``by_id``); ``key`` is the memcomparable encoding of the index fields followed by
  ``_creationTime`` and ``_id`` (see ``values.index_key``), so one B-tree range scan answers an index range query in
  order.
* ``meta(key, value)``: the last ``_creationTime``, index definitions (to backfill new or changed indexes at open),
  the store id.
* FTS5 tables ``fts_<table>_<index>`` (``search.py``) and ``vec``/``vec_log`` (``vectors.py``).

Each function call is one transaction: mutations take ``BEGIN IMMEDIATE`` (one writer at a time across processes),
queries run in a deferred (read-only snapshot) transaction. ``SQLITE_BUSY`` is retried for the whole function.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from cortex.embedded import values
from cortex.embedded.ids import IdCodec
from cortex.embedded.schema import TableDef

T = TypeVar("T")

SYSTEM_INDEXES = ("by_creation_time", "by_id")

_DDL = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tbl TEXT NOT NULL, ct REAL NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idx(ix TEXT NOT NULL, key BLOB NOT NULL, rid INTEGER NOT NULL,
  PRIMARY KEY(ix, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_tbl ON documents(tbl);
"""


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked"/"busy" conditions, which are retried."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    text = str(exc)
    return "locked" in text or "busy" in text


def connect(
    path: str, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 10_000
) -> sqlite3.Connection:
    """Open a connection in autocommit mode (transactions are explicit), WAL, with a busy timeout."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if path != ":memory:":
        for _ in range(50):
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:  # another process is switching modes
                if not is_busy(exc):
                    raise
                time.sleep(0.05)
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA wal_autocheckpoint=4000")
    return conn


class Store:
    """Low-level document and index storage on one SQLite connection (not thread-safe: callers hold ``lock``)."""

    def __init__(self, conn: sqlite3.Connection, tables: dict[str, TableDef]) -> None:
        self.conn = conn
        self.tables = tables
        self.ids = IdCodec(list(tables))
        self.lock = threading.RLock()
        self.in_write = False
        self._index_fields: dict[str, dict[str, tuple[str, ...]]] = {
            name: {ix.name: ix.fields for ix in t.indexes.values()} for name, t in tables.items()
        }
        self.write_hooks: list[
            Callable[[str, int, dict[str, Any] | None, dict[str, Any] | None], None]
        ] = []
        self.rollback_hooks: list[Callable[[], None]] = []
        self.commit_hooks: list[Callable[[], None]] = []

    # ---- schema ------------------------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create tables and (re)build index entries whose definition is new or changed."""
        self.run(True, self._migrate_locked)

    def _migrate_locked(self) -> None:
        for stmt in _DDL.strip().split(";"):
            if stmt.strip():
                self.conn.execute(stmt)
        row = self.conn.execute("SELECT value FROM meta WHERE key='store_id'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES('store_id', ?)", (uuid.uuid4().hex,))
        wanted = {
            f"{t}.{ix}": json.dumps(list(fields))
            for t, ixs in self._index_fields.items()
            for ix, fields in ixs.items()
        }
        stored = {
            k[len("index:") :]: v
            for k, v in self.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'index:%'")
        }
        for ix in stored.keys() - wanted.keys():
            self.conn.execute("DELETE FROM idx WHERE ix=?", (ix,))
            self.conn.execute("DELETE FROM meta WHERE key=?", ("index:" + ix,))
        for ix, fields_json in wanted.items():
            if stored.get(ix) == fields_json:
                continue
            self.conn.execute("DELETE FROM idx WHERE ix=?", (ix,))
            table, name = ix.split(".", 1)
            fields = self._index_fields[table][name]
            rows = self.conn.execute("SELECT rid, id, ct, doc FROM documents WHERE tbl=?", (table,))
            self.conn.executemany(
                "INSERT INTO idx(ix, key, rid) VALUES(?,?,?)",
                [
                    (ix, self._key(fields, values.loads(doc), ct, doc_id), rid)
                    for rid, doc_id, ct, doc in rows.fetchall()
                ],
            )
            self.conn.execute(
                "INSERT OR REPLACE INTO meta VALUES(?, ?)", ("index:" + ix, fields_json)
            )

    def store_id(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key='store_id'").fetchone()
        return str(row[0])

    # ---- transactions ------------------------------------------------------------------------------------------

    def run(self, write: bool, fn: Callable[[], T], *, max_attempts: int = 60) -> T:
        """Run ``fn`` in one transaction; retried from the start while SQLite reports busy."""
        attempt = 0
        with self.lock:
            while True:
                attempt += 1
                began = False
                try:
                    self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                    began = True
                    self.in_write = write
                    result = fn()
                    self.conn.execute("COMMIT")
                    for hook in self.commit_hooks:
                        hook()
                    return result
                except BaseException as exc:
                    if began and self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    for hook in self.rollback_hooks:
                        hook()
                    if is_busy(exc) and attempt < max_attempts:
                        time.sleep(
                            min(0.5, 0.005 * (2 ** min(attempt, 7))) * random.uniform(0.5, 1.5)
                        )
                        continue
                    raise
                finally:
                    self.in_write = False

    # ---- keys --------------------------------------------------------------------------------------------------

    @staticmethod
    def _key(fields: tuple[str, ...], doc: dict[str, Any], ct: float, doc_id: str) -> bytes:
        parts = [values.index_key(values.field_path_value(doc, f)) for f in fields]
        parts.append(values.index_key(ct))
        parts.append(values.index_key(doc_id))
        return b"".join(parts)

    def _index_rows(
        self, table: str, doc: dict[str, Any], ct: float, doc_id: str
    ) -> list[tuple[str, bytes]]:
        tail = values.index_key(ct) + values.index_key(doc_id)
        encoded: dict[str, bytes] = {}
        rows = [(f"{table}.by_creation_time", tail), (f"{table}.by_id", values.index_key(doc_id))]
        for name, fields in self._index_fields[table].items():
            parts = []
            for f in fields:
                enc = encoded.get(f)
                if enc is None:
                    enc = encoded[f] = values.index_key(values.field_path_value(doc, f))
                parts.append(enc)
            parts.append(tail)
            rows.append((f"{table}.{name}", b"".join(parts)))
        return rows

    # ---- documents ---------------------------------------------------------------------------------------------

    def next_creation_time(self) -> float:
        row = self.conn.execute("SELECT value FROM meta WHERE key='last_ct'").fetchone()
        last = float(row[0]) if row else 0.0
        ct = max(time.time() * 1000.0, last + 0.001)
        if ct <= last:  # float spacing at this magnitude
            ct = last + 0.01
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES('last_ct', ?)", (repr(ct),))
        return ct

    def get(self, doc_id: str) -> tuple[int, str, float, dict[str, Any]] | None:
        """``(rid, table, creation time, body)`` of a document, or ``None``."""
        row = self.conn.execute(
            "SELECT rid, tbl, ct, doc FROM documents WHERE id=?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        return row[0], row[1], row[2], values.loads(row[3])

    def insert(self, table: str, doc_id: str, ct: float, body: dict[str, Any]) -> int:
        cur = self.conn.execute(
            "INSERT INTO documents(id, tbl, ct, doc) VALUES(?,?,?,?)",
            (doc_id, table, ct, values.dumps(body)),
        )
        rid = cur.lastrowid
        assert rid is not None
        self.conn.executemany(
            "INSERT INTO idx(ix, key, rid) VALUES(?,?,?)",
            [(ix, key, rid) for ix, key in self._index_rows(table, body, ct, doc_id)],
        )
        for hook in self.write_hooks:
            hook(table, rid, None, {**body, "_id": doc_id, "_creationTime": ct})
        return rid

    def update(
        self, rid: int, table: str, doc_id: str, ct: float, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        self.conn.execute("UPDATE documents SET doc=? WHERE rid=?", (values.dumps(new), rid))
        old_rows = dict(self._index_rows(table, old, ct, doc_id))
        new_rows = dict(self._index_rows(table, new, ct, doc_id))
        for ix, key in old_rows.items():
            if new_rows[ix] != key:
                self.conn.execute("DELETE FROM idx WHERE ix=? AND key=?", (ix, key))
                self.conn.execute(
                    "INSERT INTO idx(ix, key, rid) VALUES(?,?,?)", (ix, new_rows[ix], rid)
                )
        full_old = {**old, "_id": doc_id, "_creationTime": ct}
        for hook in self.write_hooks:
            hook(table, rid, full_old, {**new, "_id": doc_id, "_creationTime": ct})

    def delete(self, rid: int, table: str, doc_id: str, ct: float, old: dict[str, Any]) -> None:
        self.conn.execute("DELETE FROM documents WHERE rid=?", (rid,))
        self.conn.executemany(
            "DELETE FROM idx WHERE ix=? AND key=?", list(self._index_rows(table, old, ct, doc_id))
        )
        for hook in self.write_hooks:
            hook(table, rid, {**old, "_id": doc_id, "_creationTime": ct}, None)

    def scan(
        self, ix: str, lo: bytes, hi: bytes, *, desc: bool, batch: int = 4, max_batch: int = 512
    ) -> Iterator[tuple[bytes, str, float, dict[str, Any]]]:
        """Yield ``(key, id, creation time, body)`` for index keys in ``[lo, hi)``, in key order.

        Rows are fetched in batches that start small (``first()``/``take(1)`` read one batch of 4) and grow 4x up to
        ``max_batch`` for long scans."""
        order = "DESC" if desc else "ASC"
        while True:
            rows = self.conn.execute(
                f"SELECT i.key, d.id, d.ct, d.doc FROM idx i JOIN documents d ON d.rid = i.rid "
                f"WHERE i.ix=? AND i.key>=? AND i.key<? ORDER BY i.key {order} LIMIT ?",
                (ix, lo, hi, batch),
            ).fetchall()
            for key, doc_id, ct, doc in rows:
                yield key, doc_id, ct, values.loads(doc)
            if len(rows) < batch:
                return
            batch = min(batch * 4, max(max_batch, batch))
            last = rows[-1][0]
            if desc:
                hi = last
            else:
                lo = last + b"\x00"
