"""Errors raised inside the embedded engine and its function handlers.

A handler signals failure the way a Convex function does:

* ``raise ConvexError(data)``: an application error with structured data (a string code or an object). The caller
  sees ``errorData == data``.
* any other exception: an uncaught error; the caller sees only its text as ``errorMessage``. By convention the text
  is ``CODE: message`` (``raise FunctionError("MEMORY_NOT_FOUND: no memory mem-1")``).
"""

from __future__ import annotations

import json
from typing import Any


class ConvexError(Exception):
    """An application error with data, like Convex's ``ConvexError``."""

    def __init__(self, data: Any) -> None:
        self.data = data
        super().__init__(data if isinstance(data, str) else json.dumps(data, default=str))


class FunctionError(Exception):
    """A plain function error; its text (``CODE: message``) becomes the error message."""


class EngineError(FunctionError):
    """Misuse of the document API (bad id, unknown table or index, schema violation, ``unique`` with several)."""


class ArgumentValidationError(FunctionError):
    """The arguments did not match the function's Convex validator."""

    def __init__(self, message: str) -> None:
        super().__init__(f"ArgumentValidationError: {message}")


class FunctionNotFoundError(FunctionError):
    """No public function with this path (or it is of another kind)."""


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The Convex wire form of a function error: ``{"errorMessage", "errorData"?}``."""
    if isinstance(exc, ConvexError):
        message = exc.data if isinstance(exc.data, str) else json.dumps(exc.data, default=str)
        return {"errorMessage": message, "errorData": exc.data}
    text = str(exc) or type(exc).__name__
    return {"errorMessage": text}
