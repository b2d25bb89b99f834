"""The runtime of generated argument mappings (cortex._mapping): TypeScript ``undefined`` semantics."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from cortex import _mapping as m
from cortex.errors import CortexError, ValidationError
from cortex.types import AddMessageInput


def test_path_walks_models_by_wire_name_and_reports_unset_as_absent() -> None:
    msg = AddMessageInput.model_validate(
        {"conversationId": "c1", "message": {"role": "user", "content": "hi"}}
    )
    assert m.path(msg, ["conversationId"]) == "c1"
    assert m.path(msg, ["message", "content"]) == "hi"
    assert m.path(msg, ["message", "id"]) is m.ABSENT  # optional, never given
    assert m.path(msg, ["nope", "deeper"]) is m.ABSENT
    assert m.path(None, ["x"]) is m.ABSENT
    assert m.path({"a": {"b": 0}}, ["a", "b"]) == 0


def test_put_drops_absent_and_converts_models_and_dates_to_wire() -> None:
    out: dict[str, Any] = {}
    m.put(out, "skip", m.ABSENT)
    m.put(out, "when", datetime(2024, 1, 1, tzinfo=timezone.utc))
    m.put(
        out, "msg", AddMessageInput(conversation_id="c", message={"role": "user", "content": "x"})
    )
    assert out == {
        "when": 1704067200000,
        "msg": {"conversationId": "c", "message": {"role": "user", "content": "x"}},
    }


def test_coalesce_nullish_and_or_are_lazy() -> None:
    calls: list[str] = []

    def fallback() -> str:
        calls.append("called")
        return "generated"

    assert m.coalesce(lambda: "", lambda: fallback(), op="??") == ""
    assert calls == []
    assert m.coalesce(lambda: "", lambda: fallback(), op="||") == "generated"
    assert m.coalesce(lambda: m.ABSENT, lambda: None, lambda: 0, op="??") == 0
    assert m.coalesce(lambda: m.ABSENT, op="??") is m.ABSENT


def test_cond_not_eq_follow_javascript_truthiness() -> None:
    assert m.cond(0, lambda: "a", lambda: "b") == "b"
    assert m.cond("x", lambda: "a", lambda: "b") == "a"
    assert m.cond(m.ABSENT, lambda: "a", lambda: "b") == "b"
    assert m.cond([], lambda: "a", lambda: "b") == "a"  # objects are truthy in JS
    assert m.eq(m.ABSENT, m.ABSENT) and not m.eq(m.ABSENT, None)
    assert m.truthy(float("nan")) is False


def test_object_spread_array_each_and_date() -> None:
    assert m.obj({"a": 1, "b": m.ABSENT}) == {"a": 1}
    assert m.spread({"a": 1, "b": 2}, {"b": m.ABSENT, "c": 3}) == {"a": 1, "c": 3}
    assert m.spread(m.ABSENT, {"c": 3}) == {"c": 3}
    assert m.array([1, m.ABSENT]) == [1, None]
    assert m.each([{"k": 1}, {"k": 2}], lambda it: m.path(it, ["k"])) == [1, 2]
    assert m.each(m.ABSENT, lambda it: it) is m.ABSENT
    assert m.date(datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)) == 1000
    assert m.date(m.ABSENT) is m.ABSENT


def test_param_validation_errors_are_cortex_validation_errors() -> None:
    with pytest.raises(ValidationError) as info:
        m.validate_param(AddMessageInput, {"message": {"role": "user"}}, "input")
    assert info.value.field == "input"
    assert info.value.code == "VALIDATION_ERROR"


def test_bad_response_raises_invalid_response() -> None:
    adapter: m.LazyAdapter[int] = m.LazyAdapter(lambda: int)
    assert adapter.parse(3, "x:y") == 3
    with pytest.raises(CortexError) as info:
        adapter.parse("not a number", "x:y")
    assert info.value.code == "INVALID_RESPONSE"
