"""Loading of ``schema/``: the JSON files and the digest that heads every generated file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class SchemaInput:
    """Everything the generator reads from a schema directory (``types``/``api`` may be absent)."""

    root: Path
    functions: list[dict[str, Any]]
    tables: dict[str, Any]
    types: dict[str, Any] | None
    api: dict[str, Any] | None
    manifest: dict[str, Any] | None

    def digest(self, rel: str) -> tuple[str, str]:
        """(sha256, what it is of): the manifest's hash when there is a manifest, else the input file's."""
        manifest = self.root / "manifest.json"
        path = manifest if manifest.exists() else self.root / rel
        return hashlib.sha256(
            path.read_bytes()
        ).hexdigest(), f"schema/{path.relative_to(self.root).as_posix()}"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_schema(root: Path) -> SchemaInput:
    """Read a schema directory laid out as in docs/schema-format.md."""

    def optional(name: str) -> Any:
        p = root / name
        return _load(p) if p.exists() else None

    return SchemaInput(
        root=root,
        functions=_load(root / "convex" / "functions.json"),
        tables=_load(root / "convex" / "tables.json"),
        types=optional("types.schema.json"),
        api=optional("api.json"),
        manifest=optional("manifest.json"),
    )
