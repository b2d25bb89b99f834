"""Run every benchmark in turn: ``python -m benchmarks [--quick] [name ...]`` (``make bench``).

Each benchmark module exposes ``main(argv)`` and prints its own figures; this runner only sequences them, so that
one run shows every goal next to what was measured on this machine.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import time

BENCHMARKS = ("generate", "transport", "engine", "vector", "memory", "graph")
QUICK_FLAG = {"engine", "vector", "memory", "graph"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run, of {', '.join(BENCHMARKS)} (all)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes where a benchmark offers them"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        argv = ["--quick"] if args.quick and name in QUICK_FLAG else []
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        if inspect.signature(module.main).parameters:
            module.main(argv)
        else:
            module.main()
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
