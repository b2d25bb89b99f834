"""api.json namespaces -> the IR of the generated namespace base classes (async and sync share it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codegen.generator.api_types import Annotator, ModelIndex, UnsupportedType, ref_name
from codegen.generator.convex_args import FunctionDef
from codegen.generator.mapping import ExprContext, Unmappable, compile_expr
from codegen.generator.naming import py_identifier


@dataclass
class ParamDef:
    name: str  # Python name
    ts_name: str
    annotation: str
    default: str | None  # Python source of the default, None when required
    model: str | None  # model class to validate a value into
    keyword_only: bool = False


@dataclass
class CallDef:
    function: FunctionDef
    args: list[tuple[str, str]]  # (wire key, expression source)
    result: str | None  # transform over ``_raw``
    graph_test: str | None  # thin+graph: expression saying whether sync_to_graph was requested


@dataclass
class MethodDef:
    name: str
    ts_name: str
    params: list[ParamDef]
    returns: str
    runtime_return: str | None  # validator type for the result, None when returned as is
    is_async: bool
    kind: str  # thin | thin+graph | orchestration | local
    call: CallDef | None = None
    not_implemented: str | None = None  # message of NotImplementedError

    @property
    def returns_none(self) -> bool:
        return self.returns == "None"


@dataclass
class NamespaceDef:
    name: str  # TS namespace name (``memorySpaces``)
    attr: str  # Python attribute (``memory_spaces``)
    module: str
    ts_class: str
    class_name: str  # ``MemorySpacesBase``
    methods: list[MethodDef] = field(default_factory=list)
    models_used: set[str] = field(default_factory=set)
    base_used: set[str] = field(default_factory=set)
    typing_used: set[str] = field(default_factory=set)
    calls_used: set[str] = field(default_factory=set)  # Python modules of call helpers
    args_used: dict[str, set[str]] = field(default_factory=dict)  # module -> args classes
    uses_builtins: bool = False

    @property
    def not_implemented(self) -> list[str]:
        return sorted(m.name for m in self.methods if m.not_implemented)

    @property
    def typing_imports(self) -> list[str]:
        return sorted(
            {"Any", "ClassVar"} | (self.typing_used - {"datetime", "Callable", "AsyncIterable"})
        )

    @property
    def abc_imports(self) -> list[str]:
        return sorted(self.typing_used & {"Callable", "AsyncIterable"})

    @property
    def needs_datetime(self) -> bool:
        return "datetime" in self.typing_used


def class_name_for(ts_class: str, ns_name: str) -> str:
    stem = ts_class[: -len("API")] if ts_class.endswith("API") and len(ts_class) > 3 else ts_class
    return f"{stem or ns_name[:1].upper() + ns_name[1:]}Base"


def _default_source(value: Any) -> str | None:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    return None  # mutable defaults are applied by the mapping, not in the signature


class _Builder:
    def __init__(
        self, index: ModelIndex, functions: dict[str, FunctionDef], helpers: Callable[[str], bool]
    ) -> None:
        self.index = index
        self.functions = functions
        self.helpers = helpers

    def namespace(self, ns: dict[str, Any]) -> NamespaceDef:
        attr = py_identifier(ns["name"])
        out = NamespaceDef(
            name=ns["name"],
            attr=attr,
            module=attr,
            ts_class=ns.get("class", ""),
            class_name=class_name_for(ns.get("class", ""), ns["name"]),
        )
        seen: set[str] = set()
        for method in ns.get("methods", []):
            m = self.method(out, method)
            if m.name in seen:  # overloads: the first declaration wins
                continue
            seen.add(m.name)
            out.methods.append(m)
        _qualify_shadowed_builtins(out)
        return out

    def method(self, ns: NamespaceDef, spec: dict[str, Any]) -> MethodDef:
        ann = Annotator(self.index)
        params: list[ParamDef] = []
        optional_seen = False
        for p in spec.get("params", []):
            py = py_identifier(p["name"])
            if py == "self":
                py = "self_"
            schema = p.get("type", {})
            try:
                a = ann.annotate(schema, input=True)
            except UnsupportedType:
                a = "Any"
                ann.typing_used.add("Any")
            resolved = schema.get("$ref") if isinstance(schema, dict) else None
            model = (
                ref_name(resolved)
                if resolved and ref_name(resolved) in self.index.classes
                else None
            )
            optional = bool(p.get("optional"))
            default: str | None = None
            if optional:
                default = _default_source(p["default"]) if "default" in p else "None"
                if default == "None" and "None" not in a.split(" | ") and a != "Any":
                    a = f"{a} | None"
                elif default is None:
                    default = "None"
                    if "None" not in a.split(" | ") and a != "Any":
                        a = f"{a} | None"
                optional_seen = True
            params.append(ParamDef(py, p["name"], a, default, model, keyword_only=False))
            if not optional and optional_seen:
                params[-1].keyword_only = True
        try:
            returns = ann.annotate(spec.get("returns", {}))
            runtime: str | None = ann.annotate(spec.get("returns", {}), runtime=True)
        except UnsupportedType:
            returns, runtime = "Any", None
            ann.typing_used.add("Any")
        if runtime in ("Any", "None"):
            runtime = None
        is_async = bool(spec.get("async", True))
        kind = spec.get("class", "orchestration")
        method = MethodDef(
            name=py_identifier(spec["name"]),
            ts_name=spec["name"],
            params=params,
            returns=returns,
            runtime_return=runtime,
            is_async=is_async,
            kind=kind,
        )
        where = f"{ns.attr}.{method.name}"
        if kind in ("thin", "thin+graph") and "unmapped" not in spec and "call" in spec:
            try:
                method.call = self.call(ns, spec, params)
            except Unmappable as exc:
                method.not_implemented = (
                    f"{where} is unmapped ({exc}); implemented in a hand-written subclass"
                )
        elif kind in ("thin", "thin+graph"):
            reason = spec.get("unmapped", "no call mapping")
            method.not_implemented = (
                f"{where} is unmapped ({reason}); implemented in a hand-written subclass"
            )
        else:
            method.not_implemented = f"{where} is {kind}; implemented in a hand-written subclass"
        if method.call is not None and not is_async:
            method.is_async = True  # a Convex call is always awaited
        ns.models_used |= ann.used
        if method.not_implemented is None:
            ns.base_used |= ann.base_used
        ns.typing_used |= ann.typing_used
        return method

    def call(self, ns: NamespaceDef, spec: dict[str, Any], params: list[ParamDef]) -> CallDef:
        call = spec["call"]
        fn = self.functions.get(call["function"])
        if fn is None:
            raise Unmappable(f"Convex function {call['function']} is not in functions.json")
        fields = (fn.args or {}).get("value", {})
        unknown = sorted(set(call.get("args", {})) - set(fields))
        if unknown:
            raise Unmappable(f"arguments {unknown} are not accepted by {fn.path}")
        missing = sorted(
            k for k, f in fields.items() if not f.get("optional") and k not in call.get("args", {})
        )
        if missing:
            raise Unmappable(f"required arguments {missing} of {fn.path} are not mapped")
        ctx = ExprContext(params={p.ts_name: p.name for p in params}, helpers=self.helpers)
        args = [(key, compile_expr(expr, ctx)) for key, expr in call.get("args", {}).items()]
        result = None
        if "result" in call:
            ctx.in_result = True
            result = compile_expr(call["result"], ctx)
            if result == "_raw":
                result = None
        graph_test = None
        if spec.get("class") == "thin+graph":
            # with a syncToGraph option the hook fires when it is set; a contract without it (v0.29 dropped the
            # option) syncs whenever a graph is configured
            graph_test = "True"
            for p in params:
                schema = self.index.resolve(
                    next(x["type"] for x in spec["params"] if x["name"] == p.ts_name)
                )
                if isinstance(schema, dict) and "syncToGraph" in schema.get("properties", {}):
                    graph_test = f"_m.truthy(_m.path({p.name}, ['syncToGraph']))"
                    break
        ns.calls_used.add(fn.py_module)
        ns.args_used.setdefault(fn.py_module, set()).add(fn.args_class)
        return CallDef(function=fn, args=args, result=result, graph_test=graph_test)


_BUILTINS = ("list", "dict", "str", "int", "float", "bool", "tuple", "bytes", "type", "set")


def _qualify_shadowed_builtins(ns: NamespaceDef) -> None:
    """A method named ``list`` shadows the builtin in later annotations of the class: write ``builtins.list``."""
    shadowed = [b for b in _BUILTINS if any(m.name == b for m in ns.methods)]
    if not shadowed:
        return
    pattern = re.compile(r"(?<![\w.])(" + "|".join(shadowed) + r")(?=\[|\b)")
    for m in ns.methods:
        m.returns = pattern.sub(r"builtins.\1", m.returns)
        for p in m.params:
            p.annotation = pattern.sub(r"builtins.\1", p.annotation)
    ns.uses_builtins = True


def build_namespaces(
    api: dict[str, Any],
    index: ModelIndex,
    functions: list[FunctionDef],
    helpers: Callable[[str], bool],
) -> list[NamespaceDef]:
    """Every namespace of api.json, sorted by name."""
    by_path = {f.path: f for f in functions}
    builder = _Builder(index, by_path, helpers)
    out = [builder.namespace(ns) for ns in api.get("namespaces", [])]
    out.sort(key=lambda n: n.attr)
    return out
