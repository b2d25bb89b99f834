"""Command line: ``python -m codegen.generator --schema schema (--out DIR | --check DIR)``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from codegen.generator.emit import check_tree, sync_tree
from codegen.generator.generate import generate_files
from codegen.generator.schema_input import load_schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.generator", description=__doc__)
    parser.add_argument(
        "--schema", type=Path, default=Path("schema"), help="schema directory (input)"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write the generated package here")
    target.add_argument(
        "--check", type=Path, help="regenerate into a temp dir and compare with this directory"
    )
    ns = parser.parse_args(argv)

    start = time.perf_counter()
    files = generate_files(load_schema(ns.schema))
    if ns.check is not None:
        differing = check_tree(files, ns.check)
        if differing:
            print(
                f"{len(differing)} generated file(s) differ from {ns.schema}; run `make generate`."
            )
            return 1
        print(f"{ns.check}: up to date ({len(files)} files)")
        return 0
    changed = sync_tree(files, ns.out)
    elapsed = time.perf_counter() - start
    print(f"{ns.out}: {len(files)} files, {len(changed)} changed ({elapsed:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
