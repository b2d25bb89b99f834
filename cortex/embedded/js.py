"""JavaScript semantics that ported Convex handlers need: truthiness, ``||``, ``+``/``-``, ``localeCompare``.

Upstream handlers are TypeScript; porting ``(existing.value || 0) + (args.operand || 1)`` literally to Python
would change behaviour for ``[]``/``{}`` (truthy in JS) or strings (``+`` concatenates). Use these instead.
"""

from __future__ import annotations

import math
from typing import Any

from cortex.embedded.values import UNDEFINED


def truthy(value: Any) -> bool:
    """JavaScript truthiness: falsy are ``undefined``, ``null``, ``false``, ``0``, ``NaN`` and ``""``."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    if isinstance(value, str):
        return value != ""
    return True


def or_(value: Any, fallback: Any) -> Any:
    """``value || fallback``."""
    return value if truthy(value) else fallback


def to_number(value: Any) -> float:
    """JavaScript ``Number(value)`` for primitives (objects and arrays give NaN)."""
    if value is None:
        return 0.0
    if value is UNDEFINED:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def to_string(value: Any) -> str:
    """JavaScript ``String(value)`` for primitives and arrays."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else to_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def add(a: Any, b: Any) -> Any:
    """``a + b``: string concatenation when either side is a string (or an object/array), else numeric."""
    if isinstance(a, (str, list, dict)) or isinstance(b, (str, list, dict)):
        return to_string(a) + to_string(b)
    result = to_number(a) + to_number(b)
    return _int_if_whole(a, b, result)


def sub(a: Any, b: Any) -> Any:
    """``a - b`` (always numeric)."""
    result = to_number(a) - to_number(b)
    return _int_if_whole(a, b, result)


def _int_if_whole(a: Any, b: Any, result: float) -> Any:
    # Keep Python ints when both operands were ints (JSON numbers stay as written); numbers are float64 either way.
    if (
        isinstance(a, int)
        and isinstance(b, int)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and result.is_integer()
    ):
        return int(result)
    return result


def locale_compare_key(text: str) -> tuple[str, str]:
    """A sort key approximating ``a.localeCompare(b)``: case-insensitive first, lowercase before uppercase."""
    return (text.casefold(), text.swapcase())
