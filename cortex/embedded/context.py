"""What a handler receives as ``ctx``: ``QueryCtx`` (read-only) or ``MutationCtx`` (read-write)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cortex.embedded.database import DatabaseReader, DatabaseWriter
from cortex.embedded.errors import FunctionError
from cortex.embedded.vectors import VectorFilter, VectorIndexes


class QueryCtx:
    """``ctx.db`` reads documents; ``ctx.vector_search`` runs a vector index search."""

    def __init__(
        self, db: DatabaseReader, vectors: VectorIndexes, *, allow_purge: bool = False
    ) -> None:
        self.db = db
        self._vectors = vectors
        self.allow_purge = allow_purge

    def require_purge_allowed(self, what: str = "purgeAll") -> None:
        """Refuse a whole-table purge unless the engine was opened with ``allow_purge=True``
        (``cortex serve --allow-purge``, ``EmbeddedTransport(..., allow_purge=True)``)."""
        if not self.allow_purge:
            raise FunctionError(
                f"PURGE_DISABLED_IN_PRODUCTION: {what} is disabled on this backend; "
                "enable it with `cortex serve --allow-purge` or allow_purge=True"
            )

    def vector_search(
        self,
        table: str,
        index: str,
        *,
        vector: list[float],
        limit: int = 10,
        filter: Callable[[VectorFilter], list[dict[str, Any]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Like Convex's ``ctx.vectorSearch``: ``[{"_id", "_score"}]``, cosine similarity, best first.

        ``filter`` builds equality conditions on the index's filter fields:
        ``filter=lambda q: q.or_(q.eq("memorySpaceId", "a"), q.eq("memorySpaceId", "b"))``; ``q.and_`` combines
        conditions on different fields (an extension over Convex).
        """
        return self._vectors.search(table, index, vector, limit, filter)

    @staticmethod
    def now() -> float:
        """``Date.now()``: the current time in epoch milliseconds (an integer-valued float)."""
        return float(int(time.time() * 1000))


class MutationCtx(QueryCtx):
    """``ctx.db`` reads and writes documents; the whole handler is one transaction."""

    db: DatabaseWriter

    def __init__(
        self, db: DatabaseWriter, vectors: VectorIndexes, *, allow_purge: bool = False
    ) -> None:
        super().__init__(db, vectors, allow_purge=allow_purge)
        self.db = db
