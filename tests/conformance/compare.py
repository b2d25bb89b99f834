"""Compare a backend's normalised outcomes with a golden file, modulo documented differences.

``differences.json`` lists, per function, what may differ and why::

    {"path": "memories:search", "ignore": ["value.*._score"], "unordered": ["value"],
     "scenario": "memories_queries", "steps": [3, 4], "when_message": "regex", "applies_to": ["embedded"],
     "reason": "..."}

``ignore`` selectors (dotted, ``*`` = any key or index) are removed from both sides; ``unordered`` selectors name
lists compared as multisets. ``scenario``/``steps``/``when_message`` (a regex the golden's error message must match)
narrow an entry; ``applies_to`` is ``embedded`` (default) and/or ``upstream`` (live re-check of the goldens).
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIFFERENCES_FILE = Path(__file__).parent / "differences.json"
REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass(frozen=True)
class Difference:
    path: str
    reason: str
    ignore: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()
    scenario: str | None = None
    steps: tuple[int, ...] = ()
    when_message: str | None = None
    applies_to: tuple[str, ...] = ("embedded",)

    def applies(self, backend: str, scenario: str, step: int, golden: dict[str, Any]) -> bool:
        if backend not in self.applies_to or self.path not in ("*", golden.get("path")):
            return False
        if self.scenario is not None and self.scenario != scenario:
            return False
        if self.steps and step not in self.steps:
            return False
        return self.when_message is None or bool(
            re.search(self.when_message, str(golden.get("message", "")))
        )


def load_differences(path: Path = DIFFERENCES_FILE) -> list[Difference]:
    data = json.loads(path.read_text())
    out = []
    for d in data["differences"]:
        if not d.get("reason"):
            raise ValueError(f"difference without a reason: {d}")
        out.append(
            Difference(
                path=d["path"],
                reason=d["reason"],
                ignore=tuple(d.get("ignore", ())),
                unordered=tuple(d.get("unordered", ())),
                scenario=d.get("scenario"),
                steps=tuple(d.get("steps", ())),
                when_message=d.get("when_message"),
                applies_to=tuple(d.get("applies_to", ("embedded",))),
            )
        )
    return out


def _select(node: Any, parts: list[str], action: str) -> None:
    """Apply ``action`` ("drop" or "sort") to the nodes a selector names inside ``node`` (in place)."""
    if not parts or not isinstance(node, (dict, list)):
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else [head] if head in node else []
    else:
        keys = (
            list(range(len(node)))
            if head == "*"
            else [int(head)]
            if head.isdigit() and int(head) < len(node)
            else []
        )
    for k in reversed(keys):
        if rest:
            _select(node[k], rest, action)  # type: ignore[index]
        elif action == "drop":
            del node[k]  # type: ignore[arg-type]
        elif action == "sort" and isinstance(node[k], list):  # type: ignore[index]
            node[k].sort(key=lambda x: json.dumps(x, sort_keys=True))  # type: ignore[index]


def apply(outcome: dict[str, Any], diffs: list[Difference]) -> dict[str, Any]:
    out = copy.deepcopy(outcome)
    for d in diffs:
        for sel in d.ignore:
            _select(out, sel.split("."), "drop")
        for sel in d.unordered:
            _select(out, sel.split("."), "sort")
    return out


def equal(a: Any, b: Any) -> bool:
    """Deep equality; numbers compared as floats with a small relative tolerance."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@dataclass
class Mismatch:
    step: int
    path: str
    expected: Any
    actual: Any

    def describe(self) -> str:
        exp = json.dumps(self.expected, sort_keys=True)[:600]
        act = json.dumps(self.actual, sort_keys=True)[:600]
        return f"step {self.step} {self.path}:\n    upstream: {exp}\n    got:      {act}"


def compare(
    scenario: str,
    golden: list[dict[str, Any]],
    actual: list[dict[str, Any]],
    diffs: list[Difference],
    backend: str = "embedded",
) -> list[Mismatch]:
    """Mismatching steps (empty when the outcomes agree modulo ``diffs``)."""
    out = []
    for i in range(max(len(golden), len(actual))):
        if i >= len(golden) or i >= len(actual):
            g = golden[i] if i < len(golden) else None
            a = actual[i] if i < len(actual) else None
            out.append(Mismatch(i, (g or a or {}).get("path", "?"), g, a))
            continue
        active = [d for d in diffs if d.applies(backend, scenario, i, golden[i])]
        g, a = apply(golden[i], active), apply(actual[i], active)
        if not equal(g, a):
            out.append(Mismatch(i, golden[i].get("path", "?"), g, a))
    return out
