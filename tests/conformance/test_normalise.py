"""Unit tests of the conformance normaliser and comparison (no backend needed)."""

from __future__ import annotations

from .compare import Difference, apply, compare, equal
from .normalise import Normaliser

NOW = 1_795_000_000_000.0
DAY = 86_400_000.0


def norm() -> Normaliser:
    return Normaliser(NOW, NOW + 1000)


def test_ids_become_placeholders_in_order_of_first_appearance() -> None:
    n = norm()
    value = [{"_id": "000000000000000010000memories", "ref": "b"}, {"_id": "b"}]
    n.learn_ids(value)
    out = n.value(value)
    assert out == [{"_id": "<id:1>", "ref": "<id:2>"}, {"_id": "<id:2>"}]


def test_embedded_ids_and_ids_inside_strings() -> None:
    n = norm()
    eid = "abcdefghijklmnopqrstuvwxyz"
    assert n.value(eid) == "<id:1>"
    assert n.string(f'Patch on document "{eid}"') == 'Patch on document "<id:1>"'


def test_times_generated_ids_and_shifted_times() -> None:
    n = norm()
    assert n.value({"createdAt": NOW + 5}) == {"createdAt": "<time>"}
    assert n.value({"x": NOW - 30 * DAY + 3}) == {"x": "<time-30d>"}
    assert n.value({"expiresAt": 1_600_000_000_000}) == {"expiresAt": 1.6e12}
    gen = f"mem-{int(NOW)}-abc123xyz"
    assert n.value([gen, gen, f"fact-{int(NOW) + 1}-zz9"]) == [
        "<gen:mem:1>",
        "<gen:mem:1>",
        "<gen:fact:1>",
    ]
    assert n.value("mem-1600000000000-abc") == "mem-1600000000000-abc"
    assert (
        n.value(f'"_creationTime": {int(NOW) + 7}.028, "n": 1600000000000')
        == '"_creationTime": <time>, "n": 1600000000000'
    )

    assert n.value({"n": 1, "b": True}) == {"b": True, "n": 1.0}


def test_error_message_is_reduced_to_its_first_line() -> None:
    n = norm()
    msg = "[Request ID: 00ff] Server Error\nUncaught ConvexError: MEMORY_NOT_FOUND\n    at handler (x.js:1:1)"
    assert n.error_message(msg) == "MEMORY_NOT_FOUND"
    assert n.error_message("Uncaught Error: INVALID: bad") == "INVALID: bad"
    assert n.error_message(
        "ArgumentValidationError: Value does not match validator.\nPath: .a"
    ) == ("ArgumentValidationError: Value does not match validator.")


def test_equal_compares_numbers_as_floats_with_tolerance() -> None:
    assert equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert equal(0.30000000000000004, 0.3)
    assert not equal(0.3, 0.31)
    assert not equal(True, 1.0)
    assert not equal({"a": 1}, {"a": 1, "b": None})


def test_differences_ignore_and_unordered() -> None:
    d = Difference(
        path="memories:search", reason="r", ignore=("value.*._score",), unordered=("value",)
    )
    golden = [
        {
            "path": "memories:search",
            "status": "success",
            "value": [{"c": "x", "_score": 0.5}, {"c": "y"}],
        }
    ]
    actual = [
        {
            "path": "memories:search",
            "status": "success",
            "value": [{"c": "y"}, {"c": "x", "_score": 0.7}],
        }
    ]
    assert compare("s", golden, actual, [d]) == []
    assert len(compare("s", golden, actual, [])) == 1
    other = Difference(path="memories:list", reason="r", ignore=("value",))
    assert len(compare("s", golden, actual, [other])) == 1
    assert apply(golden[0], [d])["value"] == [{"c": "x"}, {"c": "y"}]


def test_difference_narrowed_by_message_and_backend() -> None:
    d = Difference(path="*", reason="r", ignore=("message",), when_message="^Validator error")
    golden = [{"path": "f:g", "status": "error", "message": "Validator error: x"}]
    assert compare("s", golden, [{"path": "f:g", "status": "error", "message": "other"}], [d]) == []
    assert compare("s", golden, [{"path": "f:g", "status": "success", "value": None}], [d]) != []
    assert (
        compare(
            "s",
            golden,
            [{"path": "f:g", "status": "error", "message": "o"}],
            [d],
            backend="upstream",
        )
        != []
    )
