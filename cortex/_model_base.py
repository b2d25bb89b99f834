"""Base classes and annotated types that the generated models build on.

* ``ArgsModel``: the arguments of one Convex function. Unknown fields are rejected (Convex would reject them too),
  unset optional fields are never sent, and an optional field that cannot be ``null`` on the wire is treated as
  unset when it is given ``None``.
* ``CortexModel``: the SDK's public types (``RememberParams``, ``MemoryEntry``, ...). Unknown fields are kept
  (responses grow over time; Convex system fields ``_id``/``_creationTime`` arrive on documents).

Both accept construction by snake_case field name or by camelCase wire name and serialise by wire name.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, Callable
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, TypeAlias, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

__all__ = [
    "LOCAL_KEY",
    "NULLABLE_KEY",
    "AnyCallable",
    "AnyStream",
    "ArgsModel",
    "CortexModel",
    "EpochMs",
    "Service",
    "StreamOf",
    "WireInt",
    "to_epoch_ms",
]


class _WireModel(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        arbitrary_types_allowed=True,
        defer_build=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )

    # Optional fields whose type does not admit null: ``None`` there means "absent".
    __cortex_omit_none__: ClassVar[frozenset[str]] = frozenset()
    # Fields that hold client-side objects (callbacks, services, streams): never part of the wire form.
    __cortex_local_fields__: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _none_means_absent(self) -> Any:
        omit = type(self).__cortex_omit_none__
        if omit:
            fields_set = self.__pydantic_fields_set__
            for name in omit:
                if name in fields_set and getattr(self, name) is None:
                    fields_set.discard(name)
        return self

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict sent to Convex: wire names, unset fields omitted."""
        local = type(self).__cortex_local_fields__
        exclude = set(local) if local else None
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json", exclude=exclude)


class ArgsModel(_WireModel):
    """Arguments of one Convex function (strict about unknown fields)."""

    model_config = ConfigDict(extra="forbid")


NULLABLE_KEY = "x-cortex-nullable"
LOCAL_KEY = "x-cortex-local"


class CortexModel(_WireModel):
    """A public SDK type; tolerant of unknown fields, which are kept and serialised back.

    An optional field is treated as absent when given ``None``, unless its type admits ``null`` (the generator marks
    those with ``x-cortex-nullable``): TypeScript's ``undefined`` and a missing key are the same thing.
    """

    model_config = ConfigDict(extra="allow")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        omit, local = set(), set()
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if not info.is_required() and info.default is None and not extra.get(NULLABLE_KEY):
                omit.add(name)
            if extra.get(LOCAL_KEY):
                local.add(name)
        if "__cortex_omit_none__" not in cls.__dict__:
            cls.__cortex_omit_none__ = frozenset(omit)
        cls.__cortex_local_fields__ = frozenset(local)


def _coerce_int(value: Any) -> Any:
    # Convex numbers are float64: ``3.0`` on the wire is the integer 3. A non-integral value is passed through to
    # the int validator, which rejects it: an integer-named field carrying a fraction is a contract error.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


WireInt: TypeAlias = Annotated[int, BeforeValidator(_coerce_int)]
"""An integer that may arrive as an integral float (``1.0``)."""


def to_epoch_ms(value: Any) -> Any:
    """``datetime`` (naive means UTC), or epoch milliseconds as int/float, -> epoch milliseconds (int)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return round(value.timestamp() * 1000)
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    return value


def _ms_out(value: int | datetime) -> int:
    result = to_epoch_ms(value)
    assert isinstance(result, int)
    return result


EpochMs: TypeAlias = Annotated[
    int | datetime,
    BeforeValidator(to_epoch_ms),
    PlainSerializer(_ms_out, return_type=int),
]
"""A point in time: accepts ``datetime`` or epoch milliseconds, holds and serialises epoch milliseconds."""


def _not_serialisable(value: Any) -> None:
    return None


_LOCAL = PlainSerializer(_not_serialisable, return_type=type(None))

AnyCallable: TypeAlias = Annotated[Callable[..., Any], _LOCAL]
"""A callback; it may return a value or an awaitable (the caller awaits it when needed). Never serialised."""

Service: TypeAlias = Annotated[Any, _LOCAL]
"""An object with methods (LLM client, graph adapter, ...): duck-typed, never validated or serialised."""

AnyStream: TypeAlias = Annotated[AsyncIterable[Any], _LOCAL]
"""An async stream of values. Never serialised."""

_T = TypeVar("_T")

StreamOf: TypeAlias = Annotated[AsyncIterable[_T], _LOCAL]
"""An async stream of ``_T`` values (``StreamOf[str]``). Never serialised."""
