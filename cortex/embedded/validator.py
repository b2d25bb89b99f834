"""Validation of values against Convex validator JSON, with Convex's wording.

The validator JSON format is Convex's own ``exportArgs()`` format (see docs/schema-format.md). ``check`` returns
``None`` when the value is valid, else the message Convex would give (without the ``ArgumentValidationError: ``
prefix, which the caller adds when the value is a function's arguments).
"""

from __future__ import annotations

import json
import math
from typing import Any

Validator = dict[str, Any]


def render_value(value: Any) -> str:
    """A value written the way Convex prints it in error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bytes, bytearray)):
        return f"ArrayBuffer({len(value)} bytes)"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def render_validator(v: Validator) -> str:
    """A validator written like Convex's ``v.*`` builders."""
    kind = v.get("type")
    if kind in ("string", "number", "boolean", "null", "any", "bytes"):
        return f"v.{'float64' if kind == 'number' else kind}()"
    if kind == "bigint":
        return "v.int64()"
    if kind == "literal":
        return f"v.literal({render_value(v['value'])})"
    if kind == "id":
        return f'v.id("{v["tableName"]}")'
    if kind == "array":
        return f"v.array({render_validator(v['value'])})"
    if kind == "record":
        return (
            f"v.record({render_validator(v['keys'])}, {render_validator(v['values']['fieldType'])})"
        )
    if kind == "union":
        return "v.union(" + ", ".join(render_validator(m) for m in v["value"]) + ")"
    if kind == "object":
        fields = []
        for name, spec in v["value"].items():
            inner = render_validator(spec["fieldType"])
            fields.append(
                f"{name}: {'v.optional(' + inner + ')' if spec.get('optional') else inner}"
            )
        return "v.object({" + ", ".join(fields) + "})"
    return f"v.{kind}()"


_NUMBER_TYPES = frozenset({int, float})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mismatch(path: str, value: Any, v: Validator) -> str:
    where = f"Path: {path}\n" if path else ""
    return f"Value does not match validator.\n{where}Value: {render_value(value)}\nValidator: {render_validator(v)}"


def _valid_field_name(name: str) -> str | None:
    if name.startswith("$"):
        return f"Field name {name} starts with a '$', which is reserved."
    return None


def _check_plain(value: Any, path: str) -> str | None:
    """Check that a value is a Convex value at all (used for ``v.any()``)."""
    if value is None or isinstance(value, (bool, str, bytes, bytearray)) or _is_number(value):
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            err = _check_plain(item, f"{path}[{i}]")
            if err:
                return err
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return f"Object keys must be strings. Path: {path}"
            bad = _valid_field_name(k)
            if bad:
                return bad + (f" Path: {path}" if path else "")
            err = _check_plain(item, f"{path}.{k}")
            if err:
                return err
        return None
    return f"{type(value).__name__} is not a supported Convex type. Path: {path or '.'}"


def check(value: Any, v: Validator, path: str = "", *, table_of_id: Any = None) -> str | None:
    """Validate ``value`` against ``v``; ``None`` when valid, else Convex's message.

    ``table_of_id`` is an optional callable ``(id) -> table name | None`` used for ``v.id(table)``.
    """
    kind = v.get("type")
    if kind == "any":
        return _check_plain(value, path)
    if kind == "string":
        return None if isinstance(value, str) else _mismatch(path, value, v)
    if kind == "number":
        return None if _is_number(value) else _mismatch(path, value, v)
    if kind == "bigint":
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool)
            else _mismatch(path, value, v)
        )
    if kind == "boolean":
        return None if isinstance(value, bool) else _mismatch(path, value, v)
    if kind == "null":
        return None if value is None else _mismatch(path, value, v)
    if kind == "bytes":
        return None if isinstance(value, (bytes, bytearray)) else _mismatch(path, value, v)
    if kind == "literal":
        lit = v["value"]
        same = type(value) is type(lit) or (_is_number(value) and _is_number(lit))
        return None if same and value == lit else _mismatch(path, value, v)
    if kind == "id":
        if not isinstance(value, str):
            return _mismatch(path, value, v)
        if table_of_id is not None and table_of_id(value) != v["tableName"]:
            return _mismatch(path, value, v)
        return None
    if kind == "array":
        if not isinstance(value, (list, tuple)):
            return _mismatch(path, value, v)
        if v["value"].get("type") == "number" and set(map(type, value)) <= _NUMBER_TYPES:
            return None  # fast path for embeddings
        for i, item in enumerate(value):
            err = check(item, v["value"], f"{path}[{i}]", table_of_id=table_of_id)
            if err:
                return err
        return None
    if kind == "record":
        if not isinstance(value, dict):
            return _mismatch(path, value, v)
        for k, item in value.items():
            err = check(k, v["keys"], f"{path}", table_of_id=table_of_id) or check(
                item, v["values"]["fieldType"], f"{path}.{k}", table_of_id=table_of_id
            )
            if err:
                return err
        return None
    if kind == "union":
        for member in v["value"]:
            if check(value, member, path, table_of_id=table_of_id) is None:
                return None
        return _mismatch(path, value, v)
    if kind == "object":
        return _check_object(value, v, path, table_of_id)
    return f"Unsupported validator type {kind!r}"


def _check_object(value: Any, v: Validator, path: str, table_of_id: Any) -> str | None:
    if not isinstance(value, dict):
        return _mismatch(path, value, v)
    fields: dict[str, Any] = v["value"]
    where = f"Path: {path}\n" if path else ""
    for name, spec in fields.items():
        if name not in value and not spec.get("optional"):
            return (
                f"Object is missing the required field `{name}`. Consider wrapping the field validator in "
                f"`v.optional(...)` if this is expected.\n\n{where}Object: {render_value(value)}\n"
                f"Validator: {render_validator(v)}"
            )
    for name, item in value.items():
        if name not in fields:
            bad = isinstance(name, str) and _valid_field_name(name)
            if bad:
                return bad
            return (
                f"Object contains extra field `{name}` that is not in the validator.\n\n{where}"
                f"Object: {render_value(value)}\nValidator: {render_validator(v)}"
            )
        err = check(item, fields[name]["fieldType"], f"{path}.{name}", table_of_id=table_of_id)
        if err:
            return err
    return None
