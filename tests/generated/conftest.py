"""Reports, at the end of every run that collected these tests, how many generated methods still raise
``NotImplementedError`` (not overridden by a registered hand-written subclass)."""

from __future__ import annotations

import contextlib
from typing import Any


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    # Importing the client registers hand-written subclasses; without it the generated bases are reported.
    with contextlib.suppress(Exception):
        import cortex.client  # noqa: F401
    from cortex.namespaces import generated_bases, unimplemented

    pending = unimplemented()
    total = sum(
        sum(1 for name, value in vars(cls).items() if not name.startswith("_") and callable(value))
        for cls in generated_bases()[0].values()
    )
    terminalreporter.write_sep("-", "cortex generated namespaces")
    terminalreporter.write_line(
        f"methods still raising NotImplementedError: {len(pending)} (of {total} generated public methods)"
    )
    by_ns: dict[str, int] = {}
    for item in pending:
        ns = item.split(".", 1)[0]
        by_ns[ns] = by_ns.get(ns, 0) + 1
    terminalreporter.write_line("  " + ", ".join(f"{k}: {v}" for k, v in sorted(by_ns.items())))
