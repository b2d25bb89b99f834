"""Start and stop the convex-harness (upstream's unmodified Convex functions in Node, served on loopback).

The harness is a test tool kept outside the project (``/work/shared/tools/convex-harness``); it is copied to a scratch
directory and its npm dependencies installed there on first use.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HARNESS_SOURCE = Path(os.environ.get("CONVEX_HARNESS_SOURCE", "/work/shared/tools/convex-harness"))
HARNESS_DIR = Path(os.environ.get("CONVEX_HARNESS_DIR", "/tmp/convex-harness"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_installed(harness_dir: Path = HARNESS_DIR) -> Path:
    """Copy the harness to ``harness_dir`` and ``npm ci`` there if it is not installed yet."""
    if not (harness_dir / "node_modules" / "convex-test").is_dir():
        if not (HARNESS_SOURCE / "server.mjs").is_file():
            raise FileNotFoundError(
                f"convex-harness not found at {HARNESS_SOURCE} (set CONVEX_HARNESS_SOURCE)"
            )
        harness_dir.mkdir(parents=True, exist_ok=True)
        for name in ("server.mjs", "package.json", "package-lock.json", "README.md"):
            shutil.copy2(HARNESS_SOURCE / name, harness_dir / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=harness_dir,
            check=True,
        )
    return harness_dir


@dataclass
class Harness:
    """A running harness process; ``base_url`` is its Convex HTTP API."""

    process: subprocess.Popen[bytes]
    base_url: str

    @property
    def reset_url(self) -> str:
        return f"{self.base_url}/_harness/reset"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(upstream: Path, harness_dir: Path = HARNESS_DIR, timeout: float = 60.0) -> Harness:
    """Start the harness on a free loopback port for ``upstream``'s ``convex-dev`` directory."""
    functions = upstream / "convex-dev" if (upstream / "convex-dev").is_dir() else upstream
    ensure_installed(harness_dir)
    port = free_port()
    proc = subprocess.Popen(
        ["node", "server.mjs", str(functions), str(port)],
        cwd=harness_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"convex-harness exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/version", timeout=1.0).status_code == 200:
                return Harness(proc, base)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise TimeoutError("convex-harness did not start")
