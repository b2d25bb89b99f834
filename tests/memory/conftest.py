"""Fixtures for the memory tests: clients on the embedded backend in-process and over ``cortex serve`` (a real
process on 127.0.0.1), a deterministic embedder, unique memory spaces."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from cortex import Cortex, SyncCortex

ROOT = Path(__file__).resolve().parents[2]
_COUNTER = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class WordHashEmbedder:
    """A deterministic bag-of-words embedder (64 dimensions): texts sharing words are close. Counts calls."""

    dimensions = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts.extend(texts)
        out = []
        for text in texts:
            v = [0.0] * self.dimensions
            for word in text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split():
                digest = int(hashlib.sha1(word.encode()).hexdigest(), 16)
                v[digest % self.dimensions] += 1.0
            norm = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / norm for x in v])
        return out


@pytest.fixture
def embedder() -> WordHashEmbedder:
    return WordHashEmbedder()


@pytest.fixture
def space() -> str:
    """A memory space id no other test uses (the served store is shared by the module's tests)."""
    return f"space-{os.getpid()}-{next(_COUNTER)}-{time.time_ns() % 10**6}"


@pytest.fixture(scope="session")
def served() -> Iterator[tuple[str, str]]:
    """``cortex serve`` as a real process on a temp database: ``(url, admin key)``."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cortex-memory-tests-"))
    port = free_port()
    key = "test-admin-key"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cortex.cli",
            "serve",
            "--db",
            str(folder / "served.db"),
            "--port",
            str(port),
            "--admin-key",
            key,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(f"{url}/version", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise RuntimeError(
                        proc.stderr.read() if proc.stderr else "serve exited"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("cortex serve did not start") from None
                time.sleep(0.2)
        yield url, key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(params=["inprocess", "http"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Cortex]:
    """An async client on the embedded backend: in-process (``:memory:``) or over ``cortex serve``."""
    if request.param == "inprocess":
        c = Cortex(local_path=":memory:")
    else:
        url, key = request.getfixturevalue("served")
        c = Cortex(convex_url=url, admin_key=key)
    try:
        yield c
    finally:
        await c.memory.wait_background()
        await c.close()


@pytest.fixture(params=["inprocess", "http"])
def sync_client(request: pytest.FixtureRequest) -> Iterator[SyncCortex]:
    """The blocking client, on the same two backends."""
    if request.param == "inprocess":
        c = SyncCortex(local_path=":memory:")
    else:
        url, key = request.getfixturevalue("served")
        c = SyncCortex(convex_url=url, admin_key=key)
    with c:
        yield c
