"""Rendering, formatting and writing of generated files; byte-for-byte comparison for ``--check``."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    """The jinja2 environment used for every template (``pyrepr`` renders a Python literal)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


def render(env: jinja2.Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


def _ruff() -> list[str]:
    exe = Path(sys.executable).parent / "ruff"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def format_tree(root: Path) -> None:
    """Sort imports, drop unused ones, then format every ``.py`` file under ``root`` with ruff (isolated from
    any project configuration, so the result does not depend on where it is written)."""
    subprocess.run(
        [
            *_ruff(),
            "check",
            "--isolated",
            "--no-cache",
            "--quiet",
            "--fix",
            "--exit-zero",
            "--select",
            "I,F401",
            "--line-length",
            "100",
            "--target-version",
            "py310",
            str(root),
        ],
        check=True,
    )
    subprocess.run(
        [
            *_ruff(),
            "format",
            "--isolated",
            "--no-cache",
            "--quiet",
            "--line-length",
            "100",
            "--target-version",
            "py310",
            str(root),
        ],
        check=True,
    )


def write_tree(files: dict[str, str], root: Path) -> None:
    """Write ``files`` (relative path -> text) under ``root`` and format them."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    format_tree(root)


def _listing(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def sync_tree(files: dict[str, str], out: Path) -> list[str]:
    """Generate into a temp dir, then make ``out`` identical to it. Returns the changed relative paths."""
    with tempfile.TemporaryDirectory(prefix="cortex-gen-") as tmp:
        staged = Path(tmp)
        write_tree(files, staged)
        new = _listing(staged)
    old = _listing(out)
    changed = []
    for rel in sorted(set(old) - set(new)):
        (out / rel).unlink()
        changed.append(rel)
    for rel, data in new.items():
        if old.get(rel) != data:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            changed.append(rel)
    for d in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        if d.name != "__pycache__" and not any(d.iterdir()):
            d.rmdir()
    return changed


def check_tree(files: dict[str, str], out: Path, *, max_diff_lines: int = 40) -> list[str]:
    """Compare a fresh generation with ``out``; print a unified diff summary. Returns differing paths."""
    with tempfile.TemporaryDirectory(prefix="cortex-gen-") as tmp:
        staged = Path(tmp)
        write_tree(files, staged)
        new = _listing(staged)
    old = _listing(out)
    differing = sorted(rel for rel in set(old) | set(new) if old.get(rel) != new.get(rel))
    for rel in differing:
        if rel not in old:
            print(f"missing: {rel}")
            continue
        if rel not in new:
            print(f"stale (not generated any more): {rel}")
            continue
        diff = list(
            difflib.unified_diff(
                old[rel].decode("utf-8", "replace").splitlines(),
                new[rel].decode("utf-8", "replace").splitlines(),
                fromfile=f"{rel} (on disk)",
                tofile=f"{rel} (generated)",
                lineterm="",
            )
        )
        added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
        print(f"differs: {rel} (+{added} -{removed})")
        for line in diff[:max_diff_lines]:
            print("    " + line)
        if len(diff) > max_diff_lines:
            print(f"    ... {len(diff) - max_diff_lines} more diff lines")
    return differing
