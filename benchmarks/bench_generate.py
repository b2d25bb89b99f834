"""Generator and model performance. Run: ``python -m benchmarks.bench_generate``. Prints:

* wall time of a full generation (``make generate`` into a fresh directory; goal < 20 s) and of ``--check``;
* ``import cortex`` in a fresh interpreter (goal < 300 ms), and ``import cortex.namespaces`` (every generated
  model, args model and namespace; paid once when the first client is built);
* validating + serialising a ``RememberParams`` carrying a 1536-float embedding (goal < 100 µs), and the same for
  the typed ``memories:store`` args model (``list[float]`` validated element by element).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - start


def bench_generate() -> tuple[float, float, float]:
    """Seconds for: a full generation into a fresh directory, ``make generate`` (in place), ``--check``."""
    with tempfile.TemporaryDirectory() as tmp:
        full = _run("-m", "codegen.generator", "--schema", "schema", "--out", f"{tmp}/gen")
    start = time.perf_counter()
    subprocess.run(["make", "-s", "generate"], cwd=REPO, check=True, capture_output=True)
    make = time.perf_counter() - start
    check = _run("-m", "codegen.generator", "--schema", "schema", "--check", "cortex/_generated")
    return full, make, check


def bench_import(module: str, runs: int = 5) -> float:
    """Median in-process time (ms) of ``import <module>`` in fresh interpreters."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True
        )
        samples.append(float(out.stdout.strip()) * 1000)
    return statistics.median(samples)


def _per_call_us(fn: object, n: int) -> float:
    assert callable(fn)
    for _ in range(50):
        fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def bench_models(n: int = 2000) -> tuple[float, float]:
    """(µs per RememberParams validate+serialise, µs per MemoriesStoreArgs validate+serialise)."""
    from cortex._generated.args.memories import MemoriesStoreArgs
    from cortex.types import RememberParams

    embedding = [i / 1536 for i in range(1536)]
    remember = {
        "memorySpaceId": "space-1",
        "conversationId": "conv-1",
        "userMessage": "I prefer tea in the morning",
        "agentResponse": "Noted: tea in the morning.",
        "userId": "user-1",
        "userName": "Alex",
        "importance": 60,
        "tags": ["preferences", "drinks"],
        "embedding": embedding,
    }
    store = {
        "memorySpaceId": "space-1",
        "content": "I prefer tea in the morning",
        "contentType": "raw",
        "sourceType": "conversation",
        "embedding": embedding,
        "importance": 60,
        "tags": ["preferences"],
    }
    r = _per_call_us(lambda: RememberParams.model_validate(remember).to_wire(), n)
    s = _per_call_us(lambda: MemoriesStoreArgs.model_validate(store).to_wire(), n)
    return r, s


def main() -> None:
    full, make, check = bench_generate()
    print(f"generate into a fresh dir:        {full:8.2f} s   (goal < 20 s)")
    print(f"make generate (in place):         {make:8.2f} s   (goal < 20 s)")
    print(f"generator --check:                {check:8.2f} s")
    print(f"import cortex:                    {bench_import('cortex'):8.1f} ms  (goal < 300 ms)")
    print(f"import cortex.namespaces:         {bench_import('cortex.namespaces'):8.1f} ms")
    r, s = bench_models()
    print(f"RememberParams + 1536 floats:     {r:8.1f} µs  (validate + to_wire; goal < 100 µs)")
    print(f"MemoriesStoreArgs + 1536 floats:  {s:8.1f} µs  (typed list[float])")


if __name__ == "__main__":
    main()
