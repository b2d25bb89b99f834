"""Prints the conformance summary line at the end of a pytest session."""

from __future__ import annotations

from typing import Any

from .report import REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    text = REPORT.summary()
    if text:
        terminalreporter.write_sep("-", "conformance")
        terminalreporter.write_line(text)
