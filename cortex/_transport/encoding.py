"""Convex JSON values (``convex_encoded_json``), both directions.

Python value → wire:

* ``None``, ``bool``, ``str`` → themselves; ``list`` / ``tuple`` → array; ``dict`` (``str`` keys) → object.
* ``float`` → JSON number, except NaN, ±Infinity and -0.0 → ``{"$float": base64 of the 8 little-endian bytes}``.
* ``int`` (never ``bool``) → a JSON number by default, because Convex's ``v.number()`` is a float64 and that is
  what every Cortex function takes. Integers beyond ±2**53 would silently lose precision as float64, so they are
  rejected with a ``ValidationError``. Where the function's argument validator says ``v.int64()`` (``{"type":
  "bigint"}``), the int is sent as ``{"$integer": base64 of 8 little-endian bytes}`` instead (range-checked).
* ``bytes`` / ``bytearray`` / ``memoryview`` → ``{"$bytes": base64}``.
* Anything else is rejected. Object keys must be ASCII, non-control, at most 1024 characters and must not start
  with ``$`` (reserved by Convex): each violation is a ``ValidationError`` whose ``field`` is the key's path.

Wire → Python: the same markers decoded back (``$integer`` → ``int``, ``$float`` → ``float``, ``$bytes`` →
``bytes``); plain JSON numbers stay as JSON parsed them. An object with an unknown ``$`` key is an error.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import sys
from collections.abc import Mapping
from typing import Any

from cortex.errors import PayloadTooLargeError, ValidationError

MAX_ARGS_BYTES = 16 * 1024 * 1024
"""Convex's limit on a function's arguments; larger encoded arguments are refused before sending."""

MAX_FIELD_NAME_LENGTH = 1024
MAX_SAFE_INTEGER = 2**53
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_FLOAT_MAX = sys.float_info.max
_INT64 = struct.Struct("<q")
_F64 = struct.Struct("<d")

Validator = Mapping[str, Any]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def check_field_name(key: object, path: str) -> str:
    """Return ``key`` if Convex accepts it as an object field name, else raise ``ValidationError``."""
    if not isinstance(key, str):
        raise ValidationError(
            f"object key {key!r} at {path or '(root)'} is not a string",
            code="INVALID_FIELD_NAME",
            field=path or None,
        )
    where = _join(path, key)
    if key.startswith("$"):
        raise ValidationError(
            f"field name {key!r} at {where} starts with '$', which Convex reserves",
            code="INVALID_FIELD_NAME",
            field=where,
        )
    if len(key) > MAX_FIELD_NAME_LENGTH:
        raise ValidationError(
            f"field name at {where} is longer than {MAX_FIELD_NAME_LENGTH} characters",
            code="INVALID_FIELD_NAME",
            field=where,
        )
    if not key.isascii() or not key.isprintable():
        raise ValidationError(
            f"field name {key!r} at {where} must contain only non-control ASCII characters",
            code="INVALID_FIELD_NAME",
            field=where,
        )
    return key


def _encode_int(value: int, validator: Validator | None, path: str) -> Any:
    if validator is not None and _wants_int64(validator):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationError(
                f"integer at {path or '(root)'} does not fit in a signed 64-bit integer",
                code="INTEGER_OUT_OF_RANGE",
                field=path or None,
            )
        return {"$integer": base64.b64encode(_INT64.pack(value)).decode("ascii")}
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise ValidationError(
        f"integer at {path or '(root)'} is beyond ±2**53 and would lose precision as a Convex number",
        code="INTEGER_OUT_OF_RANGE",
        field=path or None,
    )


def _encode_float(value: float) -> Any:
    if math.isfinite(value) and not (value == 0.0 and math.copysign(1.0, value) < 0):
        return value
    return {"$float": base64.b64encode(_F64.pack(value)).decode("ascii")}


def _wants_int64(validator: Validator) -> bool:
    kind = validator.get("type")
    if kind == "bigint":
        return True
    if kind == "literal":
        literal = validator.get("value")
        return isinstance(literal, Mapping) and "$integer" in literal
    if kind == "union":
        members = validator.get("value") or []
        kinds = {m.get("type") for m in members if isinstance(m, Mapping)}
        return "bigint" in kinds and "number" not in kinds
    return False


def _member_for(value: Any, validator: Validator | None) -> Validator | None:
    """Narrow a union validator to the member that fits ``value``'s shape (only used to find nested int64s)."""
    if validator is None or validator.get("type") != "union":
        return validator
    members = [m for m in validator.get("value") or [] if isinstance(m, Mapping)]
    if isinstance(value, Mapping):
        candidates = [m for m in members if m.get("type") in ("object", "record")]
        for member in candidates:
            fields = member.get("value") if member.get("type") == "object" else None
            if isinstance(fields, Mapping) and _literals_match(value, fields):
                return member
        return candidates[0] if candidates else None
    if isinstance(value, (list, tuple)):
        return next((m for m in members if m.get("type") == "array"), None)
    return validator


def _literals_match(value: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    for name, spec in fields.items():
        field_type = spec.get("fieldType") if isinstance(spec, Mapping) else None
        if (
            isinstance(field_type, Mapping)
            and field_type.get("type") == "literal"
            and value.get(name) != field_type.get("value")
        ):
            return False
    return all(name in fields for name in value)


def encode_value(value: Any, validator: Validator | None = None, path: str = "") -> Any:
    """Encode one Python value as Convex JSON. ``validator`` (Convex validator JSON) only steers int64 fields."""
    if value is None or value is True or value is False or isinstance(value, str):
        return value
    if isinstance(value, int):
        return _encode_int(value, validator, path)
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, Mapping):
        return _encode_object(value, _member_for(value, validator), path)
    if isinstance(value, (list, tuple)):
        item_validator: Validator | None = None
        narrowed = _member_for(value, validator)
        if narrowed is not None and narrowed.get("type") == "array":
            item_validator = narrowed.get("value")
        return _encode_list(value, item_validator, path)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    to_list = getattr(value, "tolist", None)
    if callable(to_list):  # numpy arrays and scalars
        return encode_value(to_list(), validator, path)
    raise ValidationError(
        f"value of type {type(value).__name__} at {path or '(root)'} is not a supported Convex value",
        code="UNSUPPORTED_VALUE",
        field=path or None,
    )


def _encode_list(
    value: list[Any] | tuple[Any, ...], item_validator: Validator | None, path: str
) -> list[Any]:
    """Encode an array; plain strings, booleans, nulls, finite floats (and ints when no validator asks for int64)
    are copied without a call per item, which matters for embeddings."""
    if _plain_float_list(value):
        return value if isinstance(value, list) else list(value)
    out: list[Any] = []
    append = out.append
    ints_plain = item_validator is None
    for index, item in enumerate(value):
        if _is_plain(item, ints_plain):
            append(item)
        else:
            append(encode_value(item, item_validator, f"{path}[{index}]"))
    return out


def _plain_float_list(value: list[Any] | tuple[Any, ...]) -> bool:
    """True for a non-empty array of finite, non-zero floats (an embedding), checked at C speed."""
    if not value or type(value[0]) is not float or set(map(type, value)) != {float}:
        return False
    try:
        total = math.fsum(value)
    except (OverflowError, ValueError):  # huge sums; inf + -inf
        return False
    return math.isfinite(total) and 0.0 not in value


def _is_plain(item: Any, ints_plain: bool) -> bool:
    """True for a value that is its own Convex JSON encoding."""
    kind = type(item)
    if kind is str or kind is bool or item is None:
        return True
    if kind is float:
        return -_FLOAT_MAX <= item <= _FLOAT_MAX and (item != 0.0 or _positive_zero(item))
    return ints_plain and kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER


def _positive_zero(value: float) -> bool:
    return math.copysign(1.0, value) > 0


def _encode_object(
    value: Mapping[Any, Any], validator: Validator | None, path: str
) -> dict[str, Any]:
    fields: Mapping[str, Any] | None = None
    record_values: Validator | None = None
    if validator is not None:
        if validator.get("type") == "object":
            fields = validator.get("value")
        elif validator.get("type") == "record":
            record_values = (validator.get("values") or {}).get("fieldType")
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = check_field_name(key, path)
        child: Validator | None = record_values
        if fields is not None:
            spec = fields.get(name)
            child = spec.get("fieldType") if isinstance(spec, Mapping) else None
        out[name] = encode_value(item, child, _join(path, name))
    return out


def encode_args(args: Mapping[str, Any], validator: Validator | None = None) -> dict[str, Any]:
    """Encode a function's argument object (keys checked, int64 fields per ``validator``)."""
    if not isinstance(args, Mapping):
        raise ValidationError("function arguments must be an object", code="UNSUPPORTED_VALUE")
    return _encode_object(args, validator, "")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of an already encoded value."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def request_body(
    path: str,
    args: Mapping[str, Any],
    validator: Validator | None = None,
    *,
    limit: int = MAX_ARGS_BYTES,
) -> bytes:
    """The HTTP body for a call: ``{"path", "format": "convex_encoded_json", "args"}``.

    Raises ``ValidationError`` for values Convex cannot hold and ``PayloadTooLargeError`` (``status_code`` None)
    when the encoded arguments exceed ``limit`` bytes: in both cases nothing has been sent.
    """
    encoded = dumps(encode_args(args, validator))
    if len(encoded) > limit:
        raise PayloadTooLargeError(
            f"arguments of {path} are {len(encoded)} bytes encoded; Convex accepts at most {limit}",
            code="ARGUMENTS_TOO_LARGE",
            function=path,
            size=len(encoded),
            limit=limit,
        )
    return b'{"path":%s,"format":"convex_encoded_json","args":%s}' % (dumps(path), encoded)


def _decode_marker(key: str, payload: Any, path: str) -> Any:
    if not isinstance(payload, str):
        raise _bad_value(f"malformed {key} at {path or '(root)'}", path)
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError as exc:
        raise _bad_value(f"malformed base64 in {key} at {path or '(root)'}", path) from exc
    if key == "$bytes":
        return raw
    if len(raw) != 8:
        raise _bad_value(f"{key} at {path or '(root)'} has {len(raw)} bytes, expected 8", path)
    if key == "$integer":
        return _INT64.unpack(raw)[0]
    return _F64.unpack(raw)[0]


def _bad_value(message: str, path: str) -> ValidationError:
    return ValidationError(message, code="INVALID_CONVEX_VALUE", field=path or None)


_MARKERS = frozenset({"$bytes", "$integer", "$float"})


def decode_value(value: Any, path: str = "") -> Any:
    """Decode a Convex JSON value (as parsed by ``json.loads``) into Python values."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key,) = value
            if key in _MARKERS:
                return _decode_marker(key, value[key], path)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.startswith("$"):
                raise _bad_value(f"unexpected reserved key {key!r} at {path or '(root)'}", path)
            out[key] = decode_value(item, _join(path, key))
        return out
    if isinstance(value, list):
        return [decode_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (key,) = obj
        if key in _MARKERS:
            return _decode_marker(key, obj[key], "")
    for key in obj:
        if key[:1] == "$":
            raise _bad_value(f"unexpected reserved key {key!r} in an object", "")
    return obj


def loads(data: bytes | str) -> Any:
    """Parse JSON text and decode Convex markers while parsing (no second walk over the value).

    Raises ``ValueError`` for text that is not JSON and ``ValidationError`` (``INVALID_CONVEX_VALUE``) for a
    malformed marker or a reserved key.
    """
    return json.loads(data, object_hook=_object_hook)
