"""Embedded backend servers for conformance runs: ``cortex serve --db <tmp> --port <free> --no-auth`` on loopback.

Every scenario starts from an empty backend, so each one gets a fresh server on a fresh database. The pool starts the
next server while the current scenario runs, which hides most of the start-up time.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .harness import free_port


def cortex_executable() -> str | None:
    """The ``cortex`` command next to this interpreter (the project's .venv), else on PATH."""
    local = Path(sys.executable).with_name("cortex")
    if local.is_file():
        return str(local)
    return shutil.which("cortex")


def unavailable_reason() -> str | None:
    """Why the embedded backend cannot be served here, or ``None`` when it can."""
    if importlib.util.find_spec("cortex") is None:
        return "the cortex package is not importable"
    try:
        if importlib.util.find_spec("cortex.embedded") is None:
            return "cortex.embedded is not available yet"
    except ImportError as exc:
        return f"cortex.embedded cannot be imported: {exc}"
    if cortex_executable() is None:
        return "the `cortex` command is not installed"
    if not serve_supports("--no-auth"):
        return "`cortex serve --no-auth` is not available yet"
    return None


@functools.cache
def serve_supports(option: str) -> bool:
    """True when ``cortex serve --help`` lists ``option``."""
    exe = cortex_executable()
    if exe is None:
        return False
    probe = subprocess.run(
        [exe, "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    return probe.returncode == 0 and option in probe.stdout


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    db_dir: Path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cortex serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/version", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("cortex serve did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.db_dir, ignore_errors=True)


def start_server() -> Server:
    exe = cortex_executable()
    if exe is None:
        raise RuntimeError("the `cortex` command is not installed")
    db_dir = Path(tempfile.mkdtemp(prefix="cortex-conformance-"))
    port = free_port()
    cmd = [exe, "serve", "--db", str(db_dir / "cortex.db"), "--port", str(port), "--no-auth"]
    if serve_supports("--allow-purge"):
        # The goldens record upstream on a local deployment, where purgeAll is allowed.
        cmd.append("--allow-purge")
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(proc, f"http://127.0.0.1:{port}", db_dir)


class ServerPool:
    """Hands out fresh, ready servers; keeps one spare starting in the background."""

    def __init__(self) -> None:
        self._spare: Server | None = None
        self._live: list[Server] = []

    def fresh(self) -> Server:
        server = self._spare or start_server()
        self._spare = start_server()
        server.wait_ready()
        self._live.append(server)
        return server

    def release(self, server: Server) -> None:
        server.stop()
        if server in self._live:
            self._live.remove(server)

    def close(self) -> None:
        for s in [*self._live, *([self._spare] if self._spare else [])]:
            s.stop()
        self._live.clear()
        self._spare = None
