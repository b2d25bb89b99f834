"""Convex values inside the embedded engine: ``UNDEFINED``, total ordering keys, and storage JSON.

Documents hold plain Python values: ``None`` (Convex ``null``), ``bool``, ``int``/``float`` (Convex ``number``,
float64), ``str``, ``bytes``, ``list`` and ``dict`` with string keys. Ints are treated as float64 numbers (the Cortex
schema has no ``v.int64`` field), so ``5`` and ``5.0`` are the same index key.

``index_key`` turns a value into bytes whose ``memcmp`` order is Convex's order of values:
undefined < null < int64 < float64 < boolean < string < bytes < array < object. Every encoding is self-delimiting,
so the concatenation of several encodings orders like the tuple of the values, and no encoding is a prefix of
another one. The byte that follows a complete encoding is always a type tag (< ``0x10``), which lets ranges use
``prefix + b"\\xff"`` as "every key that starts with prefix".
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any, Final


class _Undefined:
    """Convex's ``undefined``: a field that is absent. ``patch(id, {"f": UNDEFINED})`` removes ``f``."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

TAG_UNDEFINED = 0x01
TAG_NULL = 0x02
TAG_INT64 = 0x03
TAG_FLOAT = 0x04
TAG_BOOL = 0x05
TAG_STRING = 0x06
TAG_BYTES = 0x07
TAG_ARRAY = 0x08
TAG_OBJECT = 0x09
HIGH: Final = b"\xff"


def _escape(raw: bytes) -> bytes:
    return raw.replace(b"\x00", b"\x00\xff") + b"\x00\x01"


def _float_bytes(value: float) -> bytes:
    if math.isnan(value):
        value = math.nan  # one canonical NaN
    (bits,) = struct.unpack(">Q", struct.pack(">d", value))
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits & (1 << 63) else bits | (1 << 63)
    return struct.pack(">Q", bits)


def index_key(value: Any) -> bytes:
    """The order-preserving byte encoding of one value (``UNDEFINED`` for a missing field)."""
    if value is UNDEFINED:
        return bytes([TAG_UNDEFINED])
    if value is None:
        return bytes([TAG_NULL])
    if isinstance(value, bool):
        return bytes([TAG_BOOL, 1 if value else 0])
    if isinstance(value, (int, float)):
        return bytes([TAG_FLOAT]) + _float_bytes(float(value))
    if isinstance(value, str):
        return bytes([TAG_STRING]) + _escape(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes([TAG_BYTES]) + _escape(bytes(value))
    if isinstance(value, (list, tuple)):
        return bytes([TAG_ARRAY]) + b"".join(index_key(v) for v in value) + b"\x00"
    if isinstance(value, dict):
        parts = [bytes([TAG_OBJECT])]
        for k, v in value.items():
            parts.append(b"\x01" + _escape(str(k).encode("utf-8", "surrogatepass")))
            parts.append(index_key(v))
        parts.append(b"\x00")
        return b"".join(parts)
    raise TypeError(f"{type(value).__name__} is not a Convex value")


def field_path_value(doc: dict[str, Any], path: str) -> Any:
    """The value at a dotted field path, or ``UNDEFINED``.

    Like Convex, a path only walks through objects: a step into an array (or any non-object) yields ``UNDEFINED``,
    so an index on ``participants.userId`` indexes the nested field of the ``participants`` object.
    """
    current: Any = doc
    for step in path.split("."):
        if not isinstance(current, dict) or step not in current:
            return UNDEFINED
        current = current[step]
    return current


def compare_values(a: Any, b: Any) -> int:
    """Three-way comparison of two Convex values in Convex's total order."""
    ka, kb = index_key(a), index_key(b)
    return (ka > kb) - (ka < kb)


# Storage JSON: documents are stored as JSON text; bytes and non-finite floats are tagged (Convex field names never
# start with "$", so the tags cannot collide with user fields).


def _to_storage(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: _to_storage(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, (list, tuple)):
        return [_to_storage(v) for v in value]
    return value


def _from_storage(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            if "$bytes" in value:
                return base64.b64decode(value["$bytes"])
            if "$float" in value:
                return float(value["$float"])
        return {k: _from_storage(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_storage(v) for v in value]
    return value


def dumps(doc: dict[str, Any]) -> str:
    """Serialise a document for storage."""
    try:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError):  # bytes, non-finite floats or UNDEFINED: tag them
        return json.dumps(
            _to_storage(doc), separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )


def loads(text: str) -> dict[str, Any]:
    """Parse a stored document."""
    raw = json.loads(text)
    if "$" in text:
        raw = _from_storage(raw)
    result: dict[str, Any] = raw
    return result
