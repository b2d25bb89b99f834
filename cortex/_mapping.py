"""Runtime support for generated argument mappings (the expression kinds of docs/schema-format.md).

Values are looked up by wire (camelCase) name inside models or dicts. ``ABSENT`` stands for TypeScript's
``undefined``: an absent value is never sent to Convex.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Generic, TypeVar, overload

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from cortex._model_base import to_epoch_ms
from cortex.errors import CortexError, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final[Any] = _Absent()

_ALIASES: dict[type[BaseModel], dict[str, str]] = {}


def _alias_map(cls: type[BaseModel]) -> dict[str, str]:
    found = _ALIASES.get(cls)
    if found is None:
        found = {}
        for name, info in cls.model_fields.items():
            found[info.alias or name] = name
            found.setdefault(name, name)
        _ALIASES[cls] = found
    return found


def step(value: Any, key: str) -> Any:
    """One property access by wire name; ``ABSENT`` when the property is missing or unset."""
    if value is ABSENT or value is None:
        return ABSENT
    if isinstance(value, BaseModel):
        name = _alias_map(type(value)).get(key)
        if name is not None:
            return getattr(value, name) if name in value.model_fields_set else ABSENT
        extra = value.__pydantic_extra__ or {}
        return extra.get(key, ABSENT)
    if isinstance(value, Mapping):
        return value.get(key, ABSENT)
    return getattr(value, key, ABSENT)


def path(value: Any, keys: Iterable[str]) -> Any:
    """``value.a.b`` by wire names; ``ABSENT`` as soon as a step is missing."""
    for key in keys:
        value = step(value, key)
        if value is ABSENT:
            return ABSENT
    return value


def param(value: Any) -> Any:
    """A parameter value: an omitted optional parameter (``None``) is absent."""
    return ABSENT if value is None else value


def auth(context: Mapping[str, Any], key: str) -> Any:
    """A field of the client's auth context; absent when missing or ``None``."""
    value = context.get(key)
    return ABSENT if value is None else value


# Exact JSON scalar types: their wire form is the value itself (checked by exact ``type``, so subclasses such as
# ``str`` enums or numpy scalars still take the general path).
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def wire(value: Any) -> Any:
    """A value in its JSON wire form: models by alias without unset fields, dates as epoch ms."""
    if type(value) in _SCALARS:
        return value
    if type(value) is list and _SCALARS.issuperset(map(type, value)):
        # An embedding or a list of strings: nothing to convert, one C-level pass.
        return list(value)
    if isinstance(value, BaseModel):
        to_wire = getattr(value, "to_wire", None)
        if callable(to_wire):
            return to_wire()
        return value.model_dump(by_alias=True, exclude_unset=True, mode="json")
    if isinstance(value, datetime):
        return to_epoch_ms(value)
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value if v is not ABSENT]
    if isinstance(value, Mapping):
        return {k: wire(v) for k, v in value.items() if v is not ABSENT}
    return value


def put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``target[key]`` to the wire form of ``value`` unless it is absent."""
    if value is not ABSENT:
        target[key] = wire(value)


def obj(entries: Mapping[str, Any]) -> dict[str, Any]:
    """An object literal; absent entries are left out."""
    out: dict[str, Any] = {}
    for key, value in entries.items():
        put(out, key, value)
    return out


def spread(base: Any, entries: Mapping[str, Any]) -> dict[str, Any]:
    """``{...base, key: value}``; an absent ``base`` spreads nothing."""
    out: dict[str, Any] = {}
    if base is not ABSENT and base is not None:
        source = wire(base)
        if isinstance(source, Mapping):
            out.update(source)
    for key, value in entries.items():
        if value is ABSENT:
            out.pop(key, None)  # ``{...x, k: undefined}`` leaves k undefined
        else:
            out[key] = wire(value)
    return out


def array(items: Iterable[Any]) -> list[Any]:
    """An array literal; absent items become ``null`` as ``JSON.stringify`` would write them."""
    return [None if v is ABSENT else wire(v) for v in items]


def truthy(value: Any) -> bool:
    """JavaScript truthiness (``undefined``, ``null``, ``false``, ``0``, ``""`` and NaN are false)."""
    if value is ABSENT or value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    if isinstance(value, (bool, int, float, str)):
        return bool(value)
    return True


def coalesce(*thunks: Callable[[], Any], op: str = "??") -> Any:
    """First present value (``??``), or first truthy value (``||``); evaluated left to right, lazily."""
    value: Any = ABSENT
    for thunk in thunks:
        value = thunk()
        if op == "||":
            if truthy(value):
                return value
        elif value is not ABSENT and value is not None:
            return value
    return value


def cond(test: Any, then: Callable[[], Any], else_: Callable[[], Any]) -> Any:
    """``test ? then : else``."""
    return then() if truthy(test) else else_()


def eq(a: Any, b: Any) -> bool:
    """``a === b`` (absent equals absent and nothing else)."""
    if a is ABSENT or b is ABSENT:
        return a is b
    return bool(a == b)


def date(value: Any) -> Any:
    """A ``Date`` or epoch ms as epoch ms; absent stays absent."""
    return value if value is ABSENT or value is None else to_epoch_ms(value)


def each(items: Any, fn: Callable[[Any], Any]) -> Any:
    """``items.map(fn)``; absent stays absent."""
    if items is ABSENT or items is None:
        return ABSENT
    return [fn(item) for item in items]


def validate_param(model: type[M], value: Any, name: str) -> M:
    """A parameter as ``model``: instances pass through, mappings are validated."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except PydanticValidationError as exc:
        raise ValidationError(f"invalid {name}: {exc}", field=name, details=exc.errors()) from exc


@overload
def validate_optional(model: type[M], value: None, name: str) -> None: ...
@overload
def validate_optional(model: type[M], value: M | Mapping[str, Any], name: str) -> M: ...
@overload
def validate_optional(
    model: type[M], value: M | Mapping[str, Any] | None, name: str
) -> M | None: ...
def validate_optional(model: type[M], value: Any, name: str) -> M | None:
    """An optional parameter as ``model`` (``None`` stays ``None``), else as ``validate_param``."""
    return None if value is None else validate_param(model, value, name)


def build_args(model: type[M], args: dict[str, Any], function: str) -> M:
    """The Convex arguments of ``function`` as its args model (raises ``ValidationError``)."""
    try:
        return model.model_validate(args)
    except PydanticValidationError as exc:
        errors = exc.errors()
        loc = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        raise ValidationError(
            f"invalid arguments for {function}: {exc}", field=loc or None, details=exc.errors()
        ) from exc


class LazyAdapter(Generic[T]):
    """A ``TypeAdapter`` built on first use (keeps ``import cortex`` fast)."""

    __slots__ = ("_adapter", "_factory")

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._adapter: TypeAdapter[T] | None = None

    def parse(self, value: Any, what: str) -> T:
        """Validate a Convex result; raise ``CortexError(code="INVALID_RESPONSE")`` when it does not fit."""
        if value is ABSENT:
            value = None
        adapter = self._adapter
        if adapter is None:
            adapter = self._adapter = TypeAdapter(self._factory())
        try:
            return adapter.validate_python(value)
        except PydanticValidationError as exc:
            raise CortexError(
                f"unexpected result from {what}: {exc}",
                code="INVALID_RESPONSE",
                details=exc.errors(),
            ) from exc
