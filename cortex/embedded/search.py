"""Full-text search indexes on SQLite FTS5.

One FTS5 table per schema search index, ``fts_<table>_<index>(body, filt)``, rowid = the document's rowid.
``body`` holds the search field's text; ``filt`` holds one token per filter field (``f<i>x<hash of the value>``),
so ``q.eq(filterField, v)`` becomes a conjunct of the MATCH expression and is applied inside the FTS search, not
after it. Results are ranked by BM25 on ``body`` only (the filter column has weight 0).

Query text follows Convex: it is split into terms, a document matches when it contains any term, the last term is
also matched as a prefix, best match first (ties: older document first); at most 1024 results.

``take(n)``/``first()`` are bounded inside SQLite (``_top``): FTS5 computes BM25 for every matching row, which is the
whole cost of a search for common words, so the n best are first looked for among the rows that contain one of the
rarer terms, and that answer is used only when it is provably the exact top n (see ``_top``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cortex.embedded import values
from cortex.embedded.errors import EngineError
from cortex.embedded.schema import SearchIndexDef
from cortex.embedded.storage import Store

if TYPE_CHECKING:
    from cortex.embedded.database import DatabaseReader

Doc = dict[str, Any]
MAX_RESULTS = 1024
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_TERM = re.compile(r"\w+", re.UNICODE)


def fts_table(table: str, index: str) -> str:
    if not _NAME.match(table) or not _NAME.match(index):
        raise EngineError(f"Uncaught Error: unsupported search index name {table}.{index}")
    return f"fts_{table}_{index}"


def filter_token(position: int, value: Any) -> str:
    return f"f{position}x" + hashlib.blake2b(values.index_key(value), digest_size=10).hexdigest()


class SearchFilter:
    """The ``q`` of ``with_search_index(name, lambda q: q.search(field, text).eq(filterField, value))``."""

    def __init__(self, definition: SearchIndexDef) -> None:
        self._def = definition
        self.text: str | None = None
        self.eqs: list[tuple[str, Any]] = []

    def search(self, field_name: str, text: str) -> SearchFilter:
        if field_name != self._def.search_field:
            raise EngineError(
                f"Uncaught Error: search index {self._def.name} searches {self._def.search_field!r}, not {field_name!r}"
            )
        self.text = text
        return self

    def eq(self, field_name: str, value: Any) -> SearchFilter:
        if field_name not in self._def.filter_fields:
            raise EngineError(
                f"Uncaught Error: {field_name!r} is not a filter field of search index {self._def.name} "
                f"({', '.join(self._def.filter_fields)})"
            )
        self.eqs.append((field_name, value))
        return self


# FTS5's BM25 constants: one phrase adds at most idf * (K1 + 1) to a row's score, whatever its frequency or length.
_K1 = 1.2
_IDF_FLOOR = 1e-6  # FTS5 uses this for terms in more than half of the rows


def _varint(data: bytes) -> int:
    """The first SQLite varint of ``data`` (big-endian 7-bit groups; a 9th byte carries 8 bits)."""
    value = 0
    for i in range(8):
        byte = data[i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value
    return (value << 8) | data[8]


class SearchQuery:
    """Search results, most relevant first; supports ``filter``, ``take``, ``collect``, ``first``, ``paginate``."""

    def __init__(
        self,
        db: DatabaseReader,
        table: str,
        fts: str,
        match: str | None,
        phrases: list[str] | None = None,
        filt: str = "",
    ) -> None:
        self._db = db
        self._table = table
        self._fts = fts
        self._match = match
        self._phrases = phrases or []  # the ``body`` phrases of ``match`` (one per term)
        self._filt = filt  # the ``AND filt : (...)`` part of ``match``
        self._filters: list[Callable[[Doc], bool]] = []
        self._want: int | None = None

    def filter(self, predicate: Callable[[Doc], bool]) -> SearchQuery:
        self._filters.append(predicate)
        return self

    def _ranked(self, limit: int, match: str | None = None, within: str | None = None) -> list[Any]:
        """``(rowid, bm25)`` of the best ``limit`` rows of ``match`` (ties: smaller rowid first), optionally only
        among the rows that match ``within``."""
        fts = self._fts
        where = f"{fts} MATCH ?"
        params: list[Any] = [match or self._match]
        if within is not None:
            # ``+rowid``: a plain filter on this cursor; as a constraint FTS5 would re-run the search per rowid.
            where += f" AND +rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)"
            params.append(within)
        return self._db.store.conn.execute(
            f"SELECT rowid, bm25({fts}, 1.0, 0.0) AS s FROM {fts} WHERE {where} "
            f"ORDER BY s, rowid LIMIT {int(limit)}",
            params,
        ).fetchall()

    def _count(self, match: str) -> int:
        fts = self._fts
        row = self._db.store.conn.execute(
            f"SELECT count(*) FROM {fts} WHERE {fts} MATCH ?", (match,)
        ).fetchone()
        return int(row[0])

    def _top(self, k: int) -> list[int] | None:
        """The exact best ``k`` rowids of the search when they can be found without scoring every match, else
        ``None``.

        Each phrase ``p`` adds at most ``ub(p) = idf(p) * (K1 + 1)`` to a row's BM25 score (FTS5's formula; ``idf``
        from the phrase's row count in the column and the table's row count, which can only overestimate FTS5's
        own). Phrases are split into the rarer ones (candidates: rows matching one of them and the filters) and
        the common rest. The candidates are scored with the full query; if the ``k``-th best of them scores more
        than the sum of ``ub`` over the common phrases, no row that contains only common phrases can reach the top
        ``k``, so the candidates' top ``k`` is the search's top ``k`` (same scores, same tie order). Otherwise one
        more phrase becomes a candidate phrase, until the rest is empty (then ``None``: score everything)."""
        if len(self._phrases) < 2 or k > MAX_RESULTS or self._db.store.in_write:
            return None  # inside a write, FTS5's stored row count may lag behind its pending rows
        conn = self._db.store.conn
        block = conn.execute(f"SELECT block FROM {self._fts}_data WHERE id=1").fetchone()
        if block is None or not block[0]:
            return None
        rows = _varint(block[0])  # FTS5's averages record starts with the table's row count
        bounds = []
        for phrase in self._phrases:
            hits = self._count(f"body : ({phrase})")
            if hits > rows:
                return None
            idf = math.log((rows - hits + 0.5) / (hits + 0.5))
            bounds.append((max(idf, _IDF_FLOOR) * (_K1 + 1.0) * (1 + 1e-9) + 1e-12, phrase))
        bounds.sort()  # most common (smallest bound) first
        for split in range(len(bounds) - 1, 0, -1):
            rest = sum(b for b, _ in bounds[:split])
            within = "body : (" + " OR ".join(p for _, p in bounds[split:]) + ")" + self._filt
            if self._count(within) < k:
                continue
            top = self._ranked(k, within=within)
            if len(top) == k and -top[-1][1] > rest:
                return [rid for rid, _ in top]
        return None

    def _tiers(self) -> Iterator[list[int]]:
        """Ranked rowids in tiers: the bounded top ``take(n)`` asked for (when ``_top`` finds it), then, only if
        the caller reads past it (``filter`` predicates rejected some), the rest of the full ranking."""
        want = self._want
        top = self._top(want) if want is not None else None
        if top is not None:
            yield top
        yield [rid for rid, _ in self._ranked(MAX_RESULTS)[len(top) if top else 0 :]]

    def __iter__(self) -> Iterator[Doc]:
        if self._match is None:
            return
        for ranked in self._tiers():
            yield from self._load(ranked)

    def _load(self, ranked: list[int]) -> Iterator[Doc]:
        conn = self._db.store.conn
        # Documents are loaded lazily, a few at a time, so take(n) parses only about n of them.
        start, batch = 0, 8
        while start < len(ranked):
            chunk = ranked[start : start + batch]
            start += len(chunk)
            bodies = {
                rid: (doc_id, ct, body)
                for rid, doc_id, ct, body in conn.execute(
                    f"SELECT rid, id, ct, doc FROM documents WHERE rid IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            }
            for rid in chunk:
                if rid not in bodies:
                    continue
                doc_id, ct, body = bodies[rid]
                doc = {"_id": doc_id, "_creationTime": ct, **values.loads(body)}
                if all(f(doc) for f in self._filters):
                    yield doc
            batch = min(batch * 2, 256)

    def take(self, n: int) -> list[Doc]:
        out: list[Doc] = []
        if n <= 0:
            return out
        self._want = n
        for doc in self:
            out.append(doc)
            if len(out) >= n:
                break
        return out

    def collect(self) -> list[Doc]:
        return list(self)

    def first(self) -> Doc | None:
        return next(iter(self), None)

    def unique(self) -> Doc | None:
        found = self.take(2)
        if len(found) > 1:
            raise EngineError(
                f"Uncaught Error: unique() query returned more than one result from table {self._table}"
            )
        return found[0] if found else None

    def paginate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Offset pagination over the ranked results (the cursor is the offset)."""
        start = int(options.get("cursor") or 0)
        num = int(options["numItems"])
        docs = self.collect()
        page = docs[start : start + num]
        done = start + num >= len(docs)
        return {
            "page": page,
            "isDone": done,
            "continueCursor": str(len(docs) if done else start + num),
        }


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class SearchIndexes:
    """Maintains the FTS5 tables and answers ``with_search_index`` queries."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.defs: dict[str, dict[str, SearchIndexDef]] = {
            name: dict(t.search_indexes) for name, t in store.tables.items() if t.search_indexes
        }
        store.write_hooks.append(self._on_write)

    def migrate(self) -> None:
        self.store.run(True, self._migrate_locked)

    def _migrate_locked(self) -> None:
        conn = self.store.conn
        for table, defs in self.defs.items():
            for d in defs.values():
                name = fts_table(table, d.name)
                sig = json.dumps([d.search_field, list(d.filter_fields)])
                row = conn.execute(
                    "SELECT value FROM meta WHERE key=?", ("fts:" + name,)
                ).fetchone()
                if row is not None and row[0] == sig:
                    continue
                conn.execute(f"DROP TABLE IF EXISTS {name}")
                conn.execute(
                    f"CREATE VIRTUAL TABLE {name} USING fts5(body, filt, "
                    f"tokenize='unicode61 remove_diacritics 2')"
                )
                for rid, _doc_id, _ct, body in conn.execute(
                    "SELECT rid, id, ct, doc FROM documents WHERE tbl=?", (table,)
                ).fetchall():
                    self._index_one(name, d, rid, values.loads(body))
                conn.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", ("fts:" + name, sig))

    def _index_one(self, name: str, d: SearchIndexDef, rid: int, doc: Doc) -> None:
        text = values.field_path_value(doc, d.search_field)
        if not isinstance(text, str):
            return  # Convex indexes only string search fields
        tokens = " ".join(
            filter_token(i, values.field_path_value(doc, f)) for i, f in enumerate(d.filter_fields)
        )
        self.store.conn.execute(
            f"INSERT INTO {name}(rowid, body, filt) VALUES(?,?,?)", (rid, text, tokens)
        )

    def _on_write(self, table: str, rid: int, old: Doc | None, new: Doc | None) -> None:
        for d in self.defs.get(table, {}).values():
            name = fts_table(table, d.name)
            if old is not None:
                self.store.conn.execute(f"DELETE FROM {name} WHERE rowid=?", (rid,))
            if new is not None:
                self._index_one(name, d, rid, new)

    def query(
        self,
        db: DatabaseReader,
        table: str,
        index: str,
        search_fn: Callable[[SearchFilter], SearchFilter],
    ) -> SearchQuery:
        d = self.defs.get(table, {}).get(index)
        if d is None:
            raise EngineError(f"Uncaught Error: Search index {table}.{index} not found.")
        q = SearchFilter(d)
        result = search_fn(q)
        if result is not None:
            q = result
        if q.text is None:
            raise EngineError(
                f"Uncaught Error: search index query on {table}.{index} needs q.search(...)"
            )
        terms = _TERM.findall(q.text)
        if not terms:
            return SearchQuery(db, table, fts_table(table, index), None)
        parts = [_quote(t) for t in terms[:-1]] + [_quote(terms[-1]) + " *"]
        filt = ""
        if q.eqs:
            pos = {f: i for i, f in enumerate(d.filter_fields)}
            filt = (
                " AND filt : ("
                + " AND ".join(_quote(filter_token(pos[f], v)) for f, v in q.eqs)
                + ")"
            )
        match = "body : (" + " OR ".join(parts) + ")" + filt
        return SearchQuery(db, table, fts_table(table, index), match, parts, filt)
