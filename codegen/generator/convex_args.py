"""Convex validator JSON (``functions.json``) -> pydantic argument models (``ArgsModel``) in the IR."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.generator.ir import FieldDef, ModelDef
from codegen.generator.naming import field_name, module_name, pascal, snake, wire_path

Validator = dict[str, Any]


@dataclass
class FunctionDef:
    """One Convex function as the generated code sees it."""

    identifier: str
    path: str  # wire path, ``memories:store``
    module: str  # Convex module, ``memories``
    name: str  # function name, ``store``
    kind: str  # query | mutation | action
    args: Validator
    returns: Validator | None
    py_module: str  # ``memories``
    helper: str  # ``memories_store``
    args_class: str  # ``MemoriesStoreArgs``


@dataclass
class ArgsModule:
    """All argument models of one Convex module, in definition order (nested models first)."""

    py_module: str
    models: list[ModelDef] = field(default_factory=list)
    functions: list[FunctionDef] = field(default_factory=list)
    uses_any: bool = False
    uses_literal: bool = False


def function_defs(functions: list[dict[str, Any]]) -> list[FunctionDef]:
    """Parse ``functions.json`` entries, sorted by wire path."""
    out = []
    for entry in functions:
        path = wire_path(entry["identifier"])
        mod, _, fn = path.partition(":")
        kind = str(entry["functionType"]).lower()
        out.append(
            FunctionDef(
                identifier=entry["identifier"],
                path=path,
                module=mod,
                name=fn,
                kind=kind,
                args=entry["args"],
                returns=entry.get("returns"),
                py_module=module_name(mod),
                helper=f"{module_name(mod)}_{snake(fn)}",
                args_class=f"{pascal(mod)}{pascal(fn)}Args",
            )
        )
    out.sort(key=lambda f: f.path)
    return out


class _Builder:
    def __init__(self, module: ArgsModule) -> None:
        self.module = module
        self.taken: set[str] = set()

    def model(self, name: str, validator: Validator) -> str:
        """Add a model for an object validator (nested ones first) and return its class name."""
        base, n = name, 2
        while name in self.taken:
            name, n = f"{base}{n}", n + 1
        self.taken.add(name)
        fields: list[FieldDef] = []
        for wire, spec in validator.get("value", {}).items():
            ftype = spec["fieldType"]
            ann = self.annotation(ftype, name + pascal(wire))
            optional = bool(spec.get("optional"))
            nullable = _admits_null(ftype)
            if optional and not nullable:
                ann = f"{ann} | None"
            fields.append(
                FieldDef(
                    name=field_name(wire),
                    alias=wire,
                    annotation=ann,
                    required=not optional,
                    omit_none=optional and not nullable,
                )
            )
        self.module.models.append(ModelDef(name=name, base="ArgsModel", fields=fields))
        return name

    def annotation(self, v: Validator, hint: str) -> str:
        t = v["type"]
        if t == "string" or t == "id":
            return "str"
        if t == "number":
            return "float"
        if t in ("bigint", "int64"):
            return "int"
        if t == "boolean":
            return "bool"
        if t == "null":
            return "None"
        if t == "bytes":
            return "bytes"
        if t == "any":
            self.module.uses_any = True
            return "Any"
        if t == "literal":
            self.module.uses_literal = True
            return f"Literal[{_literal(v['value'])}]"
        if t == "array":
            return f"list[{self.annotation(v['value'], hint + 'Item')}]"
        if t == "record":
            key = self.annotation(v["keys"], hint + "Key")
            val = self.annotation(v["values"]["fieldType"], hint + "Value")
            return f"dict[{key}, {val}]"
        if t == "object":
            return self.model(hint, v)
        if t == "union":
            return self.union(v["value"], hint)
        raise ValueError(f"unknown Convex validator type {t!r}")

    def union(self, members: list[Validator], hint: str) -> str:
        literals = [m for m in members if m["type"] == "literal"]
        others = [m for m in members if m["type"] != "literal"]
        parts: list[str] = []
        if literals:
            self.module.uses_literal = True
            parts.append("Literal[" + ", ".join(_literal(m["value"]) for m in literals) + "]")
        for i, m in enumerate(others):
            parts.append(self.annotation(m, hint + _variant_suffix(m, i)))
        # ``None`` last, duplicates removed, order otherwise kept (pydantic tries members left to right).
        seen: list[str] = []
        for p in parts:
            if p not in seen and p != "None":
                seen.append(p)
        if "None" in parts:
            seen.append("None")
        return " | ".join(seen)


def _variant_suffix(v: Validator, index: int) -> str:
    """Name a union member object after its literal ``type``/``kind`` field when it has one."""
    if v["type"] == "object":
        for key in ("type", "kind", "op", "action"):
            spec = v["value"].get(key)
            if spec and spec["fieldType"]["type"] == "literal":
                return pascal(str(spec["fieldType"]["value"]))
    return f"Variant{index + 1}"


def _admits_null(v: Validator) -> bool:
    if v["type"] in ("null", "any"):
        return True
    if v["type"] == "union":
        return any(_admits_null(m) for m in v["value"])
    return False


def _literal(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return repr(value)
    raise ValueError(f"literal {value!r} cannot be a typing.Literal")


def build_modules(functions: list[FunctionDef]) -> list[ArgsModule]:
    """Group functions by Python module and build every argument model."""
    modules: dict[str, ArgsModule] = {}
    for fn in functions:
        mod = modules.setdefault(fn.py_module, ArgsModule(py_module=fn.py_module))
        mod.functions.append(fn)
    for mod in modules.values():
        builder = _Builder(mod)
        # Reserve every top-level class name first so that no nested model takes one.
        builder.taken.update(fn.args_class for fn in mod.functions)
        for fn in mod.functions:
            builder.taken.discard(fn.args_class)
            name = builder.model(fn.args_class, fn.args or {"type": "object", "value": {}})
            assert name == fn.args_class, f"name clash for {fn.args_class}"
    return [modules[k] for k in sorted(modules)]
