"""Typed errors. Every error the SDK raises is a ``CortexError`` with a machine-readable ``.code``."""

from __future__ import annotations

from typing import Any


class CortexError(Exception):
    """Base of every SDK error. ``code`` is stable and machine-readable; ``details`` carries structured data."""

    default_code = "CORTEX_ERROR"

    def __init__(self, message: str = "", *, code: str | None = None, details: Any = None) -> None:
        self.code: str = code or self.default_code
        self.details = details
        super().__init__(message or self.code)


class ValidationError(CortexError):
    """Bad input, caught before anything is sent (or reported by the backend's argument validation)."""

    default_code = "VALIDATION_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        field: str | None = None,
        details: Any = None,
    ) -> None:
        self.field = field
        super().__init__(message, code=code, details=details)
