"""Conformance of the embedded backend with upstream's real backend code.

Each scenario (``scenarios/*.json``) is played against a fresh ``cortex serve`` and its normalised outcomes are compared
with the golden file recorded from upstream (``golden/*.json``), modulo ``differences.json``. Scenarios that call a
function the embedded backend has no handler for yet are skipped and named. With ``CORTEX_UPSTREAM`` (a Project-Cortex
checkout) set, the goldens are also re-checked live against upstream through the convex-harness.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import harness
from .compare import compare, load_differences
from .embedded_server import ServerPool, unavailable_reason
from .golden import read_golden
from .report import REPORT
from .runner import missing_functions, play
from .scenario import VAR, Scenario, load_all

FUNCTIONS_FILE = Path(__file__).resolve().parents[2] / "schema" / "convex" / "functions.json"
SCENARIOS = load_all()
BY_NAME = {s.name: s for s in SCENARIOS}
NAMES = sorted(BY_NAME)
DIFFS = load_differences()
USED = {st.path for s in SCENARIOS for st in s.steps}
ALL_FUNCTIONS = {
    f["identifier"].replace(".js:", ":"): f["functionType"].lower()
    for f in json.loads(FUNCTIONS_FILE.read_text())
}
REPORT.all_functions = set(ALL_FUNCTIONS)
REPORT.scenario_functions = USED


def _fail_message(mismatches: list[object], limit: int = 8) -> str:
    shown = "\n".join(m.describe() for m in mismatches[:limit])  # type: ignore[attr-defined]
    more = f"\n... and {len(mismatches) - limit} more steps" if len(mismatches) > limit else ""
    return f"{len(mismatches)} step(s) differ from upstream:\n{shown}{more}"


# ---------------------------------------------------------------- scenario and golden consistency (no backend needed)
def test_every_function_is_covered() -> None:
    uncovered = sorted(set(ALL_FUNCTIONS) - USED)
    assert not uncovered, f"functions without a scenario step: {uncovered}"


def test_step_kinds_match_function_types() -> None:
    wrong = [
        f"{s.name}[{i}] {st.path} as {st.kind}"
        for s in SCENARIOS
        for i, st in enumerate(s.steps)
        if st.path in ALL_FUNCTIONS and ALL_FUNCTIONS[st.path] != st.kind and not st.wrong_kind
    ]
    assert not wrong, f"steps call functions with the wrong kind: {wrong}"


@pytest.mark.parametrize("name", NAMES)
def test_golden_matches_scenario(name: str) -> None:
    sc = BY_NAME[name]
    golden = read_golden(name)
    assert golden is not None, f"no golden for {name}: run python -m tests.conformance.record"
    assert [o["path"] for o in golden["steps"]] == [s.path for s in sc.steps], (
        "golden is stale: re-record"
    )
    saved: set[str] = set()
    for i, step in enumerate(sc.steps):
        used = set(VAR.findall(json.dumps(step.args)))
        assert used <= saved, f"step {i} uses {used - saved} before it is saved"
        saved |= set(step.save)
    skipped = [i for i, o in enumerate(golden["steps"]) if o["status"] == "skipped"]
    assert not skipped, f"upstream could not run steps {skipped} (a saved value was missing)"


# ---------------------------------------------------------------- embedded backend vs goldens
@pytest.fixture(scope="session")
def embedded_pool() -> Iterator[ServerPool]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"embedded backend unavailable: {reason}")
    pool = ServerPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def embedded_missing(embedded_pool: ServerPool) -> set[str]:
    server = embedded_pool.fresh()
    try:
        real = {p: ALL_FUNCTIONS[p] for p in USED if p in ALL_FUNCTIONS}
        return set(missing_functions(server.base_url, real, real))
    finally:
        embedded_pool.release(server)


@pytest.mark.parametrize("name", NAMES)
def test_embedded_matches_upstream(
    name: str, embedded_pool: ServerPool, embedded_missing: set[str]
) -> None:
    sc: Scenario = BY_NAME[name]
    golden = read_golden(name)
    assert golden is not None, f"no golden for {name}"
    missing = [f for f in sc.functions if f in embedded_missing]
    if missing:
        REPORT.skipped[name] = missing
        pytest.skip(f"no embedded handler yet for: {', '.join(missing)}")
    server = embedded_pool.fresh()
    try:
        outcomes = play(sc, server.base_url)
    finally:
        embedded_pool.release(server)
    mismatches = compare(name, golden["steps"], outcomes, DIFFS, backend="embedded")
    (REPORT.differing if mismatches else REPORT.matched)[name] = sc.functions
    assert not mismatches, _fail_message(mismatches)  # type: ignore[arg-type]


# ---------------------------------------------------------------- live mode: goldens are still what upstream produces
@pytest.fixture(scope="session")
def upstream_harness() -> Iterator[harness.Harness]:
    root = os.environ.get("CORTEX_UPSTREAM")
    if not root:
        pytest.skip("CORTEX_UPSTREAM (a Project-Cortex checkout) is not set")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed")
    running = harness.start(Path(root))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.upstream
@pytest.mark.parametrize("name", NAMES)
def test_golden_is_current_upstream(name: str, upstream_harness: harness.Harness) -> None:
    golden = read_golden(name)
    assert golden is not None
    outcomes = play(BY_NAME[name], upstream_harness.base_url, reset_url=upstream_harness.reset_url)
    mismatches = compare(name, golden["steps"], outcomes, DIFFS, backend="upstream")
    assert not mismatches, _fail_message(mismatches)  # type: ignore[arg-type]
