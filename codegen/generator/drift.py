"""API drift between two schema directories: ``python -m codegen.generator.drift OLD_SCHEMA NEW_SCHEMA``.

Compares the API surfaces (codegen.generator.surface) and prints added, removed and changed namespace methods,
Convex functions and models, then a one-line summary. Exit status 0 (drift is a report, not an error).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from codegen.generator.surface import surface_of

_METHOD = re.compile(r"^method (\S+?)\(")
_FUNCTION = re.compile(r"^function (\S+) ")


@dataclass
class SectionDrift:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # key, old, new


def _keyed_lines(text: str, pattern: re.Pattern[str]) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            out[m.group(1)] = line
    return out


def _model_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith(("model ", "type ")):
            current = line.split()[1]
            blocks[current] = [line]
        elif current is not None:
            blocks[current].append(line)
    return {k: "\n".join(v) for k, v in blocks.items()}


def _compare(old: dict[str, str], new: dict[str, str]) -> SectionDrift:
    d = SectionDrift()
    d.added = sorted(set(new) - set(old))
    d.removed = sorted(set(old) - set(new))
    d.changed = [(k, old[k], new[k]) for k in sorted(set(old) & set(new)) if old[k] != new[k]]
    return d


def drift(old_root: Path, new_root: Path) -> dict[str, SectionDrift]:
    """Per section (``methods``, ``functions``, ``models``): what was added, removed or changed."""
    old, new = surface_of(old_root), surface_of(new_root)
    return {
        "methods": _compare(
            _keyed_lines(old["methods"], _METHOD), _keyed_lines(new["methods"], _METHOD)
        ),
        "functions": _compare(
            _keyed_lines(old["functions"], _FUNCTION), _keyed_lines(new["functions"], _FUNCTION)
        ),
        "models": _compare(_model_blocks(old["models"]), _model_blocks(new["models"])),
    }


def _method_sig(line: str) -> str:
    return line.split("  [", 1)[0].removeprefix("method ")


def signature_changes(d: SectionDrift) -> list[str]:
    """Methods whose Python signature changed (not only their call mapping or class)."""
    return [k for k, old, new in d.changed if _method_sig(old) != _method_sig(new)]


def report(result: dict[str, SectionDrift], *, verbose: bool = True) -> str:
    lines = []
    for section, d in result.items():
        head = f"## {section}: +{len(d.added)} added, -{len(d.removed)} removed, ~{len(d.changed)} changed"
        if section == "methods":
            sig = len(signature_changes(d))
            head += f" ({sig} signatures, {len(d.changed) - sig} mapping/class only)"
        lines.append(head)
        if not verbose:
            continue
        lines += [f"+ {k}" for k in d.added]
        lines += [f"- {k}" for k in d.removed]
        for key, old, new in d.changed:
            if section == "models":
                lines.append(f"~ {key}")
                old_set, new_set = set(old.splitlines()[1:]), set(new.splitlines()[1:])
                lines += [f"    - {x.strip()}" for x in sorted(old_set - new_set)]
                lines += [f"    + {x.strip()}" for x in sorted(new_set - old_set)]
            elif section == "methods":
                lines.append(f"~ {key}\n    - {_method_sig(old)}\n    + {_method_sig(new)}")
            else:
                lines.append(f"~ {key}\n    - {old}\n    + {new}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.generator.drift", description=__doc__)
    parser.add_argument("old", type=Path, help="older schema directory")
    parser.add_argument("new", type=Path, help="newer schema directory")
    parser.add_argument("--summary", action="store_true", help="counts only")
    ns = parser.parse_args(argv)
    print(report(drift(ns.old, ns.new), verbose=not ns.summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
