"""The one place the engine reads the Convex schema: table definitions and the function registry.

Both come from ``cortex._generated`` (written by ``codegen/generator`` from ``schema/convex/*.json``). When the
generated package is not importable (a checkout before ``make generate``), tables fall back to reading
``schema/convex/tables.json`` directly; functions then have no args model.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema" / "convex"


@dataclass(frozen=True)
class IndexDef:
    """A database index: ordered field paths; ``_creationTime`` is the implicit last field."""

    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SearchIndexDef:
    name: str
    search_field: str
    filter_fields: tuple[str, ...]


@dataclass(frozen=True)
class VectorIndexDef:
    name: str
    vector_field: str
    dimensions: int
    filter_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableDef:
    name: str
    document_type: dict[str, Any]
    indexes: dict[str, IndexDef] = field(default_factory=dict)
    search_indexes: dict[str, SearchIndexDef] = field(default_factory=dict)
    vector_indexes: dict[str, VectorIndexDef] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionInfo:
    """One Convex function as the engine needs it (mirrors the generated ``FunctionSpec``)."""

    path: str
    kind: str
    args_validator: dict[str, Any]
    args_model: Any = None


def _raw_tables() -> list[dict[str, Any]]:
    try:
        module = importlib.import_module("cortex._generated.tables")
        tables: list[dict[str, Any]] = module.TABLES
        return tables
    except ImportError:
        with open(_SCHEMA_DIR / "tables.json", encoding="utf-8") as fh:
            data: list[dict[str, Any]] = json.load(fh)["tables"]
            return data


def parse_tables(raw: list[dict[str, Any]]) -> dict[str, TableDef]:
    """Turn Convex's schema export into ``TableDef``s."""
    out: dict[str, TableDef] = {}
    for t in raw:
        out[t["tableName"]] = TableDef(
            name=t["tableName"],
            document_type=t["documentType"],
            indexes={
                i["indexDescriptor"]: IndexDef(i["indexDescriptor"], tuple(i["fields"]))
                for i in t.get("indexes", [])
            },
            search_indexes={
                i["indexDescriptor"]: SearchIndexDef(
                    i["indexDescriptor"], i["searchField"], tuple(i["filterFields"])
                )
                for i in t.get("searchIndexes", [])
            },
            vector_indexes={
                i["indexDescriptor"]: VectorIndexDef(
                    i["indexDescriptor"],
                    i["vectorField"],
                    int(i["dimensions"]),
                    tuple(i["filterFields"]),
                )
                for i in t.get("vectorIndexes", [])
            },
        )
    return out


@lru_cache(maxsize=1)
def load_tables() -> dict[str, TableDef]:
    """Every table of the Cortex Convex schema, by name."""
    return parse_tables(_raw_tables())


@lru_cache(maxsize=1)
def load_functions() -> dict[str, FunctionInfo]:
    """Every public Convex function, by path (``"mod:fn"``)."""
    try:
        module = importlib.import_module("cortex._generated.functions")
    except ImportError:
        with open(_SCHEMA_DIR / "functions.json", encoding="utf-8") as fh:
            entries = json.load(fh)
        return {
            e["identifier"].replace(".js:", ":"): FunctionInfo(
                path=e["identifier"].replace(".js:", ":"),
                kind=e["functionType"].lower(),
                args_validator=e["args"],
            )
            for e in entries
            if e.get("visibility", {}).get("kind") == "public"
        }
    return {
        path: FunctionInfo(
            path=path,
            kind=spec.kind,
            args_validator=spec.args_validator,
            args_model=spec.args_model,
        )
        for path, spec in module.FUNCTIONS.items()
    }
