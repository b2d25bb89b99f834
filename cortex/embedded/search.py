"""Full-text search indexes on SQLite FTS5.

One FTS5 table per schema search index, ``fts_<table>_<index>(body, filt)``, rowid = the document's rowid.
``body`` holds the search field's text; ``filt`` holds one token per filter field (``f<i>x<hash of the value>``),
so ``q.eq(filterField, v)`` becomes a conjunct of the MATCH expression and is applied inside the FTS search, not
after it. Results are ranked by BM25 on ``body`` only (the filter column has weight 0).

Query text follows Convex: it is split into terms, a document matches when it contains any term, the last term is
also matched as a prefix, best match first; at most 1024 results.
"""

from __future__ import annotations

import hashlib
import json
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


class SearchQuery:
    """Search results, most relevant first; supports ``filter``, ``take``, ``collect``, ``first``, ``paginate``."""

    def __init__(self, db: DatabaseReader, table: str, fts: str, match: str | None) -> None:
        self._db = db
        self._table = table
        self._fts = fts
        self._match = match
        self._filters: list[Callable[[Doc], bool]] = []

    def filter(self, predicate: Callable[[Doc], bool]) -> SearchQuery:
        self._filters.append(predicate)
        return self

    def __iter__(self) -> Iterator[Doc]:
        if self._match is None:
            return
        conn = self._db.store.conn
        ranked = [
            rid
            for (rid,) in conn.execute(
                f"SELECT rowid FROM {self._fts} WHERE {self._fts} MATCH ? "
                f"ORDER BY bm25({self._fts}, 1.0, 0.0) LIMIT {MAX_RESULTS}",
                (self._match,),
            )
        ]
        # Documents are loaded lazily, a few at a time, so take(n) parses only about n of them.
        batch = 8
        for start in range(0, len(ranked), batch):
            chunk = ranked[start : start + batch]
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
        for doc in self:
            if len(out) >= n:
                break
            out.append(doc)
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
        match = "body : (" + " OR ".join(parts) + ")"
        if q.eqs:
            pos = {f: i for i, f in enumerate(d.filter_fields)}
            match += (
                " AND filt : ("
                + " AND ".join(_quote(filter_token(pos[f], v)) for f, v in q.eqs)
                + ")"
            )
        return SearchQuery(db, table, fts_table(table, index), match)
