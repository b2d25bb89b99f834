"""Which class serves each namespace: the generated base, or the hand-written subclass that extends it.

``ASYNC_NAMESPACES``/``SYNC_NAMESPACES`` map the Python attribute name (``memory_spaces``, ...) to the class.
Hand-written modules that implement orchestration methods call ``register(name, async_cls, sync_cls)`` with
subclasses of the generated bases; the client calls ``build_async(ctx)``/``build_sync(ctx)`` and exposes every
entry of the result as an attribute.
"""

from __future__ import annotations

import importlib
import pkgutil

from cortex._context import AsyncContext, SyncContext
from cortex._generated.namespaces import BASES as _ASYNC_BASES
from cortex._generated.namespaces_sync import BASES as _SYNC_BASES

__all__ = [
    "ASYNC_NAMESPACES",
    "SYNC_NAMESPACES",
    "build_async",
    "build_sync",
    "generated_bases",
    "register",
    "unimplemented",
]

ASYNC_NAMESPACES: dict[str, type] = dict(_ASYNC_BASES)
SYNC_NAMESPACES: dict[str, type] = dict(_SYNC_BASES)


_DISCOVERED = False


def _discover() -> None:
    """Register the hand-written subclasses found by convention (once, when this module is imported): a module
    ``cortex/_async/<name>.py`` (``<name>`` a namespace attribute name) defining one subclass of the generated
    base, and its twin ``cortex/_sync/<name>.py`` defining the sync subclass. Explicit ``register`` calls still
    work."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    package = importlib.import_module("cortex._async")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _ASYNC_BASES:
            continue
        found = []
        for side, bases in (("_async", _ASYNC_BASES), ("_sync", _SYNC_BASES)):
            module_name = f"cortex.{side}.{info.name}"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                break
            base = bases[info.name]
            classes = [
                obj
                for obj in vars(module).values()
                if isinstance(obj, type)
                and issubclass(obj, base)
                and obj is not base
                and obj.__module__ == module_name
            ]
            if len(classes) != 1:
                break
            found.append(classes[0])
        if len(found) == 2:
            register(info.name, found[0], found[1])
    _DISCOVERED = True


def generated_bases() -> tuple[dict[str, type], dict[str, type]]:
    """The generated (async, sync) base classes by attribute name, whatever is registered."""
    return dict(_ASYNC_BASES), dict(_SYNC_BASES)


def register(name: str, async_cls: type, sync_cls: type) -> None:
    """Serve namespace ``name`` with hand-written subclasses of its generated bases."""
    if name not in _ASYNC_BASES:
        raise KeyError(f"unknown namespace {name!r}; known: {sorted(_ASYNC_BASES)}")
    if not issubclass(async_cls, _ASYNC_BASES[name]):
        raise TypeError(f"{async_cls.__name__} must subclass {_ASYNC_BASES[name].__name__}")
    if not issubclass(sync_cls, _SYNC_BASES[name]):
        raise TypeError(f"{sync_cls.__name__} must subclass {_SYNC_BASES[name].__name__}")
    ASYNC_NAMESPACES[name] = async_cls
    SYNC_NAMESPACES[name] = sync_cls


def unimplemented(*, sync: bool = False) -> list[str]:
    """``ns.method`` of every generated method that still raises ``NotImplementedError`` (orchestration,
    local or unmapped) and is not overridden by the registered hand-written class."""
    _discover()
    bases, served = (_SYNC_BASES, SYNC_NAMESPACES) if sync else (_ASYNC_BASES, ASYNC_NAMESPACES)
    out = []
    for name, base in sorted(bases.items()):
        cls = served[name]
        pending: frozenset[str] = getattr(base, "__cortex_not_implemented__", frozenset())
        for method in sorted(pending):
            if getattr(cls, method) is getattr(base, method):
                out.append(f"{name}.{method}")
    return out


def build_async(ctx: AsyncContext) -> dict[str, object]:
    """One instance of every async namespace, sharing ``ctx``."""
    _discover()
    return {name: cls(ctx) for name, cls in ASYNC_NAMESPACES.items()}


def build_sync(ctx: SyncContext) -> dict[str, object]:
    """One instance of every sync namespace, sharing ``ctx``."""
    _discover()
    return {name: cls(ctx) for name, cls in SYNC_NAMESPACES.items()}


# Last, so that hand-written modules may import ``register`` from here while they are being discovered.
_discover()
