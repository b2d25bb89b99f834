"""The namespace IR builder: when a thin method cannot be generated, and how signatures are shaped."""

from __future__ import annotations

from typing import Any

from codegen.generator.api_types import ModelIndex
from codegen.generator.convex_args import function_defs
from codegen.generator.namespaces import NamespaceDef, build_namespaces

FUNCTIONS = [
    {
        "identifier": "things.js:get",
        "functionType": "Query",
        "visibility": {"kind": "public"},
        "args": {
            "type": "object",
            "value": {
                "thingId": {"fieldType": {"type": "string"}, "optional": False},
                "limit": {"fieldType": {"type": "number"}, "optional": True},
            },
        },
        "returns": None,
    }
]
S = {"type": "string"}


def _method(name: str, call_args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "params": [{"name": "thingId", "type": S, "optional": False}],
        "returns": {"x-cortex-kind": "unknown"},
        "async": True,
        "class": "thin",
        "call": {"function": "things:get", "kind": "query", "args": call_args},
        **extra,
    }


def _build(methods: list[dict[str, Any]], helpers: frozenset[str] = frozenset()) -> NamespaceDef:
    api = {"namespaces": [{"name": "things", "class": "ThingsAPI", "methods": methods}]}
    (ns,) = build_namespaces(api, ModelIndex(), function_defs(FUNCTIONS), lambda h: h in helpers)
    return ns


def test_mapped_method_compiles_and_bad_mappings_become_not_implemented() -> None:
    ns = _build(
        [
            _method("get", {"thingId": {"param": "thingId"}}),
            _method("getExtra", {"thingId": {"param": "thingId"}, "bogus": {"const": 1}}),
            _method("getMissing", {"limit": {"const": 3}}),
            _method("getHelper", {"thingId": {"helper": "makeThingId", "args": []}}),
            _method("getUnknownParam", {"thingId": {"param": "nope"}}),
        ]
    )
    by_name = {m.name: m for m in ns.methods}
    assert ns.class_name == "ThingsBase" and ns.attr == "things"
    assert by_name["get"].call is not None and by_name["get"].not_implemented is None
    assert "not accepted by things:get" in (by_name["get_extra"].not_implemented or "")
    assert "required arguments ['thingId']" in (by_name["get_missing"].not_implemented or "")
    assert "helper 'makeThingId'" in (by_name["get_helper"].not_implemented or "")
    assert "unknown parameter 'nope'" in (by_name["get_unknown_param"].not_implemented or "")
    assert ns.not_implemented == ["get_extra", "get_helper", "get_missing", "get_unknown_param"]


def test_helper_available_compiles_to_snake_case_call() -> None:
    ns = _build(
        [_method("get", {"thingId": {"helper": "makeThingId", "args": []}})],
        frozenset({"makeThingId"}),
    )
    call = ns.methods[0].call
    assert call is not None and call.args == [("thingId", "_h.make_thing_id()")]


def test_signature_shapes() -> None:
    method = {
        "name": "list",
        "params": [
            {"name": "prefix", "type": S, "optional": True, "default": "a"},
            {
                "name": "tags",
                "type": {"type": "array", "items": S},
                "optional": True,
                "default": [],
            },
            {"name": "thingId", "type": S, "optional": False},
        ],
        "returns": {"type": "array", "items": S},
        "async": True,
        "class": "orchestration",
        "calls": ["things:get"],
    }
    (m,) = _build([method]).methods
    shapes = [(p.name, p.annotation, p.default, p.keyword_only) for p in m.params]
    assert shapes == [
        ("prefix", "str", "'a'", False),
        (
            "tags",
            "builtins.list[str] | None",
            "None",
            False,
        ),  # mutable default: None in the signature
        ("thing_id", "str", None, True),  # required after optional: keyword-only
    ]
    assert m.returns == "builtins.list[str]"  # the method named ``list`` shadows the builtin
    assert (
        m.not_implemented == "things.list is orchestration; implemented in a hand-written subclass"
    )
