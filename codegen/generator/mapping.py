"""api.json call-mapping expressions -> Python expression source that uses ``cortex._mapping`` (imported as ``_m``).

Each expression kind of docs/schema-format.md compiles to a call of one runtime function; lazily evaluated operands
(``coalesce``, ``cond``) become lambdas so that a helper such as ``generateMessageId`` runs only when needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.generator.naming import snake


class Unmappable(Exception):
    """An expression the generator cannot compile (the method becomes ``NotImplementedError``)."""


@dataclass
class ExprContext:
    """What an expression may refer to: parameter variables, helper names, the current ``map`` item."""

    params: Mapping[str, str]  # TS parameter name -> Python variable
    helpers: Callable[[str], bool]  # does cortex._helpers implement this helper?
    in_result: bool = False
    item_vars: list[str] = field(default_factory=list)
    helpers_used: set[str] = field(default_factory=set)


def compile_expr(e: Any, ctx: ExprContext) -> str:
    """Python source for one expression."""
    if not isinstance(e, dict):
        raise Unmappable(f"expression is not an object: {e!r}")
    if "param" in e:
        var = ctx.params.get(e["param"])
        if var is None:
            raise Unmappable(f"unknown parameter {e['param']!r}")
        keys = list(e.get("path") or [])
        return f"_m.path({var}, {keys!r})" if keys else f"_m.param({var})"
    if "const" in e:
        return repr(e["const"])
    if "auth" in e:
        return f"_m.auth(self._ctx.auth, {e['auth']!r})"
    if "helper" in e:
        name = e["helper"]
        if not ctx.helpers(name):
            raise Unmappable(f"helper {name!r} is not implemented in cortex._helpers")
        ctx.helpers_used.add(name)
        args = ", ".join(compile_expr(a, ctx) for a in e.get("args", []))
        return f"_h.{snake(name)}({args})"
    if "coalesce" in e:
        op = e.get("op", "??")
        if op not in ("??", "||"):
            raise Unmappable(f"coalesce op {op!r}")
        thunks = ", ".join(f"lambda: {compile_expr(x, ctx)}" for x in e["coalesce"])
        return f"_m.coalesce({thunks}, op={op!r})"
    if "date" in e:
        return f"_m.date({compile_expr(e['date'], ctx)})"
    if "spread" in e:
        return f"_m.spread({compile_expr(e['spread'], ctx)}, {_entries(e.get('object', {}), ctx)})"
    if "object" in e:
        return f"_m.obj({_entries(e['object'], ctx)})"
    if "array" in e:
        return "_m.array([" + ", ".join(compile_expr(x, ctx) for x in e["array"]) + "])"
    if "map" in e:
        source = compile_expr(e["map"], ctx)
        var = f"_item{len(ctx.item_vars)}"
        ctx.item_vars.append(var)
        try:
            body = compile_expr(e["each"], ctx)
        finally:
            ctx.item_vars.pop()
        return f"_m.each({source}, lambda {var}: {body})"
    if "item" in e:
        if not ctx.item_vars:
            raise Unmappable("item outside map")
        keys = list(e["item"] or [])
        return f"_m.path({ctx.item_vars[-1]}, {keys!r})" if keys else ctx.item_vars[-1]
    if "cond" in e:
        test = compile_expr(e["cond"], ctx)
        then = compile_expr(e.get("then", {"const": None}), ctx)
        other = compile_expr(e.get("else", {"const": None}), ctx)
        return f"_m.cond({test}, lambda: {then}, lambda: {other})"
    if "not" in e:
        return f"(not _m.truthy({compile_expr(e['not'], ctx)}))"
    if "eq" in e:
        a, b = e["eq"]
        return f"_m.eq({compile_expr(a, ctx)}, {compile_expr(b, ctx)})"
    if "result" in e:
        if not ctx.in_result:
            raise Unmappable("result outside a result transform")
        keys = list(e["result"] or [])
        return f"_m.path(_raw, {keys!r})" if keys else "_raw"
    raise Unmappable(f"unknown expression kind: {sorted(e)}")


def _entries(obj: Mapping[str, Any], ctx: ExprContext) -> str:
    return "{" + ", ".join(f"{k!r}: {compile_expr(v, ctx)}" for k, v in obj.items()) + "}"
