"""A readable text rendering of the API surface a schema produces (snapshots and drift reports use it).

Three sections, one item per line (models: one block each):

* ``method ns.name(params) -> ret  [kind path]``: the Python signature exactly as generated;
* ``model Name`` + ``  field (wireName): annotation [required]``: every type of ``types.schema.json``;
* ``function path kind (args)``: every Convex function with its argument validator in TS-like notation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codegen.generator import convex_args
from codegen.generator.api_types import Annotator, ModelIndex, UnsupportedType
from codegen.generator.namespaces import MethodDef, build_namespaces
from codegen.generator.naming import field_name
from codegen.generator.schema_input import SchemaInput, load_schema


def _model_index(types: dict[str, Any] | None) -> ModelIndex:
    defs = (types or {}).get("$defs", {})
    classes = {n for n, d in defs.items() if isinstance(d, dict) and d.get("type") == "object"}
    return ModelIndex(classes=classes, aliases=set(defs) - classes, defs=defs)


def _signature(m: MethodDef) -> str:
    params = []
    kw = False
    for p in m.params:
        if p.keyword_only and not kw:
            params.append("*")
            kw = True
        params.append(
            f"{p.name}: {p.annotation}" + (f" = {p.default}" if p.default is not None else "")
        )
    return f"{m.name}({', '.join(params)}) -> {m.returns}"


def method_lines(schema: SchemaInput) -> list[str]:
    if schema.api is None:
        return []
    functions = convex_args.function_defs(schema.functions)
    namespaces = build_namespaces(schema.api, _model_index(schema.types), functions, lambda _: True)
    lines = []
    for ns in namespaces:
        for m in ns.methods:
            where = f" {m.call.function.path}" if m.call else ""
            state = " NotImplemented" if m.not_implemented else ""
            sync = "" if m.is_async else " sync"
            lines.append(f"method {ns.attr}.{_signature(m)}  [{m.kind}{where}{sync}{state}]")
    return lines


def model_lines(schema: SchemaInput) -> list[str]:
    if schema.types is None:
        return []
    index = _model_index(schema.types)
    lines = []
    for name in sorted(index.defs):
        node = index.defs[name]
        ann = Annotator(index)
        if name not in index.classes:
            try:
                text = ann.annotate(node)
            except UnsupportedType:
                text = "Any"
            lines.append(f"type {name} = {text}")
            continue
        lines.append(f"model {name}")
        required = set(node.get("required", []))
        for wire, prop in node.get("properties", {}).items():
            try:
                text = ann.annotate(prop)
            except UnsupportedType:
                text = "Any"
            flag = " [required]" if wire in required else ""
            lines.append(f"  {field_name(wire)} ({wire}): {text}{flag}")
    return lines


def validator_text(v: dict[str, Any]) -> str:
    """A Convex validator in TypeScript-like notation."""
    t = v.get("type")
    if t == "object":
        fields = ", ".join(
            f"{k}{'?' if f.get('optional') else ''}: {validator_text(f['fieldType'])}"
            for k, f in v.get("value", {}).items()
        )
        return "{" + fields + "}"
    if t == "array":
        inner = validator_text(v["value"])
        return f"({inner})[]" if v["value"].get("type") == "union" else f"{inner}[]"
    if t == "union":
        return " | ".join(validator_text(m) for m in v["value"])
    if t == "literal":
        return repr(v["value"])
    if t == "id":
        return f"Id<{v['tableName']}>"
    if t == "record":
        return f"Record<{validator_text(v['keys'])}, {validator_text(v['values']['fieldType'])}>"
    return str(t)


def function_lines(schema: SchemaInput) -> list[str]:
    lines = []
    for fn in convex_args.function_defs(schema.functions):
        args = validator_text(fn.args)[1:-1] if fn.args else ""
        lines.append(f"function {fn.path} {fn.kind} ({args})")
    return lines


def surface(schema: SchemaInput) -> dict[str, str]:
    """The three sections as text, keyed ``methods``, ``models``, ``functions``."""
    return {
        "methods": "\n".join(method_lines(schema)) + "\n",
        "models": "\n".join(model_lines(schema)) + "\n",
        "functions": "\n".join(function_lines(schema)) + "\n",
    }


def surface_of(root: Path) -> dict[str, str]:
    return surface(load_schema(root))
