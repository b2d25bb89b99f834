"""Golden files: normalised outcomes of upstream's backend for one scenario (``golden/<scenario>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .scenario import GOLDEN_DIR, Scenario


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def write_golden(scenario: Scenario, outcomes: list[dict[str, Any]]) -> Path:
    """Write one step per line so that reviews show per-step diffs."""
    GOLDEN_DIR.mkdir(exist_ok=True)
    path = golden_path(scenario.name)
    lines = ",\n".join("    " + json.dumps(o, sort_keys=True, ensure_ascii=False) for o in outcomes)
    path.write_text(
        "{\n"
        f'  "scenario": {json.dumps(scenario.name)},\n'
        f'  "functions": {json.dumps(scenario.functions)},\n'
        f'  "steps": [\n{lines}\n  ]\n'
        "}\n"
    )
    return path


def read_golden(name: str) -> dict[str, Any] | None:
    path = golden_path(name)
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
