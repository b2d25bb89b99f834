"""Handler registration: ``@handler(ArgsModel)`` binds a function to the Convex function whose generated args
model is ``ArgsModel``, so hand-written code never spells a function path.

::

    from cortex._generated.args.mutable import MutableGetArgs
    from cortex.embedded import QueryCtx, handler

    @handler(MutableGetArgs)
    def get(ctx: QueryCtx, args: MutableGetArgs) -> dict[str, Any] | None:
        ...
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from cortex.embedded.schema import FunctionInfo, load_functions

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Handler:
    info: FunctionInfo
    fn: Callable[..., Any]


_HANDLERS: dict[str, Handler] = {}
_BY_MODEL: dict[type, FunctionInfo] = {}


def _spec_for(model: type) -> FunctionInfo:
    if not _BY_MODEL:
        for info in load_functions().values():
            if info.args_model is not None:
                _BY_MODEL[info.args_model] = info
    found = _BY_MODEL.get(model)
    if found is None:
        raise LookupError(
            f"{model.__qualname__} is not the args model of any Convex function in the registry"
        )
    return found


def handler(args_model: type) -> Callable[[F], F]:
    """Register the decorated function as the embedded implementation of ``args_model``'s Convex function.

    The function is called as ``fn(ctx, args)`` with a ``QueryCtx`` (queries) or ``MutationCtx`` (mutations) and
    an instance of ``args_model``; it returns a JSON-compatible value.
    """

    def register(fn: F) -> F:
        info = _spec_for(args_model)
        existing = _HANDLERS.get(info.path)
        if existing is not None and existing.fn is not fn:
            raise RuntimeError(
                f"two handlers for {info.path}: {existing.fn.__qualname__} and {fn.__qualname__}"
            )
        _HANDLERS[info.path] = Handler(info, fn)
        return fn

    return register


_loaded = False


def handlers() -> dict[str, Handler]:
    """Every registered handler by path; imports every module of ``cortex.embedded.functions`` once."""
    global _loaded
    if not _loaded:
        import cortex.embedded.functions as package

        for mod in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{mod.name}")
        _loaded = True
    return _HANDLERS


def path_of(args_model: type) -> str:
    """The Convex function path whose generated args model is ``args_model`` (for tools and tests)."""
    return _spec_for(args_model).path
