"""The same clients against upstream Cortex's real backend code, served by the convex-harness (Node, loopback).

Needs ``CORTEX_UPSTREAM`` (a Project-Cortex checkout with ``convex-dev/``), Node with npm, and the harness at
``../shared/tools/convex-harness`` (or ``CORTEX_HARNESS``). Skipped cleanly when any of them is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortex import (
    BackendValidationError,
    BackendVersionMismatchError,
    Cortex,
    CortexConfig,
    FunctionError,
    SyncCortex,
)

pytestmark = pytest.mark.upstream

HARNESS_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "tools" / "convex-harness"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def upstream_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    checkout = os.environ.get("CORTEX_UPSTREAM")
    if not checkout:
        pytest.skip("CORTEX_UPSTREAM is not set")
    functions = Path(checkout) / "convex-dev"
    harness = Path(os.environ.get("CORTEX_HARNESS", HARNESS_DEFAULT))
    if not functions.is_dir():
        pytest.skip(f"{functions} does not exist")
    if not (harness / "server.mjs").is_file():
        pytest.skip(f"no convex-harness at {harness}")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    work = tmp_path_factory.mktemp("harness") / "convex-harness"
    shutil.copytree(harness, work, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = _free_port()
    log = (work / "server.log").open("w")
    process = subprocess.Popen(
        ["node", "server.mjs", str(functions), str(port)], cwd=work, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"harness exited: {(work / 'server.log').read_text()}")
            try:
                httpx.post(f"{url}/_harness/reset", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("harness did not start within 60 s")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def test_async_register_then_get(upstream_url: str) -> None:
    async with Cortex(CortexConfig(convex_url=upstream_url)) as cortex:
        created = await cortex.memory_spaces.register(
            {"memory_space_id": "py-async-space", "type": "personal", "name": "Async"}
        )
        assert created.memory_space_id == "py-async-space"
        fetched = await cortex.memory_spaces.get("py-async-space")
        assert fetched is not None
        assert (fetched.memory_space_id, fetched.name, fetched.type) == (
            "py-async-space",
            "Async",
            "personal",
        )
        assert isinstance(fetched.created_at, int)


def test_sync_register_then_get(upstream_url: str) -> None:
    with SyncCortex(convex_url=upstream_url) as cortex:
        cortex.memory_spaces.register({"memory_space_id": "py-sync-space", "type": "team"})
        fetched = cortex.memory_spaces.get("py-sync-space")
        assert fetched is not None and fetched.type == "team"
        assert cortex.memory_spaces.get("py-no-such-space") is None


def test_backend_argument_validation(upstream_url: str) -> None:
    with SyncCortex(convex_url=upstream_url) as cortex:
        with pytest.raises(BackendValidationError) as missing:
            cortex.transport.call("mutation", "memorySpaces:register", {"type": "personal"})
        assert missing.value.field == "memorySpaceId"
        with pytest.raises(BackendValidationError) as extra:
            cortex.transport.call(
                "mutation",
                "memorySpaces:register",
                {"memorySpaceId": "x", "type": "personal", "bogus": 1},
            )
        assert extra.value.field == "bogus"
        with pytest.raises(BackendValidationError) as wrong:
            cortex.transport.call(
                "mutation", "memorySpaces:register", {"memorySpaceId": "x", "type": 7}
            )
        assert wrong.value.field == "type"


async def test_convex_error_codes(upstream_url: str) -> None:
    async with Cortex(convex_url=upstream_url) as cortex:
        args: dict[str, Any] = {"memorySpaceId": "py-dup", "type": "personal"}
        await cortex.transport.call("mutation", "memorySpaces:register", args)
        with pytest.raises(FunctionError) as duplicate:
            await cortex.transport.call("mutation", "memorySpaces:register", args)
        assert duplicate.value.code == "MEMORYSPACE_ALREADY_EXISTS"
        assert duplicate.value.data == "MEMORYSPACE_ALREADY_EXISTS"


def test_missing_function_is_a_version_mismatch(upstream_url: str) -> None:
    with (
        SyncCortex(convex_url=upstream_url) as cortex,
        pytest.raises(BackendVersionMismatchError) as info,
    ):
        cortex.transport.call("query", "memorySpaces:notInThisVersion", {})
    assert info.value.function == "memorySpaces:notInThisVersion"


def test_kind_mismatch_is_a_function_error(upstream_url: str) -> None:
    with SyncCortex(convex_url=upstream_url) as cortex, pytest.raises(FunctionError) as info:
        cortex.transport.call(
            "query", "memorySpaces:register", {"memorySpaceId": "k", "type": "personal"}
        )
    assert "as Query" in str(info.value)
