"""Snapshots of the API surface generated from schema/ (update with ``pytest --snapshot-update``).

A change in the contract shows up as a diff naming the namespace method, model field or Convex function.
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from codegen.generator.surface import surface_of

from ._gen import REPO


@pytest.fixture(scope="module")
def surface() -> dict[str, str]:
    return surface_of(REPO / "schema")


def test_namespace_methods(surface: dict[str, str], snapshot: SnapshotAssertion) -> None:
    assert surface["methods"] == snapshot


def test_models(surface: dict[str, str], snapshot: SnapshotAssertion) -> None:
    assert surface["models"] == snapshot


def test_convex_functions(surface: dict[str, str], snapshot: SnapshotAssertion) -> None:
    assert surface["functions"] == snapshot


def test_method_lines_match_generated_signatures(surface: dict[str, str]) -> None:
    import inspect

    from cortex._generated.namespaces import BASES

    lines = {line.split("(", 1)[0]: line for line in surface["methods"].splitlines()}
    checked = 0
    for attr, cls in BASES.items():
        for name, fn in vars(cls).items():
            if name.startswith("_") or not callable(fn):
                continue
            sig = str(inspect.signature(fn)).replace("(self, ", "(").replace("(self)", "()")
            sig = sig.replace("'", "")
            line = lines[f"method {attr}.{name}"]
            assert line.split("  [", 1)[0] == f"method {attr}.{name}{sig}"
            checked += 1
    assert checked == len(lines)
