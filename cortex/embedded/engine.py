"""The embedded backend: one SQLite store serving the Cortex Convex functions in-process.

``Engine(path).execute(kind, path, args)`` runs one function call as one transaction and returns a ``Outcome``
in Convex's wire shape: ``{"status": "success", "value"}`` or ``{"status": "error", "errorMessage",
"errorData"?}``. Both the in-process transports and the HTTP server (``cortex serve``) use it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import pydantic

from cortex.embedded import storage
from cortex.embedded.context import MutationCtx, QueryCtx
from cortex.embedded.database import DatabaseReader, DatabaseWriter
from cortex.embedded.errors import (
    ArgumentValidationError,
    ConvexError,
    FunctionError,
    FunctionNotFoundError,
    error_payload,
)
from cortex.embedded.registry import handlers
from cortex.embedded.schema import load_functions, load_tables
from cortex.embedded.search import SearchIndexes
from cortex.embedded.validator import check
from cortex.embedded.vectors import VectorIndexes

log = logging.getLogger("cortex.embedded")
T = TypeVar("T")

MEMORY = ":memory:"
_KIND_NAMES = {"query": "Query", "mutation": "Mutation", "action": "Action"}


def default_path() -> Path:
    """The default store: ``<user data dir>/cortex/cortex.db`` (``platformdirs.user_data_dir("cortex")``),
    or ``$CORTEX_LOCAL_PATH`` when set."""
    env = os.environ.get("CORTEX_LOCAL_PATH")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("cortex", appauthor=False)) / "cortex.db"


class InternalError(Exception):
    """A failure of the engine itself (not of a function): I/O errors, a corrupt store."""


_PLAIN = frozenset({type(None), bool, str, bytes, int, float})


class _NotJson(Exception):
    pass


def _json_ready(value: Any) -> Any:
    """Check a handler's return value is a Convex value; tuples become lists.

    The common case (dicts, lists and plain scalars, such as documents with embeddings) is checked by exact type
    without building paths; anything else, and the error message with its path, go through ``_json_ready_at``."""
    try:
        return _plain_copy(value)
    except _NotJson:
        return _json_ready_at(value)


def _plain_copy(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in _PLAIN else _plain_copy(v)
            for k, v in value.items()
        }
    if kind is list:
        if _PLAIN.issuperset(map(type, value)):
            return list(value)
        return [_plain_copy(v) for v in value]
    raise _NotJson


def _json_ready_at(value: Any, path: str = "") -> Any:
    if value is None or isinstance(value, (bool, str, bytes)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_ready_at(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _json_ready_at(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True, mode="json")
    raise FunctionError(
        f"Uncaught Error: function returned a {type(value).__name__} at {path or 'top level'}"
    )


def _canonical_path(path: str) -> str:
    """Convex's spellings of a function path, reduced to ``module:function``: ``module.js:fn`` names the same
    function, and a bare ``module`` names its default export."""
    module, sep, name = path.partition(":")
    module = module.removesuffix(".js")
    return f"{module}:{name if sep else 'default'}"


class Engine:
    """An open embedded store. Thread-safe: calls are serialised on one connection."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        synchronous: str = "NORMAL",
        allow_purge: bool = False,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        """``allow_purge`` enables the whole-table ``purgeAll`` functions (off by default); ``busy_timeout_ms`` is
        how long SQLite waits for another writer before the call is retried."""
        self.allow_purge = allow_purge
        if path is None:
            path = default_path()
        self.path = str(path)
        vector_dir: Path | None = None
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            vector_dir = Path(self.path + ".vectors")
        self.tables = load_tables()
        self.functions = load_functions()
        conn = storage.connect(self.path, synchronous=synchronous, busy_timeout_ms=busy_timeout_ms)
        self.store = storage.Store(conn, self.tables)
        self.store.migrate()
        self.search = SearchIndexes(self.store)
        self.search.migrate()
        self.vectors = VectorIndexes(self.store, vector_dir)
        self.vectors.migrate()
        self.vectors.load()
        self._closed = False

    # ---- direct access (tests, tools) --------------------------------------------------------------------------

    def run_query(self, fn: Callable[[QueryCtx], T]) -> T:
        """Run ``fn(ctx)`` in one read transaction."""
        return self.store.run(
            False,
            lambda: fn(
                QueryCtx(
                    DatabaseReader(self.store, self.search),
                    self.vectors,
                    allow_purge=self.allow_purge,
                )
            ),
        )

    def run_mutation(self, fn: Callable[[MutationCtx], T]) -> T:
        """Run ``fn(ctx)`` in one write transaction (rolled back if it raises)."""
        result = self.store.run(
            True,
            lambda: fn(
                MutationCtx(
                    DatabaseWriter(self.store, self.search),
                    self.vectors,
                    allow_purge=self.allow_purge,
                )
            ),
        )
        self._after_write()
        return result

    def _after_write(self) -> None:
        if self.vectors.needs_save():
            self.vectors.save()

    # ---- function calls ----------------------------------------------------------------------------------------

    def execute(self, kind: str, path: str, args: Any) -> dict[str, Any]:
        """Run one function call; returns the Convex response body (``status`` success or error)."""
        try:
            value = self._call(kind, path, args)
        except (ConvexError, FunctionError) as exc:
            return {"status": "error", **error_payload(exc), "logLines": []}
        except sqlite3.Error as exc:
            log.exception("embedded store error in %s", path)
            raise InternalError(f"storage error: {exc}") from exc
        except Exception as exc:  # a handler bug: report its text like an uncaught JS error
            log.debug("function %s raised", path, exc_info=True)
            return {"status": "error", **error_payload(exc), "logLines": []}
        return {"status": "success", "value": value, "logLines": []}

    def _call(self, kind: str, path: str, args: Any) -> Any:
        path = _canonical_path(path) if isinstance(path, str) else path
        info = self.functions.get(path) if isinstance(path, str) else None
        registered = handlers().get(path) if info is not None else None
        if info is None or registered is None:
            raise FunctionNotFoundError(
                f"Could not find public function for '{path}'. Did you forget to run `npx convex dev` or "
                f"`npx convex deploy`?"
            )
        if kind != info.kind:
            module, _, name = path.partition(":")
            raise FunctionNotFoundError(
                f"Trying to execute {module}.js:{name} as {_KIND_NAMES.get(kind, kind)}, but it is defined"
                f" as {_KIND_NAMES.get(info.kind, info.kind)}."
            )
        if isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict):
            args = args[0]  # the legacy positional form: one argument object in an array
        if not isinstance(args, dict):
            raise ArgumentValidationError(
                f"Value does not match validator.\nValue: {args!r}\nValidator: v.object(...)"
            )
        err = check(args, info.args_validator, table_of_id=self.store.ids.table_of)
        if err:
            raise ArgumentValidationError(err)
        model = info.args_model
        parsed: Any = args
        if model is not None:
            try:
                parsed = model.model_validate(args)
            except pydantic.ValidationError as exc:
                raise ArgumentValidationError(str(exc)) from exc
        fn = registered.fn
        if info.kind == "mutation":
            result = self.store.run(
                True,
                lambda: _json_ready(
                    fn(
                        MutationCtx(
                            DatabaseWriter(self.store, self.search),
                            self.vectors,
                            allow_purge=self.allow_purge,
                        ),
                        parsed,
                    )
                ),
            )
            self._after_write()
            return result
        return self.store.run(
            False,
            lambda: _json_ready(
                fn(
                    QueryCtx(
                        DatabaseReader(self.store, self.search),
                        self.vectors,
                        allow_purge=self.allow_purge,
                    ),
                    parsed,
                )
            ),
        )

    def close(self) -> None:
        """Persist the vector indexes and close the store."""
        if self._closed:
            return
        self._closed = True
        try:
            self.vectors.save()
        finally:
            self.store.conn.close()
