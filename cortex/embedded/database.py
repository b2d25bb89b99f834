"""The document API handlers use: ``ctx.db`` (``DatabaseReader`` in queries, ``DatabaseWriter`` in mutations).

Convex semantics: documents carry ``_id`` (an opaque string naming its table) and ``_creationTime`` (float ms,
strictly increasing across the store); every write is validated against the table's schema; ``UNDEFINED`` in a
``patch`` removes a field, ``None`` stores ``null``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cortex.embedded import ids, values
from cortex.embedded.errors import EngineError
from cortex.embedded.query import IndexRange, Query
from cortex.embedded.storage import Store
from cortex.embedded.validator import check, render_value

if TYPE_CHECKING:
    from cortex.embedded.search import SearchFilter, SearchIndexes, SearchQuery

Doc = dict[str, Any]
SYSTEM_FIELDS = ("_id", "_creationTime")


class QueryInitializer:
    """``ctx.db.query(table)``: pick an index (``with_index``), a search index, or scan by creation time."""

    def __init__(self, db: DatabaseReader, table: str) -> None:
        self._db = db
        self._table = table

    def with_index(
        self, name: str, range_fn: Callable[[IndexRange], IndexRange] | None = None
    ) -> Query:
        """Query a database index; ``range_fn`` narrows it (``lambda q: q.eq("a", 1).gt("b", 2)``)."""
        tdef = self._db.store.tables[self._table]
        if name == "by_creation_time":
            fields: tuple[str, ...] = ("_creationTime",)
        elif name == "by_id":
            fields = ("_id",)
        elif name in tdef.indexes:
            fields = (*tdef.indexes[name].fields, "_creationTime")
        else:
            raise EngineError(f"Uncaught Error: Index {self._table}.{name} not found.")
        rng = IndexRange(f"{self._table}.{name}", fields)
        if range_fn is not None:
            result = range_fn(rng)
            if result is not None:
                rng = result
        lo, hi = rng.bounds()
        return Query(self._db, f"{self._table}.{name}", lo, hi)

    def with_search_index(
        self, name: str, search_fn: Callable[[SearchFilter], SearchFilter]
    ) -> SearchQuery:
        """Full-text search (``lambda q: q.search("content", text).eq("memorySpaceId", s)``), best match first."""
        if self._db.search is None:
            raise EngineError("Uncaught Error: search is not available")
        return self._db.search.query(self._db, self._table, name, search_fn)

    def full_table_scan(self) -> Query:
        return self.with_index("by_creation_time")

    def order(self, order: Any) -> Query:
        return self.full_table_scan().order(order)

    def filter(self, predicate: Callable[[Doc], bool]) -> Query:
        return self.full_table_scan().filter(predicate)

    def take(self, n: int) -> list[Doc]:
        return self.full_table_scan().take(n)

    def collect(self) -> list[Doc]:
        return self.full_table_scan().collect()

    def first(self) -> Doc | None:
        return self.full_table_scan().first()

    def unique(self) -> Doc | None:
        return self.full_table_scan().unique()

    def paginate(self, options: dict[str, Any]) -> dict[str, Any]:
        return self.full_table_scan().paginate(options)


class DatabaseReader:
    """Read access: ``get``, ``query``, ``normalize_id``."""

    def __init__(self, store: Store, search: SearchIndexes | None = None) -> None:
        self.store = store
        self.search = search

    def _table(self, table: str) -> None:
        if table not in self.store.tables:
            raise EngineError(f"Uncaught Error: Table {table!r} is not in the schema")

    def query(self, table: str) -> QueryInitializer:
        self._table(table)
        return QueryInitializer(self, table)

    def normalize_id(self, table: str, doc_id: Any) -> str | None:
        """``doc_id`` if it is an id of ``table``, else ``None``."""
        return doc_id if self.store.ids.table_of(doc_id) == table else None

    def _decode(self, doc_id: Any, op: str) -> str:
        table = self.store.ids.table_of(doc_id)
        if table is None:
            raise EngineError(
                f"Uncaught Error: Invalid argument `id` for `db.{op}`: Unable to decode ID: {doc_id!r}"
            )
        return table

    def get(self, doc_id: str) -> Doc | None:
        """The document with this id, or ``None``."""
        self._decode(doc_id, "get")
        found = self.store.get(doc_id)
        if found is None:
            return None
        _, _, ct, body = found
        return {"_id": doc_id, "_creationTime": ct, **body}


def _strip(doc: Mapping[str, Any]) -> Doc:
    return {k: v for k, v in doc.items() if v is not values.UNDEFINED}


class DatabaseWriter(DatabaseReader):
    """Read and write access: ``insert``, ``patch``, ``replace``, ``delete``."""

    def _validate(self, table: str, body: Doc) -> None:
        for name in body:
            if name.startswith("_"):
                raise EngineError(
                    f'Uncaught Error: Failed to insert or update a document in table "{table}" because it does not '
                    f"match the schema: Field '{name}' starts with an underscore, which is only allowed for system fields."
                )
        err = check(
            body, self.store.tables[table].document_type, table_of_id=self.store.ids.table_of
        )
        if err:
            raise EngineError(
                f'Uncaught Error: Failed to insert or update a document in table "{table}" because it does not match '
                f"the schema: {err}"
            )

    def insert(self, table: str, doc: Mapping[str, Any]) -> str:
        """Insert a document (``UNDEFINED`` values are dropped); returns its new ``_id``."""
        self._require_write()
        self._table(table)
        body = _strip(doc)
        self._validate(table, body)
        doc_id = ids.new_id(table)
        ct = self.store.next_creation_time()
        self.store.insert(table, doc_id, ct, body)
        return doc_id

    def _existing(self, doc_id: str, op: str) -> tuple[int, str, float, Doc]:
        self._require_write()
        self._decode(doc_id, op)
        found = self.store.get(doc_id)
        if found is None:
            raise EngineError(f"Uncaught Error: Update on nonexistent document ID {doc_id}")
        return found

    def _system_fields_unchanged(self, doc_id: str, ct: float, fields: Mapping[str, Any]) -> None:
        if "_id" in fields and fields["_id"] != doc_id:
            raise EngineError(
                f"Uncaught Error: Provided _id {render_value(fields['_id'])} doesn't match {doc_id}"
            )
        if "_creationTime" in fields and fields["_creationTime"] != ct:
            raise EngineError("Uncaught Error: Provided _creationTime doesn't match the document's")

    def patch(self, doc_id: str, fields: Mapping[str, Any]) -> None:
        """Shallow-merge ``fields`` into the document; a field set to ``UNDEFINED`` is removed."""
        rid, table, ct, old = self._existing(doc_id, "patch")
        self._system_fields_unchanged(doc_id, ct, fields)
        new = dict(old)
        for k, v in fields.items():
            if k in SYSTEM_FIELDS:
                continue
            if v is values.UNDEFINED:
                new.pop(k, None)
            else:
                new[k] = v
        self._validate(table, new)
        self.store.update(rid, table, doc_id, ct, old, new)

    def replace(self, doc_id: str, doc: Mapping[str, Any]) -> None:
        """Replace the whole document (system fields kept)."""
        rid, table, ct, old = self._existing(doc_id, "replace")
        self._system_fields_unchanged(doc_id, ct, doc)
        new = {k: v for k, v in _strip(doc).items() if k not in SYSTEM_FIELDS}
        self._validate(table, new)
        self.store.update(rid, table, doc_id, ct, old, new)

    def delete(self, doc_id: str) -> None:
        """Delete the document."""
        self._require_write()
        self._decode(doc_id, "delete")
        found = self.store.get(doc_id)
        if found is None:
            raise EngineError(f"Uncaught Error: Delete on nonexistent document ID {doc_id}")
        rid, table, ct, old = found
        self.store.delete(rid, table, doc_id, ct, old)

    def _require_write(self) -> None:
        if not self.store.in_write:
            raise EngineError("Uncaught Error: writes are only allowed in mutations")
