"""Index key encoding: memcmp order equals Convex's value order; encodings are prefix-free."""

from __future__ import annotations

import functools
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cortex.embedded import values
from cortex.embedded.values import UNDEFINED, index_key

TYPE_RANK = {type(None): 1, float: 3, int: 3, bool: 4, str: 5, bytes: 6, list: 7, dict: 8}

leaf = (
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.text(max_size=6)
    | st.binary(max_size=6)
)
convex_values = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("abc", max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def reference_cmp(a: Any, b: Any) -> int:
    """Convex's order written directly: by type rank, then by value."""
    ra, rb = TYPE_RANK[type(a)], TYPE_RANK[type(b)]
    if ra != rb:
        return (ra > rb) - (ra < rb)
    if isinstance(a, list):
        for x, y in zip(a, b, strict=False):
            c = reference_cmp(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if isinstance(a, dict):
        return reference_cmp(
            [x for kv in a.items() for x in (kv[0].encode(), kv[1])],
            [x for kv in b.items() for x in (kv[0].encode(), kv[1])],
        )
    if isinstance(a, str):
        a, b = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        a, b = float(a), float(b)
        if a == 0.0 and b == 0.0:  # -0.0 sorts before 0.0 in the byte order
            return (math.copysign(1, a) > math.copysign(1, b)) - (
                math.copysign(1, a) < math.copysign(1, b)
            )
    if a is None:
        return 0
    return (a > b) - (a < b)


@given(st.lists(convex_values, max_size=8))
def test_key_order_matches_reference_order(items: list[Any]) -> None:
    by_key = sorted(items, key=index_key)
    by_reference = sorted(items, key=functools.cmp_to_key(reference_cmp))
    assert [index_key(v) for v in by_key] == [index_key(v) for v in by_reference]


@given(convex_values, convex_values)
def test_no_encoding_is_a_prefix_of_another(a: Any, b: Any) -> None:
    ka, kb = index_key(a), index_key(b)
    if ka != kb:
        assert not kb.startswith(ka)
        assert not ka.startswith(kb)


@given(st.lists(st.tuples(convex_values, convex_values), min_size=2, max_size=6))
def test_concatenated_keys_order_like_tuples(pairs: list[tuple[Any, Any]]) -> None:
    def tuple_cmp(x: tuple[Any, Any], y: tuple[Any, Any]) -> int:
        return reference_cmp(x[0], y[0]) or reference_cmp(x[1], y[1])

    by_key = sorted(pairs, key=lambda p: index_key(p[0]) + index_key(p[1]))
    by_ref = sorted(pairs, key=functools.cmp_to_key(tuple_cmp))
    assert [index_key(p[0]) + index_key(p[1]) for p in by_key] == [
        index_key(p[0]) + index_key(p[1]) for p in by_ref
    ]


def test_undefined_sorts_first_and_ints_equal_floats() -> None:
    assert (
        index_key(UNDEFINED)
        < index_key(None)
        < index_key(-1e300)
        < index_key(False)
        < index_key("")
    )
    assert index_key(5) == index_key(5.0)


def test_field_paths_walk_objects_not_arrays() -> None:
    doc = {"participants": {"userId": "u1"}, "list": [{"userId": "u2"}]}
    assert values.field_path_value(doc, "participants.userId") == "u1"
    assert values.field_path_value(doc, "list.userId") is UNDEFINED
    assert values.field_path_value(doc, "missing.x") is UNDEFINED


@given(
    st.dictionaries(
        st.text("xyz", min_size=1, max_size=3), convex_values | st.just(math.inf), max_size=4
    )
)
def test_storage_round_trip(doc: dict[str, Any]) -> None:
    assert values.loads(values.dumps(doc)) == doc
