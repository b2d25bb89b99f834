"""A contract without the ``syncToGraph`` option (upstream's dev branch, v0.29) still fires the graph hook.

Needs a checkout of that branch in ``CORTEX_UPSTREAM_DEV``; skipped without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.upstream
@pytest.mark.skipif(not os.environ.get("CORTEX_UPSTREAM_DEV"), reason="CORTEX_UPSTREAM_DEV not set")
def test_hook_fires_without_sync_to_graph_option(tmp_path: Path) -> None:
    schema, out = tmp_path / "schema", tmp_path / "gen"
    exporter = ROOT / "codegen/exporter/src/cli.mjs"
    subprocess.run(
        ["node", str(exporter), "--sdk", os.environ["CORTEX_UPSTREAM_DEV"], "--out", str(schema)],
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "codegen.generator", "--schema", str(schema), "--out", str(out)],
        check=True,
        cwd=ROOT,
    )
    vector = (out / "namespaces/vector.py").read_text()
    assert "syncToGraph" not in vector
    assert (
        'if True and self._ctx.graph is not None:\n            await self._ctx.graph.after_call("vector.store"'
        in vector
    )
    hooked = sum(
        p.read_text().count("self._ctx.graph.after_call(")
        for p in (out / "namespaces").glob("*.py")
    )
    assert hooked >= 10
