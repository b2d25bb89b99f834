"""The project invariant: only cortex/_generated spells a Convex function path or builds a Convex args dict.

A string literal equal to a function path (``memories:store``) is always a violation. A dict literal is a Convex
args dict when it has at least two string keys, one of them camelCase, all among one function's argument names,
and it is not a table document (keys all fields of one table, as the embedded backend builds them).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from ._gen import REPO

CORTEX = REPO / "cortex"


def _functions() -> tuple[set[str], list[frozenset[str]]]:
    entries = json.loads((REPO / "schema" / "convex" / "functions.json").read_text())
    paths, arg_sets = set(), []
    for e in entries:
        mod, _, fn = e["identifier"].partition(":")
        paths.add(f"{mod.removesuffix('.js')}:{fn}")
        arg_sets.append(frozenset((e.get("args") or {}).get("value", {})))
    return paths, arg_sets


def _object_field_sets(validator: Any, out: list[frozenset[str]]) -> None:
    if isinstance(validator, dict):
        if validator.get("type") == "object":
            out.append(frozenset(validator.get("value", {})) | {"_id", "_creationTime"})
        for value in validator.values():
            _object_field_sets(value, out)
    elif isinstance(validator, list):
        for value in validator:
            _object_field_sets(value, out)


def _table_fields() -> list[frozenset[str]]:
    """Field names of every (nested) object in every table's documents."""
    tables = json.loads((REPO / "schema" / "convex" / "tables.json").read_text())["tables"]
    out: list[frozenset[str]] = []
    for t in tables:
        _object_field_sets(t["documentType"], out)
    return out


def _hand_written() -> list[Path]:
    return sorted(
        p for p in CORTEX.rglob("*.py") if "_generated" not in p.relative_to(CORTEX).parts
    )


def violations(files: list[Path]) -> list[str]:
    """Every offending literal in ``files``, as ``file:line: what``."""
    paths, arg_sets = _functions()
    documents = _table_fields()
    found = []
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        rel = file.relative_to(REPO) if file.is_relative_to(REPO) else file.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in paths
            ):
                found.append(f"{rel}:{node.lineno}: Convex function path {node.value!r}")
            elif isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                if (
                    len(keys) < 2
                    or len(keys) != len(node.keys)
                    or not all(isinstance(k, str) for k in keys)
                ):
                    continue
                key_set = frozenset(keys)
                is_args = any(k != k.lower() for k in key_set) and any(
                    key_set <= s for s in arg_sets
                )
                # A dict whose keys are all fields of one table's documents is a document (the embedded
                # backend builds them), not a call's arguments.
                if is_args and not any(key_set <= d for d in documents):
                    found.append(
                        f"{rel}:{node.lineno}: Convex args dict with keys {sorted(key_set)}"
                    )
    return found


def test_scan_detects_a_path_and_an_args_dict(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "PATH = 'memories:store'\n"
        "ARGS = {'conversationId': 'c', 'includeMessages': True}\n"
        "DOC = {'memorySpaceId': 's', 'content': 'c'}\n"
        "FINE = {'type': 'x', 'value': 1}\n"
        "ALSO_FINE = 'memories store'\n"
    )
    found = violations([bad])
    assert found == [
        "bad.py:1: Convex function path 'memories:store'",
        "bad.py:2: Convex args dict with keys ['conversationId', 'includeMessages']",
    ]


def test_hand_written_code_spells_no_convex_path_or_args_dict() -> None:
    files = _hand_written()
    assert any(p.name == "namespaces.py" for p in files)
    found = violations(files)
    assert found == [], "\n".join(found)
