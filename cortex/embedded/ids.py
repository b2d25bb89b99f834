"""Document ids: opaque strings that carry their table.

An id is 26 lowercase base32 characters: 14 random bytes followed by a 2-byte tag derived from the table name, so
``db.get(id)`` knows the table without a lookup and an id of the wrong table is detected.
"""

from __future__ import annotations

import base64
import os
import zlib


def table_tag(table: str) -> bytes:
    return (zlib.crc32(table.encode("utf-8")) & 0xFFFF).to_bytes(2, "big")


def new_id(table: str) -> str:
    """A fresh id for a document of ``table``."""
    return base64.b32encode(os.urandom(14) + table_tag(table)).decode("ascii").lower().rstrip("=")


class IdCodec:
    """Maps ids back to table names for a fixed set of tables."""

    def __init__(self, tables: list[str]) -> None:
        self._by_tag = {table_tag(t): t for t in tables}
        if len(self._by_tag) != len(set(tables)):
            raise ValueError("two table names share an id tag; ids could not name their table")

    def table_of(self, doc_id: object) -> str | None:
        """The table an id belongs to, or ``None`` when it is not an id of this schema."""
        if not isinstance(doc_id, str) or len(doc_id) != 26:
            return None
        try:
            raw = base64.b32decode(doc_id.upper() + "======")
        except (ValueError, TypeError):
            return None
        return self._by_tag.get(raw[14:16])
