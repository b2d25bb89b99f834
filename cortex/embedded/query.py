"""Database queries: index ranges, filters, ordering, ``take``/``collect``/``first``/``unique``/``paginate``.

Mirrors Convex's query builder::

    ctx.db.query("mutable").with_index("by_namespace_key", lambda q: q.eq("namespace", ns).gt("key", "a"))
        .order("desc").filter(field("userId") == "u-1").take(10)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from cortex.embedded import values
from cortex.embedded.errors import EngineError

if TYPE_CHECKING:
    from cortex.embedded.database import DatabaseReader

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]
Order = Literal["asc", "desc"]


# ---- filter expressions ----------------------------------------------------------------------------------------


class Expr:
    """A filter expression over a document; callable as a predicate. Combine with ``&``, ``|``, ``~``."""

    def __init__(self, fn: Callable[[Doc], Any]) -> None:
        self._fn = fn

    def __call__(self, doc: Doc) -> Any:
        return self._fn(doc)

    def __and__(self, other: Expr) -> Expr:
        return Expr(lambda d: bool(self(d)) and bool(other(d)))

    def __or__(self, other: Expr) -> Expr:
        return Expr(lambda d: bool(self(d)) or bool(other(d)))

    def __invert__(self) -> Expr:
        return Expr(lambda d: not self(d))


def _value(operand: Any, doc: Doc) -> Any:
    return operand(doc) if isinstance(operand, Expr) else operand


class Field(Expr):
    """``field("a.b")``: the value at a field path (``UNDEFINED`` when absent), compared in Convex's order."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, path: str) -> None:
        super().__init__(lambda d: values.field_path_value(d, path))

    def _cmp(self, other: Any, ok: Callable[[int], bool]) -> Expr:
        return Expr(lambda d: ok(values.compare_values(self(d), _value(other, d))))

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return self._cmp(other, lambda c: c == 0)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return self._cmp(other, lambda c: c != 0)

    def __lt__(self, other: Any) -> Expr:
        return self._cmp(other, lambda c: c < 0)

    def __le__(self, other: Any) -> Expr:
        return self._cmp(other, lambda c: c <= 0)

    def __gt__(self, other: Any) -> Expr:
        return self._cmp(other, lambda c: c > 0)

    def __ge__(self, other: Any) -> Expr:
        return self._cmp(other, lambda c: c >= 0)


def field(path: str) -> Field:
    """A document field for filter expressions."""
    return Field(path)


# ---- index ranges ----------------------------------------------------------------------------------------------


class IndexRange:
    """The ``q`` of ``with_index(name, lambda q: ...)``: equalities on a prefix of the index fields, then at most one
    lower and one upper bound on the next field."""

    def __init__(self, index: str, fields: tuple[str, ...]) -> None:
        self._index = index
        self._fields = fields
        self._prefix = b""
        self._n_eq = 0
        self._range_field: str | None = None
        self._lower: bytes | None = None
        self._upper: bytes | None = None

    def _next_field(self, name: str, op: str) -> None:
        if self._range_field is not None and self._range_field != name:
            raise EngineError(
                f"Uncaught Error: Index range on {self._index}: {op}({name!r}) after a range on {self._range_field!r}"
            )
        if self._range_field is None:
            expected = self._fields[self._n_eq] if self._n_eq < len(self._fields) else None
            if name != expected:
                raise EngineError(
                    f"Uncaught Error: Tried to query index {self._index} but the query didn't use the index fields in "
                    f"order. Index fields: [{', '.join(self._fields)}], next field: {expected}, got: {name}"
                )

    def eq(self, name: str, value: Any) -> IndexRange:
        if self._range_field is not None:
            raise EngineError(
                f"Uncaught Error: eq({name!r}) after a range bound on index {self._index}"
            )
        self._next_field(name, "eq")
        self._prefix += values.index_key(value)
        self._n_eq += 1
        return self

    def _bound(self, name: str, value: Any, op: str) -> IndexRange:
        self._next_field(name, op)
        self._range_field = name
        enc = self._prefix + values.index_key(value)
        if op in ("gt", "gte"):
            if self._lower is not None:
                raise EngineError(f"Uncaught Error: two lower bounds on index {self._index}")
            self._lower = enc + values.HIGH if op == "gt" else enc
        else:
            if self._upper is not None:
                raise EngineError(f"Uncaught Error: two upper bounds on index {self._index}")
            self._upper = enc + values.HIGH if op == "lte" else enc
        return self

    def gt(self, name: str, value: Any) -> IndexRange:
        return self._bound(name, value, "gt")

    def gte(self, name: str, value: Any) -> IndexRange:
        return self._bound(name, value, "gte")

    def lt(self, name: str, value: Any) -> IndexRange:
        return self._bound(name, value, "lt")

    def lte(self, name: str, value: Any) -> IndexRange:
        return self._bound(name, value, "lte")

    def bounds(self) -> tuple[bytes, bytes]:
        lo = self._lower if self._lower is not None else self._prefix
        hi = self._upper if self._upper is not None else self._prefix + values.HIGH
        return lo, hi


# ---- queries ---------------------------------------------------------------------------------------------------


def encode_cursor(ix: str, key: bytes) -> str:
    return base64.urlsafe_b64encode(ix.encode("utf-8") + b"\x00" + key).decode("ascii")


def decode_cursor(ix: str, cursor: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise EngineError(f"Uncaught Error: Invalid cursor {cursor!r}") from exc
    name, sep, key = raw.partition(b"\x00")  # an empty key means "the start of the range"
    if not sep or name.decode("utf-8", "replace") != ix:
        raise EngineError(
            "Uncaught Error: InvalidCursor: this cursor was produced by a different query"
        )
    return key


class Query:
    """An ordered, filtered range of one index. Documents come back with ``_id`` and ``_creationTime``."""

    def __init__(self, db: DatabaseReader, ix: str, lo: bytes, hi: bytes) -> None:
        self._db = db
        self._ix = ix
        self._lo = lo
        self._hi = hi
        self._desc = False
        self._filters: list[Predicate] = []

    def order(self, order: Order) -> Query:
        """``"asc"`` (default) or ``"desc"`` along the index."""
        if order not in ("asc", "desc"):
            raise EngineError(f"Uncaught Error: order must be 'asc' or 'desc', got {order!r}")
        self._desc = order == "desc"
        return self

    def filter(self, predicate: Predicate) -> Query:
        """Keep documents for which ``predicate(doc)`` is truthy (a function or a ``field(...)`` expression)."""
        self._filters.append(predicate)
        return self

    def _rows(self, lo: bytes, hi: bytes) -> Iterator[tuple[bytes, Doc]]:
        for key, doc_id, ct, body in self._db.store.scan(self._ix, lo, hi, desc=self._desc):
            doc = {"_id": doc_id, "_creationTime": ct, **body}
            if all(f(doc) for f in self._filters):
                yield key, doc

    def __iter__(self) -> Iterator[Doc]:
        for _, doc in self._rows(self._lo, self._hi):
            yield doc

    def take(self, n: int) -> list[Doc]:
        """The first ``n`` documents."""
        if n < 0:
            raise EngineError("Uncaught Error: take() needs a non-negative number")
        out: list[Doc] = []
        if n == 0:
            return out
        for doc in self:
            out.append(doc)
            if len(out) >= n:
                break
        return out

    def collect(self) -> list[Doc]:
        """Every document of the range."""
        return list(self)

    def first(self) -> Doc | None:
        """The first document or ``None``."""
        return next(iter(self), None)

    def unique(self) -> Doc | None:
        """The only document, ``None`` if none; an error if there are several."""
        found = self.take(2)
        if len(found) > 1:
            raise EngineError(
                f"Uncaught Error: unique() query returned more than one result from table "
                f"{self._ix.split('.', 1)[0]}: [{found[0]['_id']}, {found[1]['_id']}, ...]"
            )
        return found[0] if found else None

    def paginate(self, options: dict[str, Any]) -> dict[str, Any]:
        """Convex pagination: ``{"numItems": n, "cursor": str | None}`` → ``{"page", "isDone", "continueCursor"}``."""
        num = options.get("numItems")
        if not isinstance(num, (int, float)) or isinstance(num, bool) or num < 0:
            raise EngineError("Uncaught Error: paginate() needs numItems >= 0")
        lo, hi = self._lo, self._hi
        cursor = options.get("cursor")
        key = decode_cursor(self._ix, cursor) if cursor else b""
        if int(num) == 0:
            # An empty page: nothing consumed, so the cursor stays where it was (b"" = the start of the range).
            lo0, hi0 = (
                (lo, min(hi, key) if key else hi)
                if self._desc
                else (max(lo, key + b"\x00") if key else lo, hi)
            )
            empty = (
                next(self._db.store.scan(self._ix, lo0, hi0, desc=self._desc, batch=1), None)
                is None
            )
            return {"page": [], "isDone": empty, "continueCursor": encode_cursor(self._ix, key)}
        if key:
            if self._desc:
                hi = min(hi, key)
            else:
                lo = max(lo, key + b"\x00")
        page: list[Doc] = []
        last_key: bytes | None = None
        rows = self._rows(lo, hi)
        if int(num) > 0:
            for key, doc in rows:
                page.append(doc)
                last_key = key
                if len(page) >= int(num):
                    break
        if last_key is not None and len(page) >= int(num):
            nlo, nhi = (lo, last_key) if self._desc else (last_key + b"\x00", hi)
            more = (
                next(self._db.store.scan(self._ix, nlo, nhi, desc=self._desc, batch=1), None)
                is not None
            )
        else:
            more = False
        if more:
            assert last_key is not None
            return {
                "page": page,
                "isDone": False,
                "continueCursor": encode_cursor(self._ix, last_key),
            }
        # Past the end: every key is >= b"\x01", so a descending cursor of b"\x00" selects nothing (b"" = start).
        end = (lo or b"\x00") if self._desc else hi
        return {"page": page, "isDone": True, "continueCursor": encode_cursor(self._ix, end)}
