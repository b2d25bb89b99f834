"""Scenario files: scripted sequences of Convex function calls (``scenarios/<module>_<name>.json``).

A scenario is ``{"description": str, "steps": [step, ...]}``; a step is
``{"kind": "query"|"mutation"|"action", "path": "mod:fn", "args": {...}, "save": {"var": "value.a.0.b"}, "note": str}``
(``"wrong_kind": true`` marks a step that deliberately calls a function through the wrong endpoint).
``"${var}"`` as a whole string is replaced by the saved value (any type); inside a longer string it is interpolated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SCENARIOS_DIR = HERE / "scenarios"
GOLDEN_DIR = HERE / "golden"
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UnresolvedVariable(KeyError):
    """A step refers to a value that an earlier step did not produce."""


@dataclass
class Step:
    kind: str
    path: str
    args: dict[str, Any]
    save: dict[str, str] = field(default_factory=dict)
    note: str = ""
    wrong_kind: bool = False


@dataclass
class Scenario:
    name: str
    description: str
    steps: list[Step]

    @property
    def functions(self) -> list[str]:
        return sorted({s.path for s in self.steps})


def load(path: Path) -> Scenario:
    data = json.loads(path.read_text())
    steps = [
        Step(
            kind=s["kind"],
            path=s["path"],
            args=s.get("args", {}),
            save=s.get("save", {}),
            note=s.get("note", ""),
            wrong_kind=s.get("wrong_kind", False),
        )
        for s in data["steps"]
    ]
    return Scenario(name=path.stem, description=data.get("description", ""), steps=steps)


def load_all(names: list[str] | None = None) -> list[Scenario]:
    files = sorted(SCENARIOS_DIR.glob("*.json"))
    out = [load(f) for f in files]
    if names:
        out = [s for s in out if s.name in names]
    return out


def substitute(value: Any, env: dict[str, Any]) -> Any:
    """Replace ``${var}`` references in ``value`` by saved values."""
    if isinstance(value, str):
        m = VAR.fullmatch(value)
        if m:
            if m.group(1) not in env:
                raise UnresolvedVariable(m.group(1))
            return env[m.group(1)]

        def one(mm: re.Match[str]) -> str:
            if mm.group(1) not in env:
                raise UnresolvedVariable(mm.group(1))
            return str(env[mm.group(1)])

        return VAR.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    return value


def extract(outcome: dict[str, Any], dotted: str) -> Any:
    """Follow a dotted path (``value.items.0._id``) into a raw outcome; KeyError when absent."""
    cur: Any = outcome
    for part in dotted.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            cur = cur[part]
        else:
            raise KeyError(dotted)
    return cur
