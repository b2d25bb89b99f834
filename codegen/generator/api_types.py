"""JSON Schema (api.json parameter and return types) -> Python annotation source text.

``ModelIndex`` knows which ``$defs`` became classes and which became type aliases in ``cortex._generated.models``;
the converter records every name it uses so that the namespace module imports exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelIndex:
    """Names generated from ``types.schema.json``: model classes, type aliases and the raw ``$defs``."""

    classes: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    defs: dict[str, Any] = field(default_factory=dict)

    def resolve(self, schema: Any) -> Any:
        """Follow a ``$ref`` to its definition (one level)."""
        if isinstance(schema, dict) and "$ref" in schema:
            return self.defs.get(ref_name(schema["$ref"]), {})
        return schema


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


class UnsupportedType(Exception):
    """A schema the converter cannot express (the method is then generated as not implemented)."""


@dataclass
class Annotator:
    """Converts schemas to annotations. ``input`` mode widens model classes to ``Model | dict[str, Any]``;
    ``runtime`` mode writes a validator type (integers as ``WireInt``) for ``TypeAdapter``."""

    index: ModelIndex
    used: set[str] = field(default_factory=set)
    base_used: set[str] = field(default_factory=set)
    typing_used: set[str] = field(default_factory=set)

    def annotate(self, schema: Any, *, input: bool = False, runtime: bool = False) -> str:
        parts = self._parts(schema, input, runtime)
        return _join(parts)

    def _parts(self, s: Any, input: bool, runtime: bool) -> list[str]:
        if not isinstance(s, dict) or not s:
            return [self._any()]
        if "$ref" in s:
            name = ref_name(s["$ref"])
            if name not in self.index.classes and name not in self.index.aliases:
                raise UnsupportedType(f"unknown type {name}")
            self.used.add(name)
            if input and name in self.index.classes:
                self.typing_used.add("Any")
                return [name, "dict[str, Any]"]
            return [name]
        kind = s.get("x-cortex-kind")
        if kind == "unknown":
            return [self._any()]
        if kind == "date":
            if runtime:
                self.base_used.add("EpochMs")
                return ["EpochMs"]
            self.typing_used.add("datetime")
            return ["datetime", "int"]
        if kind == "callable":
            self.typing_used.update({"Any", "Callable"})
            return ["Callable[..., Any]"]
        if kind == "service":
            return [self._any()]
        if kind == "stream":
            self.typing_used.add("AsyncIterable")
            return [f"AsyncIterable[{self.annotate(s.get('items', {}), runtime=runtime)}]"]
        if kind == "bytes":
            return ["bytes"]
        if "const" in s:
            self.typing_used.add("Literal")
            return [f"Literal[{s['const']!r}]"]
        if "enum" in s:
            self.typing_used.add("Literal")
            return ["Literal[" + ", ".join(repr(v) for v in s["enum"]) + "]"]
        members = s.get("anyOf") or s.get("oneOf")
        if members:
            out: list[str] = []
            for m in members:
                for p in self._parts(m, input, runtime):
                    if p not in out:
                        out.append(p)
            return out
        t = s.get("type")
        if isinstance(t, list):
            return [p for one in t for p in self._parts({**s, "type": one}, input, runtime)]
        if t == "string":
            return ["str"]
        if t == "boolean":
            return ["bool"]
        if t == "null":
            return ["None"]
        if t == "integer":
            if runtime:
                self.base_used.add("WireInt")
                return ["WireInt"]
            return ["int"]
        if t == "number":
            return ["float"]
        if t == "array":
            if "prefixItems" in s:
                inner = ", ".join(
                    self.annotate(i, input=input, runtime=runtime) for i in s["prefixItems"]
                )
                return [f"tuple[{inner}]"]
            return [f"list[{self.annotate(s.get('items', {}), input=input, runtime=runtime)}]"]
        if t == "object":
            extra = s.get("additionalProperties")
            if isinstance(extra, dict) and not s.get("properties"):
                return [f"dict[str, {self.annotate(extra, input=input, runtime=runtime)}]"]
            self.typing_used.add("Any")
            return ["dict[str, Any]"]
        return [self._any()]

    def _any(self) -> str:
        self.typing_used.add("Any")
        return "Any"


def _join(parts: list[str]) -> str:
    if "Any" in parts:
        return "Any"
    ordered = [p for p in parts if p != "None"] + (["None"] if "None" in parts else [])
    return " | ".join(ordered) if ordered else "None"
