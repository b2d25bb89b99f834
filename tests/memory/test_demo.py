"""``cortex demo`` end to end (offline), through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from cortex.demo import demo_extractor, run

ROOT = Path(__file__).resolve().parents[2]


def test_demo_extractor_is_rule_based() -> None:
    facts = demo_extractor("I moved to Berlin for work. My favourite colour is green.", "ignored")
    assert [(f["predicate"], f["object"]) for f in facts] == [
        ("lives in", "Berlin"),
        ("favorite color", "green"),
    ]


def test_demo_run(tmp_path: Path) -> None:
    report = run(Console(file=open(os.devnull, "w"), width=100), db_dir=tmp_path)  # noqa: SIM115
    assert report["revision"]["action"] == "SUPERSEDE"
    assert "Lisbon" in report["revision"]["superseded"]
    assert "Alex lives in Berlin" in report["current_facts"]
    assert not any("Lisbon" in f for f in report["current_facts"])
    assert "Berlin" in report["city_now"]
    assert "peanuts" in " ".join(
        report["recall"]["Any food restrictions I should know about when suggesting dinner?"]
    )
    assert len(report["remember_ms"]) == 5


def test_cortex_demo_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cortex.cli", "demo", "--db-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    assert "SUPERSEDE" in done.stdout and "Timings" in done.stdout
    assert (tmp_path / "demo.db").exists()
