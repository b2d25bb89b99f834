"""The transport interface shared by the Convex HTTP transport and the embedded backend.

A transport calls one Convex function by its path (``"module:function"``) with arguments that are already plain
JSON-compatible Python values (the generated layer builds them), and returns the decoded return value.
Generated code is the only caller that spells a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

FunctionKind = Literal["query", "mutation", "action"]


@dataclass(frozen=True)
class CallOptions:
    """Per-call overrides (``with_options``-style). ``None`` means: use the client's setting."""

    timeout: float | None = None
    max_retries: int | None = None


class AsyncTransport(Protocol):
    async def call(
        self,
        kind: FunctionKind,
        path: str,
        args: dict[str, Any],
        *,
        options: CallOptions | None = None,
    ) -> Any: ...

    async def aclose(self) -> None: ...


class SyncTransport(Protocol):
    def call(
        self,
        kind: FunctionKind,
        path: str,
        args: dict[str, Any],
        *,
        options: CallOptions | None = None,
    ) -> Any: ...

    def close(self) -> None: ...
