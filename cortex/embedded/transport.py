"""In-process transports on the embedded engine: ``SyncEmbeddedTransport`` and ``AsyncEmbeddedTransport``.

Both implement the transport protocols of ``cortex._transport.base`` and raise exactly the errors the HTTP
transport raises for the same backend answer (``cortex._transport.errors.function_error``). Arguments go through
the same Convex JSON encoding as on the wire (reserved ``$`` keys rejected, int64 fields honoured), so a call
behaves the same in-process and over HTTP.

The async transport runs each call on one dedicated worker thread, so the event loop is never blocked by SQLite;
calls from one client are executed in order of submission.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cortex._transport import encoding, wire
from cortex._transport.base import CallOptions, FunctionKind
from cortex._transport.errors import function_error
from cortex.embedded.engine import Engine, InternalError
from cortex.errors import ServerError

_SCALARS = frozenset({type(None), bool, str, int, float})


def _decode(value: Any) -> Any:
    """``encoding.decode_value`` for the output of ``encoding.encode_args``: a list of plain scalars (an embedding)
    is copied in one C-level pass instead of item by item; marker objects (``$integer``, ``$float``, ``$bytes``)
    are decoded by ``encoding``. Encoded arguments never hold other reserved keys (``encode_args`` rejects them)."""
    kind = type(value)
    if kind is list:
        if _SCALARS.issuperset(map(type, value)):
            return list(value)
        return [_decode(v) for v in value]
    if kind is dict:
        if len(value) == 1 and next(iter(value))[:1] == "$":
            return encoding.decode_value(value)
        return {k: _decode(v) for k, v in value.items()}
    return value


def _call(engine: Engine, kind: FunctionKind, path: str, args: dict[str, Any]) -> Any:
    validator = wire.args_validator(path)
    decoded = _decode(encoding.encode_args(args, validator))
    try:
        outcome = engine.execute(kind, path, decoded)
    except InternalError as exc:
        raise ServerError(
            f"{path}: embedded backend failure: {exc}", function=path, status_code=500
        ) from exc
    if outcome["status"] == "success":
        return outcome["value"]
    raise function_error(
        path,
        outcome["errorMessage"],
        outcome.get("errorData"),
        schema_version=wire.schema_version(),
    )


class SyncEmbeddedTransport:
    """Blocking calls on an embedded store at ``path`` (default: ``engine.default_path()``; ``":memory:"``)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        engine: Engine | None = None,
        allow_purge: bool = False,
    ) -> None:
        self.engine = engine if engine is not None else Engine(path, allow_purge=allow_purge)
        self._owns_engine = engine is None

    def call(
        self,
        kind: FunctionKind,
        path: str,
        args: dict[str, Any],
        *,
        options: CallOptions | None = None,
    ) -> Any:
        return _call(self.engine, kind, path, args)

    def close(self) -> None:
        if self._owns_engine:
            self._owns_engine = False
            self.engine.close()

    def __enter__(self) -> SyncEmbeddedTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEmbeddedTransport:
    """Async calls on an embedded store, executed on a dedicated worker thread."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        engine: Engine | None = None,
        allow_purge: bool = False,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cortex-embedded")
        self.engine = engine if engine is not None else Engine(path, allow_purge=allow_purge)
        self._owns_engine = engine is None

    async def call(
        self,
        kind: FunctionKind,
        path: str,
        args: dict[str, Any],
        *,
        options: CallOptions | None = None,
    ) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _call, self.engine, kind, path, args)

    async def aclose(self) -> None:
        if self._owns_engine:
            self._owns_engine = False
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self.engine.close)
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AsyncEmbeddedTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
