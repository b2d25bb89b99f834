"""What a handler receives as ``ctx``: ``QueryCtx`` (read-only) or ``MutationCtx`` (read-write)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cortex.embedded.database import DatabaseReader, DatabaseWriter
from cortex.embedded.vectors import VectorFilter, VectorIndexes


class QueryCtx:
    """``ctx.db`` reads documents; ``ctx.vector_search`` runs a vector index search."""

    def __init__(self, db: DatabaseReader, vectors: VectorIndexes) -> None:
        self.db = db
        self._vectors = vectors

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

    def __init__(self, db: DatabaseWriter, vectors: VectorIndexes) -> None:
        super().__init__(db, vectors)
        self.db = db
