"""Regenerate the ``<module>_validation`` scenarios from ``schema/convex/functions.json``.

Usage: ``python -m tests.conformance.make_validation_scenarios`` (then re-record the goldens). For every function:
only an unknown field; all required fields valid plus an unknown field; the first required field of the wrong type.
Functions whose required arguments include a document id are only called with the unknown field (valid ids need
data; the behaviour scenarios cover them).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .scenario import SCENARIOS_DIR

FUNCTIONS_FILE = Path(__file__).resolve().parents[2] / "schema" / "convex" / "functions.json"


class NeedsData(Exception):
    """A validator (a document id) that cannot be satisfied without data."""


def sample(v: dict[str, Any]) -> Any:
    """A small value accepted by the Convex validator ``v``."""
    t = v["type"]
    simple = {"string": "x", "number": 1, "boolean": True, "array": [], "any": None, "record": {}}
    if t in simple:
        return simple[t]
    if t == "literal":
        return v["value"]
    if t == "union":
        return sample(v["value"][0])
    if t == "object":
        return {k: sample(f["fieldType"]) for k, f in v["value"].items() if not f["optional"]}
    raise NeedsData(t)


def steps_for(fn: dict[str, Any]) -> list[dict[str, Any]]:
    path = fn["identifier"].replace(".js:", ":")
    kind = fn["functionType"].lower()
    fields = fn["args"]["value"]
    required = [k for k, f in fields.items() if not f["optional"]]
    out = [
        {
            "kind": kind,
            "path": path,
            "args": {"__extra": 1},
            "note": "only an unknown field: the first required field is reported missing, else the extra field",
        }
    ]
    try:
        full = sample(fn["args"])
    except NeedsData:
        return out
    if not required:
        return out
    out.append(
        {
            "kind": kind,
            "path": path,
            "args": {**full, "__extra": 1},
            "note": "all required fields valid plus an unknown field",
        }
    )
    first = required[0]
    ftype = fields[first]["fieldType"]["type"]
    if ftype != "any":
        wrong = "not-an-array" if ftype == "array" else []
        out.append(
            {
                "kind": kind,
                "path": path,
                "args": {**full, first: wrong},
                "note": f"wrong type for `{first}`",
            }
        )
    return out


def main() -> int:
    by_module: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fn in json.loads(FUNCTIONS_FILE.read_text()):
        by_module[fn["identifier"].split(".js:")[0]].append(fn)
    for module, fns in sorted(by_module.items()):
        steps = [s for fn in fns for s in steps_for(fn)]
        body = ",\n".join("    " + json.dumps(s) for s in steps)
        text = (
            "{\n"
            f'  "description": {json.dumps(f"{module}: argument validation of every function (nothing executes)")},\n'
            f'  "steps": [\n{body}\n  ]\n'
            "}\n"
        )
        (SCENARIOS_DIR / f"{module.lower()}_validation.json").write_text(text)
    print(f"wrote {len(by_module)} validation scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
