"""JavaScript semantics that ported Convex handlers need: truthiness, ``||``, ``+``/``-``, ``localeCompare``,
``JSON.stringify`` and ``Date.prototype.toISOString``.

Upstream handlers are TypeScript; porting ``(existing.value || 0) + (args.operand || 1)`` literally to Python
would change behaviour for ``[]``/``{}`` (truthy in JS) or strings (``+`` concatenates). Use these instead.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
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
        return number_to_string(value)
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


def round_(value: float) -> float:
    """``Math.round``: the nearest integer, halves toward +infinity (``-2.5`` → ``-2``); NaN and infinities as
    they are."""
    if not math.isfinite(value):
        return value
    whole = math.floor(value)
    # value - whole is exact, so 0.49999999999999994 rounds down as in JavaScript (floor(value + 0.5) would not).
    return float(whole + 1 if value - whole >= 0.5 else whole)


def locale_compare_key(text: str) -> tuple[str, str]:
    """A sort key approximating ``a.localeCompare(b)``: case-insensitive first, lowercase before uppercase."""
    return (text.casefold(), text.swapcase())


def number_to_string(value: float) -> str:
    """JavaScript ``String(n)`` for a finite or non-finite number (``2.0`` → ``"2"``, ``1e-7`` → ``"1e-7"``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if float(value).is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    exp = int(exponent)
    if -7 < exp < 21:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _stringify_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def stringify(value: Any, indent: int = 0) -> str:
    """``JSON.stringify(value, null, indent)``: members keep their order, ``UNDEFINED`` members are dropped
    (``null`` inside arrays), numbers are written the JavaScript way."""
    return _stringify(value, indent, "") if value is not UNDEFINED else "undefined"


def _stringify(value: Any, indent: int, pad: str) -> str:
    if value is None or value is UNDEFINED:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        f = float(value)
        return number_to_string(f) if math.isfinite(f) else "null"
    if isinstance(value, str):
        return _stringify_string(value)
    inner = pad + " " * indent
    sep = ",\n" + inner if indent else ","
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [_stringify(v, indent, inner) for v in value]
        if indent:
            return "[\n" + inner + sep.join(items) + "\n" + pad + "]"
        return "[" + sep.join(items) + "]"
    if isinstance(value, dict):
        colon = ": " if indent else ":"
        members = [
            _stringify_string(str(k)) + colon + _stringify(v, indent, inner)
            for k, v in value.items()
            if v is not UNDEFINED
        ]
        if not members:
            return "{}"
        if indent:
            return "{\n" + inner + sep.join(members) + "\n" + pad + "}"
        return "{" + sep.join(members) + "}"
    return "{}"


def sorted_value(value: Any) -> Any:
    """A copy of a stored value with object members in Convex's order (sorted by field name, recursively), as a
    document read from a Convex database has them."""
    if isinstance(value, dict):
        return {k: sorted_value(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_value(v) for v in value]
    return value


def iso_string(ms: float) -> str:
    """``new Date(ms).toISOString()``: ``YYYY-MM-DDTHH:MM:SS.sssZ`` in UTC."""
    whole = math.floor(ms)
    moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=whole)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{whole % 1000:03d}Z"


def slice_(items: list[Any], start: Any = 0, end: Any = UNDEFINED) -> list[Any]:
    """``items.slice(start, end)``: bounds truncated toward zero, negative ones counted from the end."""
    n = len(items)

    def bound(value: Any, default: int) -> int:
        if value is UNDEFINED or value is None:
            return default
        number = to_number(value)
        if math.isnan(number):
            return 0
        if math.isinf(number):
            return n if number > 0 else 0
        whole = int(number)
        return max(n + whole, 0) if whole < 0 else min(whole, n)

    lo = bound(start, 0)
    hi = bound(end, n)
    return items[lo:hi] if lo < hi else []


_JS_SPACE = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def trim(text: str) -> str:
    """``text.trim()``: strips JavaScript white space and line terminators (not Python's wider set)."""
    lo, hi = 0, len(text)
    while lo < hi and text[lo] in _JS_SPACE:
        lo += 1
    while hi > lo and text[hi - 1] in _JS_SPACE:
        hi -= 1
    return text[lo:hi]


def code_unit_key(text: str) -> bytes:
    """A sort key that orders strings like JavaScript's ``<`` and default ``Array.prototype.sort``
    (by UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def _array_index(key: str) -> int | None:
    if key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")):
        number = int(key)
        if number < 2**32 - 1:
            return number
    return None


def own_keys(obj: dict[str, Any]) -> list[str]:
    """``Object.keys(obj)`` order: array-index keys ascending, then the other keys in insertion order."""
    indexed = sorted((idx, k) for k in obj if (idx := _array_index(k)) is not None)
    return [k for _, k in indexed] + [k for k in obj if _array_index(k) is None]


def spread(value: Any) -> dict[str, Any]:
    """The members ``{...value}`` copies: an object's own members, a string's characters or an array's items by
    index; nothing for ``null``, ``undefined``, numbers and booleans."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        units = value.encode("utf-16-le", "surrogatepass")
        chars = [
            units[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(units), 2)
        ]
        return {str(i): c for i, c in enumerate(chars)}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value) if v is not UNDEFINED}
    return {}
