"""``types.schema.json`` -> pydantic models, via datamodel-code-generator plus our pre- and post-processing.

Pre-processing rewrites the ``x-cortex-*`` markers of docs/schema-format.md into plain JSON Schema or
``customTypePath`` nodes that datamodel-code-generator understands; post-processing fixes the module header and
imports so that the output is stable and self-contained.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from datamodel_code_generator import (
    InputFileType,
    LiteralType,
    NamingStrategy,
    PythonVersion,
    generate,
)
from datamodel_code_generator.enums import DataModelType

from codegen.generator.api_types import Annotator, ModelIndex

_BASE = "cortex._model_base"
NULLABLE_KEY = "x-cortex-nullable"
LOCAL_KEY = "x-cortex-local"
ROOT_NAME = "CortexTypesRoot"
_CUSTOM = {
    "date": f"{_BASE}.EpochMs",
    "callable": f"{_BASE}.AnyCallable",
    "service": f"{_BASE}.Service",
    "stream": f"{_BASE}.AnyStream",
}


_STREAM_TOKEN = "StreamOf__"


def preprocess(node: Any, local_defs: set[str], streams: list[Any] | None = None) -> Any:
    """Return a copy of a JSON Schema with every ``x-cortex-kind`` and integer node made generator-ready."""
    if isinstance(node, list):
        return [preprocess(n, local_defs, streams) for n in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("x-cortex-kind")
    if kind == "date":
        return {"customTypePath": _CUSTOM[kind]}
    if kind == "stream" and streams is not None:
        # A placeholder type, replaced by ``StreamOf[<items>]`` in post-processing.
        streams.append(node.get("items", {}))
        return {"customTypePath": f"{_BASE}.{_STREAM_TOKEN}{len(streams) - 1}", LOCAL_KEY: True}
    if kind in _CUSTOM:
        return {"customTypePath": _CUSTOM[kind], LOCAL_KEY: True}
    if kind == "unknown":
        return {}
    if kind == "bytes":
        return {"type": "string", "format": "binary"}
    if node.get("type") == "integer":
        return {"customTypePath": f"{_BASE}.WireInt"}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-cortex-"):
            continue
        if key == "$defs":
            out[key] = {k: preprocess(v, local_defs, streams) for k, v in value.items()}
        elif key == "properties":
            out[key] = {k: _property(v, local_defs, streams) for k, v in value.items()}
        elif key == "additionalProperties" and isinstance(value, bool):
            # Every model tolerates unknown fields through its base class; ``true`` would add nothing.
            continue
        else:
            out[key] = preprocess(value, local_defs, streams)
    return out


def _admits_null(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if node == {} or node.get("type") == "null" or node.get("x-cortex-kind") == "unknown":
        return True
    return any(_admits_null(m) for m in node.get("anyOf", []) + node.get("oneOf", []))


def _refs(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
    for member in node.get("anyOf", []) + node.get("oneOf", []):
        found |= _refs(member)
    return found


def _property(node: Any, local_defs: set[str], streams: list[Any] | None) -> Any:
    """A property schema, marked nullable (``None`` is sent, not dropped) or local (never serialised)."""
    out = preprocess(node, local_defs, streams)
    if isinstance(out, dict):
        if _admits_null(node):
            out = {**out, NULLABLE_KEY: True}
        if _refs(node) & local_defs:
            out = {**out, LOCAL_KEY: True}
    return out


def local_defs_of(types_schema: dict[str, Any]) -> set[str]:
    """Names of ``$defs`` that are client-side objects (callables, services, streams)."""
    return {
        name
        for name, node in types_schema.get("$defs", {}).items()
        if isinstance(node, dict) and node.get("x-cortex-kind") in ("callable", "service", "stream")
    }


def generate_models(types_schema: dict[str, Any]) -> tuple[str, list[str]]:
    """The source of ``cortex/_generated/models.py`` before post-processing, and the item annotation of each
    stream placeholder (``StreamOf__<n>``)."""
    streams: list[Any] = []
    schema = preprocess(copy.deepcopy(types_schema), local_defs_of(types_schema), streams)
    # A root object whose $defs are the models; no root model of its own.
    schema = {"$schema": schema.get("$schema"), "$defs": schema.get("$defs", {})}
    result = generate(
        schema,
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_310,
        base_class=f"{_BASE}.CortexModel",
        snake_case_field=True,
        use_standard_collections=True,
        use_union_operator=True,
        enum_field_as_literal=LiteralType.All,
        use_one_literal_as_default=False,
        disable_timestamp=True,
        keep_model_order=True,
        use_annotated=False,
        collapse_root_models=False,
        use_title_as_name=False,
        capitalise_enum_members=False,
        use_type_alias=True,
        naming_strategy=NamingStrategy.ParentPrefixed,
        special_field_name_prefix="sys",
        class_name=ROOT_NAME,
        field_extra_keys={NULLABLE_KEY, LOCAL_KEY},
        formatters=[],
        disable_future_imports=True,
    )
    assert isinstance(result, str)
    defs = types_schema.get("$defs", {})
    classes = {n for n, d in defs.items() if isinstance(d, dict) and d.get("type") == "object"}
    annotator = Annotator(ModelIndex(classes=classes, aliases=set(defs) - classes, defs=defs))
    return result, [annotator.annotate(items) for items in streams]


_HEADER = re.compile(r"\A(#[^\n]*\n)+\s*")
_CONFIG_BLOCK = re.compile(
    r"\n    model_config = ConfigDict\(\n        arbitrary_types_allowed=True,\n    \)\n"
)
_ROOT_ALIAS = re.compile(rf"^{ROOT_NAME} = [^\n]*\n", re.MULTILINE)
_ROOT_CLASS = re.compile(rf"^class {ROOT_NAME}\(.*?(?=^\S|\Z)", re.MULTILINE | re.DOTALL)
_CLASSES = re.compile(r"^class (\w+)\(", re.MULTILINE)
_ALIASES = re.compile(r"^(\w+) = TypeAliasType\(", re.MULTILINE)


def _streams(source: str, items: list[str]) -> str:
    if not items:
        return source
    token = re.compile(rf"\b{_STREAM_TOKEN}(\d+)\b")
    head, sep, body = source.partition("\n\n\n")  # imports, then the models
    head = token.sub("StreamOf", head)
    head = re.sub(r"\bStreamOf(, StreamOf\b)+", "StreamOf", head)
    return head + sep + token.sub(lambda m: f"StreamOf[{items[int(m.group(1))]}]", body)


def postprocess(generated: tuple[str, list[str]]) -> tuple[str, set[str], set[str]]:
    """Strip the tool's header, redundant configs and the placeholder root; write stream types.

    Returns (source with ``__all__``, model class names, type alias names).
    """
    source = _streams(*generated)
    source = _HEADER.sub("", source)
    source = _CONFIG_BLOCK.sub("\n", source)
    source = _ROOT_ALIAS.sub("", source)
    source = _ROOT_CLASS.sub("", source)
    classes, aliases = set(_CLASSES.findall(source)), set(_ALIASES.findall(source))
    names = sorted(classes | aliases)
    exports = "\n__all__ = [\n" + "".join(f"    {n!r},\n" for n in names) + "]\n"
    return source.rstrip("\n") + "\n" + exports, classes, aliases
