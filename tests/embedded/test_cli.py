"""``cortex serve`` as a real process: key generation, authenticated calls, refusal of --no-auth off loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from cortex._generated.args.mutable import MutableGetArgs, MutableSetArgs
from cortex.cli import app
from cortex.embedded.registry import path_of

from .serving import free_port


def test_no_auth_is_refused_on_a_public_interface(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["serve", "--db", str(tmp_path / "x.db"), "--host", "0.0.0.0", "--no-auth"]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x.db").exists()


def test_serve_process_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex.cli", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/version", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        key = (tmp_path / "served.db.admin_key").read_text().strip()
        body = {
            "path": path_of(MutableSetArgs),
            "args": {"namespace": "n", "key": "k", "value": 3},
            "format": "json",
        }
        assert httpx.post(f"{url}/api/mutation", json=body).status_code == 401
        ok = httpx.post(
            f"{url}/api/mutation", json=body, headers={"Authorization": f"Convex {key}"}
        )
        assert ok.json()["status"] == "success"
        got = httpx.post(
            f"{url}/api/query",
            json={"path": path_of(MutableGetArgs), "args": {"namespace": "n", "key": "k"}},
            headers={"Authorization": f"Convex {key}"},
        )
        assert got.json()["value"]["value"] == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "admin key (stored in" in out
