"""Name conversions shared by every part of the generator (wire camelCase to Python snake_case and PascalCase)."""

from __future__ import annotations

import keyword
import re

# Attribute names a pydantic model must not use as field names (they shadow BaseModel API).
_MODEL_RESERVED = frozenset(
    {
        "copy",
        "construct",
        "dict",
        "json",
        "parse_obj",
        "parse_raw",
        "parse_file",
        "schema",
        "schema_json",
        "validate",
        "update_forward_refs",
        "fields",
        "to_wire",
    }
)

_BOUNDARY_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")
_PLURAL_ACRONYM = re.compile(r"([A-Z]{2,})s(?=[A-Z0-9_]|$)")


def snake(name: str) -> str:
    """``memorySpaceId`` -> ``memory_space_id``; ``getHistoryAPI`` -> ``get_history_api``."""
    s = _NON_WORD.sub("_", name)
    s = _PLURAL_ACRONYM.sub(lambda m: m[1][0] + m[1][1:].lower() + "s", s)
    s = _BOUNDARY_1.sub(r"\1_\2", s)
    s = _BOUNDARY_2.sub(r"\1_\2", s)
    s = re.sub(r"_+", "_", s).lower()
    return s


def pascal(name: str) -> str:
    """``memorySpaces`` -> ``MemorySpaces``; ``by_id`` -> ``ById``."""
    parts = [p for p in re.split(r"[^0-9a-zA-Z]+|_", name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def py_identifier(name: str) -> str:
    """A safe snake_case identifier: keywords and reserved names get a trailing underscore."""
    s = snake(name)
    if not s or s[0].isdigit():
        s = "f_" + s
    if keyword.iskeyword(s) or keyword.issoftkeyword(s):
        s += "_"
    return s


def field_name(name: str) -> str:
    """A snake_case pydantic field name for a wire property name."""
    stripped = name.lstrip("_")
    s = py_identifier(stripped) if stripped else "f_"
    if name.startswith("_"):
        s = "sys_" + s  # Convex system fields: _id -> sys_id, _creationTime -> sys_creation_time
    if s in _MODEL_RESERVED or s.startswith("model_"):
        s += "_"
    return s


def module_name(convex_module: str) -> str:
    """Convex module (``memorySpaces`` or ``lib/foo``) -> Python module name (``memory_spaces``, ``lib_foo``)."""
    return py_identifier(convex_module.replace("/", "_"))


def wire_path(identifier: str) -> str:
    """``memories.js:store`` -> ``memories:store``."""
    mod, _, fn = identifier.partition(":")
    if mod.endswith(".js"):
        mod = mod[: -len(".js")]
    return f"{mod}:{fn}"
