"""Shared helpers for generator tests: generate a schema into an importable temporary package."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from codegen.generator.emit import write_tree
from codegen.generator.generate import generate_files
from codegen.generator.schema_input import load_schema

FIXTURE = Path(__file__).parent / "fixtures" / "schema"
REPO = Path(__file__).resolve().parents[2]


def generate_package(schema: Path, root: Path, name: str) -> ModuleType:
    """Generate ``schema`` as package ``name`` under ``root`` and import it (generated imports are relative)."""
    write_tree(generate_files(load_schema(schema)), root / name)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(name)
