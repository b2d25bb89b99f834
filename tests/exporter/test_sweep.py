"""The release sweep (`codegen/exporter/src/sweep.mjs`) over a small git repo built here.

Tags: v0.7.0 (before the sweep's default start), v0.9.0 (the mini-cortex fixture), v0.10.0
(a module that does not parse) and a non-release tag; the report must list v0.9.0 then
v0.10.0 (semver order), export the first and report the second as failed with its error line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "codegen" / "exporter" / "fixtures"
SWEEP = ROOT / "codegen" / "exporter" / "src" / "sweep.mjs"
CLI = ROOT / "codegen" / "exporter" / "src" / "cli.mjs"
NODE = shutil.which("node")
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(NODE is None or GIT is None, reason="needs node and git")

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(repo: Path, *args: str) -> None:
    assert GIT is not None
    subprocess.run([GIT, "-C", str(repo), *args], check=True, env=ENV, capture_output=True)


def rev_parse(repo: Path, rev: str) -> str:
    assert GIT is not None
    out = subprocess.run(
        [GIT, "-C", str(repo), "rev-parse", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def export_manifest(sdk: Path, out: Path) -> dict[str, Any]:
    """The manifest the CLI writes for `sdk` (what the sweep's row must agree with)."""
    assert NODE is not None
    subprocess.run(
        [NODE, str(CLI), "--sdk", str(sdk), "--out", str(out)], check=True, capture_output=True
    )
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text("utf-8"))
    return manifest


def commit_tree(repo: Path, source: Path, tag: str) -> None:
    """Replace the repo's files with `source` and tag the commit."""
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, repo, dirs_exist_ok=True)
    (repo / "README.md").write_text(f"release {tag}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", tag)
    git(repo, "tag", tag)


@pytest.fixture(scope="module")
def tagged_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("cortex-repo")
    git(repo, "init", "-q")
    commit_tree(repo, FIXTURES / "mini-cortex", "v0.7.0")
    commit_tree(repo, FIXTURES / "mini-cortex", "v0.9.0")
    commit_tree(repo, FIXTURES / "broken-parse", "v0.10.0")
    git(repo, "tag", "cli-v1.0.0")
    return repo


def test_sweep_reports_each_release_tag(tagged_repo: Path, tmp_path: Path) -> None:
    assert NODE is not None
    report = tmp_path / "release-sweep.md"
    proc = subprocess.run(
        [NODE, str(SWEEP), "--repo", str(tagged_repo), "--out", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # one tag failed
    text = report.read_text("utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| v")]
    assert [row.split(" | ")[0] for row in rows] == ["| v0.9.0", "| v0.10.0"]

    manifest = export_manifest(FIXTURES / "mini-cortex", tmp_path / "schema")
    counts = manifest["counts"]
    fn = counts["functions"]
    methods = counts["methods"]
    cells = [c.strip() for c in rows[0].strip().strip("|").split("|")]
    assert cells[1] == rev_parse(tagged_repo, "v0.9.0")[:7]
    assert (
        cells[2]
        == f"{fn['query'] + fn['mutation'] + fn['action']} ({fn['query']}/{fn['mutation']}/{fn['action']})"
    )
    assert cells[3] == str(counts["tables"])
    assert cells[4] == f"{counts['indexes']}/{counts['searchIndexes']}/{counts['vectorIndexes']}"
    assert cells[5] == str(counts["types"])
    assert cells[6] == "/".join(
        str(methods[k]) for k in ("thin", "thin+graph", "orchestration", "local")
    )
    assert cells[-1] == "ok"

    assert rows[1].rstrip().endswith("**failed** |")
    failures = text.split("## Failures", 1)[1].strip().splitlines()
    assert len(failures) == 1
    assert failures[0].startswith("- v0.10.0: `cortex-export: error: convex-dev/broken.ts: ")


def test_sweep_range_flags(tagged_repo: Path, tmp_path: Path) -> None:
    assert NODE is not None
    report = tmp_path / "sweep.md"
    proc = subprocess.run(
        [
            NODE,
            str(SWEEP),
            "--repo",
            str(tagged_repo),
            "--out",
            str(report),
            "--from",
            "v0.7.0",
            "--to",
            "v0.9.0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [
        line.split(" | ")[0]
        for line in report.read_text("utf-8").splitlines()
        if line.startswith("| v")
    ]
    assert rows == ["| v0.7.0", "| v0.9.0"]
