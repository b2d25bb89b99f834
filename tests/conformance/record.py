"""Record golden files: run every scenario against upstream's real backend code (the convex-harness).

Usage: ``python -m tests.conformance.record --upstream /path/to/Project-Cortex [scenario ...]``
(or ``--url http://127.0.0.1:PORT`` for a harness that is already running).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import harness
from .golden import write_golden
from .runner import play
from .scenario import load_all


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conformance.record")
    ap.add_argument(
        "--upstream", type=Path, help="Project-Cortex checkout (its convex-dev/ is served)"
    )
    ap.add_argument("--url", help="base URL of an already running harness")
    ap.add_argument("scenarios", nargs="*")
    ns = ap.parse_args(argv)
    if not ns.upstream and not ns.url:
        ap.error("--upstream or --url is required")
    running = None if ns.url else harness.start(ns.upstream)
    base = ns.url.rstrip("/") if ns.url else running.base_url  # type: ignore[union-attr]
    try:
        for sc in load_all(ns.scenarios or None):
            outcomes = play(sc, base, reset_url=f"{base}/_harness/reset")
            path = write_golden(sc, outcomes)
            errors = sum(1 for o in outcomes if o["status"] != "success")
            print(f"{sc.name}: {len(outcomes)} steps ({errors} errors) -> {path.name}")
    finally:
        if running:
            running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
