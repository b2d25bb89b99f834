"""The helpers shared by the handler modules (``cortex.embedded.functions._common``) and the JavaScript number
helpers they lean on (``js.round_``, ``js.to_string``)."""

from __future__ import annotations

import math
import re

import pytest
from pydantic import BaseModel, Field

from cortex._generated.args.immutable import (
    ImmutableGetArgs,
    ImmutablePurgeAllArgs,
    ImmutableStoreArgs,
)
from cortex._generated.calls_sync import immutable as calls
from cortex.embedded import UNDEFINED, js
from cortex.embedded.functions._common import (
    defined,
    new_id,
    opt,
    page,
    plain,
    random_base36,
    within,
)
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import FunctionError


def test_new_id_has_upstream_shape() -> None:
    ids = {new_id("mem", 1_700_000_000_123.0) for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        assert re.fullmatch(r"mem-1700000000123-[0-9a-z]{9}", value)
    assert re.fullmatch(r"[0-9a-z]{5}", random_base36(5))


def test_opt_defined_plain() -> None:
    assert opt(None) is UNDEFINED and opt(0) == 0 and opt("") == ""
    assert defined({"a": 1, "b": UNDEFINED, "c": None}) == {"a": 1, "c": None}

    class Inner(BaseModel):
        user_id: str | None = Field(default=None, alias="userId")
        agent_id: str | None = Field(default=None, alias="agentId")

    assert plain(Inner.model_validate({"userId": "u"})) == {"userId": "u"}


def test_within_strict_and_inclusive() -> None:
    docs = [{"t": 1}, {"t": 2}, {"t": 3}]
    assert within(docs, "t", 1, 3) == [{"t": 2}]
    assert within(docs, "t", 1, 3, inclusive=True) == docs
    assert within(docs, "t", None, 2) == [{"t": 1}]
    assert within(docs, "t", None, None) == docs


def test_page_is_slice_of_offset_plus_limit() -> None:
    items = list(range(10))
    assert page(items, 2, 3) == [2, 3, 4]
    assert page(items, 0.5, 0.5) == [0]  # slice(0.5, 1): the sum is truncated, not each bound
    assert page(items, -3, 2) == [7, 8]
    assert page(items, 8, 100) == [8, 9]
    assert page(items, 0, math.inf) == items


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5, 3.0), (-2.5, -2.0), (0.49999999999999994, 0.0), (-3.7, -4.0), (7.0, 7.0)],
)
def test_round_like_math_round(value: float, expected: float) -> None:
    assert js.round_(value) == expected


def test_round_keeps_non_finite() -> None:
    assert math.isnan(js.round_(math.nan)) and js.round_(math.inf) == math.inf


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0, "2"),
        (0.1, "0.1"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (math.nan, "NaN"),
        (-math.inf, "-Infinity"),
    ],
)
def test_to_string_numbers_like_javascript(value: float, expected: str) -> None:
    assert js.to_string(value) == expected


def test_tenant_scoped_lookup_and_purge_refusal() -> None:
    t = SyncEmbeddedTransport(":memory:")
    try:
        calls.immutable_store(
            t, ImmutableStoreArgs(type="doc", id="x", data={"v": 1}, tenant_id="t1")
        )
        # without a tenant, a tenant's entry is not visible
        assert calls.immutable_get(t, ImmutableGetArgs(type="doc", id="x")) is None
        found = calls.immutable_get(t, ImmutableGetArgs(type="doc", id="x", tenant_id="t1"))
        assert found is not None and found["data"] == {"v": 1}
        assert calls.immutable_get(t, ImmutableGetArgs(type="doc", id="x", tenant_id="t2")) is None
        with pytest.raises(FunctionError, match="PURGE_DISABLED"):
            calls.immutable_purge_all(t, ImmutablePurgeAllArgs())
    finally:
        t.close()
