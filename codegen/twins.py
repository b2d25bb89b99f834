"""Write the blocking twin of every hand-written async module: ``cortex/_async/**.py`` → ``cortex/_sync/**.py``.

Usage: ``python -m codegen.twins`` (write) or ``python -m codegen.twins --check`` (exit 1 on any difference).
The rules (token table, dotted replacements, line markers) are documented in ``docs/twins.md``.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tokenize_rt  # type: ignore[import-untyped]
import unasync  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SRC = Path("cortex/_async")
DST = Path("cortex/_sync")
HEADER = "# generated from {source} by codegen/twins.py; do not edit\n"
HEADER_PREFIX = "# generated from "

TOKEN_REPLACEMENTS: dict[str, str] = {
    # names that unasync's "Async* → Sync*" default would get wrong
    "AsyncClient": "Client",
    "AsyncHTTPTransport": "HTTPTransport",
    "AsyncBaseTransport": "BaseTransport",
    # httpx / stream methods
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "aiter_lines": "iter_lines",
    "aiter_raw": "iter_raw",
    "aiter_text": "iter_text",
    "aiter": "iter",
    "anext": "next",
    # project names
    "_async": "_sync",
    "build_async": "build_sync",
    "ASYNC_NAMESPACES": "SYNC_NAMESPACES",
}
"""NAME-token replacements on top of unasync's defaults (``__aenter__`` → ``__enter__``, ``AsyncIterator`` →
``Iterator``, ... and any ``AsyncFoo`` → ``SyncFoo``). Async/await keywords are dropped by unasync itself."""

DOTTED_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\basyncio\.Lock\b", "threading.Lock"),
    (r"\basyncio\.Event\b", "threading.Event"),
    (r"\basyncio\.Semaphore\b", "threading.Semaphore"),
    (r"\bcortex\._generated\.namespaces\b", "cortex._generated.namespaces_sync"),
    (r"\bcortex\._generated\.calls\b", "cortex._generated.calls_sync"),
)
"""Regex replacements applied to the whole text after the token pass (dotted names are several tokens)."""

_LINE_MARKER = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*#\s*sync:\s?(?P<sync>.*?)\s*$")
_BEGIN = re.compile(r"^\s*#\s*twin:\s*begin async\s*$")
_ELSE = re.compile(r"^\s*#\s*twin:\s*else\s*$")
_END = re.compile(r"^\s*#\s*twin:\s*end\s*$")
_COMMENTED = re.compile(r"^(?P<indent>\s*)#\s?(?P<code>.*)$")


class TwinError(Exception):
    """A source file's markers are malformed."""


@dataclass(frozen=True)
class Twin:
    """One generated file: where it goes and what it contains."""

    source: Path
    target: Path
    text: str


def apply_markers(text: str, source: str) -> str:
    """Resolve ``# sync: CODE`` line markers and ``# twin: begin async / else / end`` blocks for the sync side."""
    out: list[str] = []
    state = "code"
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        bare = line.rstrip("\n")
        if _BEGIN.match(bare):
            if state != "code":
                raise TwinError(f"{source}:{number}: nested '# twin: begin async'")
            state = "async"
            continue
        if _ELSE.match(bare):
            if state != "async":
                raise TwinError(f"{source}:{number}: '# twin: else' outside a block")
            state = "sync"
            continue
        if _END.match(bare):
            if state == "code":
                raise TwinError(f"{source}:{number}: '# twin: end' outside a block")
            state = "code"
            continue
        if state == "async":
            continue
        if state == "sync":
            match = _COMMENTED.match(bare)
            if bare.strip() and not match:
                raise TwinError(f"{source}:{number}: lines after '# twin: else' must be comments")
            out.append(f"{match.group('indent')}{match.group('code')}\n" if match else "\n")
            continue
        marker = _LINE_MARKER.match(bare)
        if marker and "#" in bare:
            replacement = marker.group("sync")
            if replacement != "-":
                out.append(f"{marker.group('indent')}{replacement}\n")
            continue
        out.append(line)
    if state != "code":
        raise TwinError(f"{source}: unterminated '# twin: begin async' block")
    return "".join(out)


def unasync_text(text: str) -> str:
    """Token pass (unasync plus ``TOKEN_REPLACEMENTS``), then ``DOTTED_REPLACEMENTS``."""
    rule = unasync.Rule(str(SRC), str(DST), additional_replacements=TOKEN_REPLACEMENTS)
    tokens: Any = tokenize_rt.src_to_tokens(text)
    result: str = tokenize_rt.tokens_to_src(list(rule._unasync_tokens(tokens)))
    for pattern, replacement in DOTTED_REPLACEMENTS:
        result = re.sub(pattern, replacement, result)
    return result


def _ruff() -> str:
    candidate = Path(sys.executable).parent / "ruff"
    found = str(candidate) if candidate.exists() else shutil.which("ruff")
    if not found:
        raise TwinError("ruff is needed to format the twins (pip install ruff)")
    return found


def ruff_clean(text: str, filename: Path, root: Path) -> str:
    """Sort imports, drop imports the sync side no longer uses, and format, with the project's ruff settings."""
    ruff = _ruff()
    steps = (
        [
            ruff,
            "check",
            "--fix",
            "--quiet",
            "--exit-zero",
            "--select",
            "I,F401",
            "--stdin-filename",
        ],
        [ruff, "format", "--quiet", "--stdin-filename"],
    )
    for step in steps:
        done = subprocess.run(
            [*step, str(filename)],
            input=text,
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
        )
        if done.returncode != 0:
            raise TwinError(f"ruff failed on the twin of {filename}: {done.stderr.strip()}")
        text = done.stdout
    return text


def lint_findings(text: str, filename: Path, root: Path) -> str:
    """The project's full ``ruff check`` on a twin; empty when clean.

    Some rules judge a construct differently once ``await`` is gone (SIM105: ``try``/``except``/``pass`` →
    ``contextlib.suppress``); such findings must be fixed in the async source.
    """
    done = subprocess.run(
        [
            _ruff(),
            "check",
            "--quiet",
            "--output-format",
            "concise",
            "--stdin-filename",
            str(filename),
        ],
        input=text,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    return done.stdout.strip() if done.returncode != 0 else ""


def make_twin(source: Path, root: Path = ROOT, src: Path = SRC, dst: Path = DST) -> Twin:
    """Build the sync twin of one async module (``source`` relative to ``root``)."""
    relative = source.relative_to(src)
    target = dst / relative
    text = (root / source).read_text(encoding="utf-8")
    text = unasync_text(apply_markers(text, str(source)))
    text = HEADER.format(source=source.as_posix()) + text
    return Twin(source, target, ruff_clean(text, target, root))


def sources(root: Path = ROOT, src: Path = SRC) -> list[Path]:
    """Every ``.py`` file under the async tree, relative to ``root``, sorted."""
    return sorted(path.relative_to(root) for path in (root / src).rglob("*.py"))


def stale_targets(twins: Iterable[Twin], root: Path = ROOT, dst: Path = DST) -> list[Path]:
    """Generated files under the sync tree whose async source is gone."""
    wanted = {twin.target for twin in twins}
    stale = []
    for path in sorted((root / dst).rglob("*.py")):
        relative = path.relative_to(root)
        if relative in wanted:
            continue
        with path.open(encoding="utf-8") as handle:
            if handle.readline().startswith(HEADER_PREFIX):
                stale.append(relative)
    return stale


def run(check: bool, root: Path = ROOT, src: Path = SRC, dst: Path = DST) -> int:
    """Write (or check) every twin; return the process exit code."""
    twins = [make_twin(source, root, src, dst) for source in sources(root, src)]
    stale = stale_targets(twins, root, dst)
    problems = 0
    for twin in twins:
        findings = lint_findings(twin.text, twin.target, root)
        if findings:
            print(
                f"warning: the twin of {twin.source} is not lint-clean; change the async source so that"
                f" both readings pass:\n{findings}",
                file=sys.stderr,
            )
    for twin in twins:
        path = root / twin.target
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == twin.text:
            continue
        if check:
            problems += 1
            if current is None:
                print(f"missing: {twin.target} (twin of {twin.source})")
            else:
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True),
                    twin.text.splitlines(keepends=True),
                    str(twin.target),
                    f"{twin.target} (from {twin.source})",
                )
                sys.stdout.writelines(diff)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(twin.text, encoding="utf-8")
            print(f"wrote {twin.target}")
    for path in stale:
        if check:
            problems += 1
            print(f"stale: {path} (its async source is gone)")
        else:
            (root / path).unlink()
            print(f"removed {path}")
    if check and problems:
        print(f"{problems} twin(s) out of date; run `python -m codegen.twins`", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m codegen.twins", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail on any difference, write nothing"
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="repository root (default: this checkout)"
    )
    options = parser.parse_args(argv)
    try:
        return run(options.check, options.root.resolve())
    except TwinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
