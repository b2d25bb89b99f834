"""Convex JSON values: exact wire forms, rejections, and round trips (hypothesis)."""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortex import PayloadTooLargeError, ValidationError
from cortex._transport.encoding import (
    MAX_ARGS_BYTES,
    decode_value,
    encode_args,
    encode_value,
    loads,
    request_body,
)

INT64 = {"type": "bigint"}


def test_plain_values_pass_through() -> None:
    value = {"s": "x", "n": 1.5, "i": 3, "b": True, "z": None, "l": [1, "a", False]}
    assert encode_value(value) == value


def test_int_is_a_json_number_by_default_and_bool_is_not_an_int() -> None:
    assert encode_value(7) == 7
    assert encode_value(True) is True
    assert json.loads(request_body("m:f", {"n": 7, "b": False}))["args"] == {"n": 7, "b": False}


def test_int64_fields_become_integer_markers_per_validator() -> None:
    validator = {
        "type": "object",
        "value": {
            "big": {"fieldType": INT64, "optional": False},
            "num": {"fieldType": {"type": "number"}, "optional": False},
            "list": {"fieldType": {"type": "array", "value": INT64}, "optional": True},
        },
    }
    out = encode_args({"big": 1, "num": 1, "list": [-1, 2**63 - 1]}, validator)
    assert out["big"] == {"$integer": "AQAAAAAAAAA="}
    assert out["num"] == 1
    assert out["list"][0] == {"$integer": base64.b64encode(b"\xff" * 8).decode()}
    assert decode_value(out["list"][1]) == 2**63 - 1
    with pytest.raises(ValidationError) as info:
        encode_args({"big": 2**63, "num": 0}, validator)
    assert info.value.field == "big"
    assert info.value.code == "INTEGER_OUT_OF_RANGE"


def test_unsafe_ints_for_float_fields_are_rejected_with_the_path() -> None:
    assert encode_value(2**53) == 2**53
    with pytest.raises(ValidationError) as info:
        encode_args({"a": {"b": [0, 2**53 + 1]}})
    assert info.value.field == "a.b[1]"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0])
def test_special_floats_use_float_markers(value: float) -> None:
    encoded = encode_value(value)
    assert set(encoded) == {"$float"}
    assert base64.b64decode(encoded["$float"]) == struct.pack("<d", value)
    back = decode_value(encoded)
    assert (math.isnan(back) and math.isnan(value)) or (
        back == value and math.copysign(1, back) == math.copysign(1, value)
    )
    assert encode_value(0.0) == 0.0 and not isinstance(encode_value(0.0), dict)


def test_bytes_use_bytes_markers() -> None:
    assert encode_value(b"\x00\xffhi") == {"$bytes": "AP9oaQ=="}
    assert encode_value(bytearray(b"a")) == {"$bytes": "YQ=="}
    assert decode_value({"$bytes": "AP9oaQ=="}) == b"\x00\xffhi"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"$id": 1}, "$id"),
        ({"a": {"$set": 1}}, "a.$set"),
        ({"a": [{"ok": 1}, {"$x": 1}]}, "a[1].$x"),
        ({"ünï": 1}, "ünï"),
        ({"a\nb": 1}, "a\nb"),
        ({"x" * 1025: 1}, "x" * 1025),
    ],
)
def test_invalid_keys_are_rejected_naming_the_path(args: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        request_body("m:f", args)
    assert info.value.field == field
    assert info.value.code == "INVALID_FIELD_NAME"


def test_non_string_keys_and_unsupported_types_are_rejected() -> None:
    with pytest.raises(ValidationError):
        encode_args({"a": {1: "x"}})
    with pytest.raises(ValidationError) as info:
        encode_args({"when": object()})
    assert info.value.field == "when"
    assert info.value.code == "UNSUPPORTED_VALUE"


def test_oversize_args_raise_a_typed_error() -> None:
    with pytest.raises(PayloadTooLargeError) as info:
        request_body("m:f", {"blob": "x" * MAX_ARGS_BYTES})
    error = info.value
    assert error.code == "ARGUMENTS_TOO_LARGE"
    assert error.status_code is None
    assert error.size is not None and error.limit == MAX_ARGS_BYTES and error.size > error.limit
    small = request_body("m:f", {"blob": "x" * 100}, limit=200)
    assert json.loads(small)["format"] == "convex_encoded_json"


def test_request_body_shape() -> None:
    body = json.loads(request_body("memories:store", {"a": 1}))
    assert body == {"path": "memories:store", "format": "convex_encoded_json", "args": {"a": 1}}


@pytest.mark.parametrize(
    "bad",
    [
        {"$integer": "AQ=="},
        {"$float": 1},
        {"$bytes": "!!"},
        {"$unknown": "x"},
        {"ok": {"$set": []}},
    ],
)
def test_malformed_markers_are_rejected(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        decode_value(bad)
    assert info.value.code == "INVALID_CONVEX_VALUE"


def test_loads_decodes_nested_markers() -> None:
    text = '{"a": [{"$integer": "AgAAAAAAAAA="}, {"$bytes": ""}], "b": 1.0}'
    assert loads(text) == {"a": [2, b""], "b": 1.0}


keys = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=8
).filter(lambda k: not k.startswith("$"))
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_encode_then_decode_is_identity(value: Any) -> None:
    wire = json.loads(json.dumps(encode_value(value), allow_nan=False))
    back = decode_value(wire)
    assert back == value
    assert _signs(back) == _signs(value)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int64_round_trip(number: int) -> None:
    assert decode_value(encode_value(number, INT64)) == number


def _signs(value: Any) -> Any:
    """Structure of zero signs (``-0.0 == 0.0`` would hide a lost sign)."""
    if isinstance(value, float):
        return math.copysign(1.0, value)
    if isinstance(value, list):
        return [_signs(item) for item in value]
    if isinstance(value, dict):
        return {key: _signs(item) for key, item in value.items()}
    return None


@pytest.mark.parametrize(
    "floats",
    [
        [1.0, -0.0, 2.0],
        [0.5, math.nan],
        (math.inf, 1.0),
        [1.0, -math.inf],
        [1e308, 1e308, -0.0],
        [math.inf, -math.inf, 0.0],
    ],
)
def test_float_arrays_keep_special_values(floats: Any) -> None:
    encoded = encode_value(floats)
    specials = [item for item in encoded if isinstance(item, dict)]
    expected = [x for x in floats if not math.isfinite(x) or (x == 0 and math.copysign(1, x) < 0)]
    assert len(specials) == len(expected) >= 1
    assert all(set(item) == {"$float"} for item in specials)
    assert _signs(decode_value(encoded)) == _signs(list(floats))


def test_plain_embeddings_pass_unchanged() -> None:
    embedding = [0.25, -1.5, 1e-300, 3.0]
    assert encode_value(embedding) == embedding
    assert encode_value((1.0, 2.0)) == [1.0, 2.0]
    assert encode_value([1e308, 1e308]) == [1e308, 1e308]


def test_numpy_values_are_encoded_as_lists() -> None:
    numpy = pytest.importorskip("numpy")
    assert encode_value(numpy.array([0.5, 1.5], dtype=numpy.float32)) == [0.5, 1.5]
    assert encode_value({"n": numpy.int64(3)}) == {"n": 3}
    assert set(encode_value(numpy.float64("nan"))) == {"$float"}


@pytest.mark.parametrize("text", ['{"a": {"$integer": "AQ=="}}', '[{"$x": 1}]', '{"$bytes": 5}'])
def test_loads_rejects_malformed_markers(text: str) -> None:
    with pytest.raises(ValidationError):
        loads(text)


@settings(max_examples=300, deadline=None)
@given(values)
def test_encode_then_loads_is_identity(value: Any) -> None:
    back = loads(json.dumps(encode_value(value), allow_nan=False))
    assert back == value
    assert _signs(back) == _signs(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(), min_size=1, max_size=40))
def test_any_float_array_round_trips(floats: list[float]) -> None:
    back = loads(json.dumps(encode_value(floats), allow_nan=False))
    assert [repr(x) for x in back] == [repr(x) for x in floats]
