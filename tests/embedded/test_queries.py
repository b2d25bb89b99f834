"""Index range queries, ordering, filters, unique, and pagination against a plain reference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cortex.embedded import MutationCtx, field
from cortex.embedded.engine import Engine
from cortex.embedded.errors import EngineError
from cortex.embedded.values import index_key

from .helpers import mutable_doc

NAMESPACES = ["a", "b", "c"]
docs_strategy = st.lists(
    st.tuples(st.sampled_from(NAMESPACES), st.text("xyz", max_size=3), st.integers(-3, 3)),
    max_size=40,
)
ops = st.sampled_from(["gt", "gte", "lt", "lte", None])


def _seed(engine: Engine, rows: list[tuple[str, str, int]]) -> None:
    def seed(ctx: MutationCtx) -> None:
        for ns, key, upd in rows:
            ctx.db.insert("mutable", mutable_doc(ns, key, updatedAt=float(upd)))

    engine.run_mutation(seed)


def _ok(op: str | None, value: Any, bound: Any) -> bool:
    if op is None:
        return True
    a, b = index_key(value), index_key(bound)
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=docs_strategy,
    ns=st.sampled_from(NAMESPACES),
    lower=ops,
    lo=st.text("xyz", max_size=3),
    upper=ops,
    hi=st.text("xyz", max_size=3),
    desc=st.booleans(),
)
def test_index_range_agrees_with_plain_filter(
    rows: list[tuple[str, str, int]],
    ns: str,
    lower: str | None,
    lo: str,
    upper: str | None,
    hi: str,
    desc: bool,
) -> None:
    engine = Engine(":memory:")
    try:
        _seed(engine, rows)
        lower = lower if lower in ("gt", "gte") else None
        upper = upper if upper in ("lt", "lte") else None

        def rng(q: Any) -> Any:
            q = q.eq("namespace", ns)
            if lower:
                q = getattr(q, lower)("key", lo)
            if upper:
                q = getattr(q, upper)("key", hi)
            return q

        got = engine.run_query(
            lambda ctx: (
                ctx.db.query("mutable")
                .with_index("by_namespace_key", rng)
                .order("desc" if desc else "asc")
                .collect()
            )
        )
        everything = engine.run_query(lambda ctx: ctx.db.query("mutable").collect())
        expected = [
            d
            for d in everything
            if d["namespace"] == ns and _ok(lower, d["key"], lo) and _ok(upper, d["key"], hi)
        ]
        expected.sort(key=lambda d: (index_key(d["key"]), d["_creationTime"]), reverse=desc)
        assert [d["_id"] for d in got] == [d["_id"] for d in expected]
    finally:
        engine.close()


@settings(max_examples=40, deadline=None)
@given(rows=docs_strategy, page_size=st.integers(1, 7), desc=st.booleans(), only_z=st.booleans())
def test_pagination_visits_every_document_once(
    rows: list[tuple[str, str, int]], page_size: int, desc: bool, only_z: bool
) -> None:
    engine = Engine(":memory:")
    try:
        _seed(engine, rows)

        def query(ctx: Any) -> Any:
            q = ctx.db.query("mutable").with_index("by_updated").order("desc" if desc else "asc")
            return q.filter(lambda d: "z" in d["key"]) if only_z else q

        seen: list[str] = []
        cursor = None
        for _ in range(100):
            page = engine.run_query(
                lambda ctx, c=cursor: query(ctx).paginate({"numItems": page_size, "cursor": c})
            )
            assert len(page["page"]) <= page_size
            seen += [d["_id"] for d in page["page"]]
            cursor = page["continueCursor"]
            if page["isDone"]:
                break
        expected = [d["_id"] for d in engine.run_query(lambda ctx: query(ctx).collect())]
        assert seen == expected
        after_end = engine.run_query(
            lambda ctx: query(ctx).paginate({"numItems": page_size, "cursor": cursor})
        )
        assert after_end["page"] == [] and after_end["isDone"] is True
    finally:
        engine.close()


def test_take_first_unique_filter(engine: Engine) -> None:
    _seed(engine, [("a", "k1", 1), ("a", "k2", 2), ("a", "k3", 3), ("b", "k1", 1)])

    def q(ctx):
        return ctx.db.query("mutable").with_index("by_namespace", lambda r: r.eq("namespace", "a"))

    assert [d["key"] for d in engine.run_query(lambda ctx: q(ctx).take(2))] == ["k1", "k2"]
    assert engine.run_query(lambda ctx: q(ctx).order("desc").first())["key"] == "k3"  # type: ignore[index]
    assert (
        engine.run_query(
            lambda ctx: q(ctx).filter(field("updatedAt") >= 2).filter(field("key") != "k3").unique()
        )["key"]
        == "k2"
    )  # type: ignore[index]
    with pytest.raises(EngineError, match="more than one"):
        engine.run_query(lambda ctx: q(ctx).unique())
    assert engine.run_query(lambda ctx: q(ctx).filter(lambda d: d["key"] == "zz").unique()) is None


def test_index_misuse_is_reported(engine: Engine) -> None:
    with pytest.raises(EngineError, match="not found"):
        engine.run_query(lambda ctx: ctx.db.query("mutable").with_index("by_nothing").collect())
    with pytest.raises(EngineError, match="in order"):
        engine.run_query(
            lambda ctx: (
                ctx.db.query("mutable")
                .with_index("by_namespace_key", lambda q: q.eq("key", "k"))
                .collect()
            )
        )


def test_creation_time_is_the_implicit_last_index_field(engine: Engine) -> None:
    _seed(engine, [("a", "same", 1)] * 5)
    docs = engine.run_query(
        lambda ctx: (
            ctx.db.query("mutable")
            .with_index("by_namespace_key", lambda q: q.eq("namespace", "a"))
            .collect()
        )
    )
    cut = docs[2]["_creationTime"]
    later = engine.run_query(
        lambda ctx: (
            ctx.db.query("mutable")
            .with_index(
                "by_namespace_key",
                lambda q: q.eq("namespace", "a").eq("key", "same").gt("_creationTime", cut),
            )
            .collect()
        )
    )
    assert [d["_id"] for d in later] == [d["_id"] for d in docs[3:]]


def test_zero_item_page_keeps_the_position(engine: Engine) -> None:
    _seed(engine, [("a", "k1", 1), ("a", "k2", 2)])

    def page(ctx: Any, n: int, cursor: str | None) -> dict[str, Any]:
        return (
            ctx.db.query("mutable")
            .with_index("by_updated")
            .paginate({"numItems": n, "cursor": cursor})
        )

    empty = engine.run_query(lambda ctx: page(ctx, 0, None))
    assert empty["page"] == [] and empty["isDone"] is False
    first = engine.run_query(lambda ctx: page(ctx, 1, empty["continueCursor"]))
    assert [d["key"] for d in first["page"]] == ["k1"]
    still = engine.run_query(lambda ctx: page(ctx, 0, first["continueCursor"]))
    rest = engine.run_query(lambda ctx: page(ctx, 5, still["continueCursor"]))
    assert [d["key"] for d in rest["page"]] == ["k2"] and rest["isDone"] is True
