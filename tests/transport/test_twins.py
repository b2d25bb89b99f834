"""codegen/twins.py: the repository's twins are current, and the rules do what docs/twins.md says."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codegen import twins

REPO = Path(__file__).resolve().parents[2]

SOURCE = textwrap.dedent(
    '''\
    """Example orchestration module."""

    from __future__ import annotations

    import asyncio  # sync: import time

    import httpx

    from cortex._async.http_transport import AsyncConvexTransport
    from cortex._context import AsyncContext
    from cortex._transport.base import AsyncTransport


    class AsyncWorker:
        def __init__(self, ctx: AsyncContext, http: httpx.AsyncClient) -> None:
            self.ctx = ctx
            self.http = http

        async def __aenter__(self) -> AsyncWorker:
            return self

        async def __aexit__(self, *exc: object) -> None:
            await self.http.aclose()


    async def pause(seconds: float) -> str:
        await asyncio.sleep(seconds)
        await asyncio.sleep(0)  # sync: -
        # twin: begin async
        results = await asyncio.gather(*(asyncio.sleep(0, result=i) for i in range(3)))
        # twin: else
        # results = [i for i in range(3)]
        # twin: end
        flavour = "async"  # sync: flavour = "sync"
        # sync: results.append(99)
        return f"{flavour}:{results}"


    def kinds() -> tuple[type, ...]:
        return (AsyncConvexTransport, AsyncTransport)
    '''
)


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "cortex" / "_async").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "cortex" / "_async" / "worker.py").write_text(SOURCE)
    return tmp_path


def test_repository_twins_are_current() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codegen.twins", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_produce_a_working_sync_module(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert twins.run(check=False, root=root) == 0
    text = (root / "cortex" / "_sync" / "worker.py").read_text()
    assert text.startswith(
        "# generated from cortex/_async/worker.py by codegen/twins.py; do not edit\n"
    )
    for expected in (
        "import time",
        "from cortex._sync.http_transport import SyncConvexTransport",
        "from cortex._context import SyncContext",
        "SyncTransport",
        "class SyncWorker:",
        "http: httpx.Client",
        "def __enter__(self) -> SyncWorker:",
        "self.http.close()",
        "time.sleep(seconds)",
        "results = [i for i in range(3)]",
        'flavour = "sync"',
        "results.append(99)",
    ):
        assert expected in text, expected
    for absent in (
        "async ",
        "await ",
        "asyncio",
        "gather",
        "AsyncClient",
        "# sync:",
        "# twin:",
        "sleep(0)",
    ):
        assert absent not in text, absent

    spec = importlib.util.spec_from_file_location("twin_worker", root / "cortex/_sync/worker.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.pause(0.0) == "sync:[0, 1, 2, 99]"

    ruff = Path(sys.executable).parent / "ruff"
    lint = subprocess.run(
        [str(ruff), "check", "cortex/_sync"], cwd=root, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout


def test_check_reports_edits_missing_and_stale_twins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tree(tmp_path)
    assert twins.run(check=True, root=root) == 1
    assert "missing: cortex/_sync/worker.py" in capsys.readouterr().out
    twins.run(check=False, root=root)
    assert twins.run(check=True, root=root) == 0

    target = root / "cortex" / "_sync" / "worker.py"
    target.write_text(target.read_text().replace('"sync"', '"edited"'))
    assert twins.run(check=True, root=root) == 1
    out = capsys.readouterr().out
    assert '-    flavour = "edited"' in out and '+    flavour = "sync"' in out

    twins.run(check=False, root=root)
    (root / "cortex" / "_async" / "worker.py").unlink()
    hand_written = root / "cortex" / "_sync" / "manual.py"
    hand_written.write_text("X = 1\n")
    assert twins.run(check=True, root=root) == 1
    assert "stale: cortex/_sync/worker.py" in capsys.readouterr().out
    twins.run(check=False, root=root)
    assert not target.exists() and hand_written.exists()


@pytest.mark.parametrize(
    "body",
    [
        "# twin: begin async\nx = 1\n",
        "# twin: else\n",
        "# twin: end\n",
        "# twin: begin async\nx = 1\n# twin: else\ny = 2\n# twin: end\n",
    ],
)
def test_malformed_blocks_are_errors(body: str) -> None:
    with pytest.raises(twins.TwinError):
        twins.apply_markers(body, "x.py")
