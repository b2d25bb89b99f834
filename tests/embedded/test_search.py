"""Full-text search on FTS5: relevance order, prefix on the last term, filter fields inside the search."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cortex.embedded import MutationCtx
from cortex.embedded.engine import Engine
from cortex.embedded.errors import EngineError

from .helpers import memory_doc


def _seed(engine: Engine) -> None:
    def seed(ctx: MutationCtx) -> None:
        ctx.db.insert("memories", memory_doc("m1", "s1", "the user likes green tea", userId="u1"))
        ctx.db.insert("memories", memory_doc("m2", "s1", "tea tea tea, always tea", userId="u2"))
        ctx.db.insert("memories", memory_doc("m3", "s1", "coffee in the morning", userId="u1"))
        ctx.db.insert("memories", memory_doc("m4", "s2", "tea ceremony", userId="u1"))
        ctx.db.insert("memories", memory_doc("m5", "s1", "teapot collection", tenantId="t1"))

    engine.run_mutation(seed)


def _search(engine: Engine, text: str, **eqs: str) -> list[str]:
    def run(ctx: object) -> list[str]:
        def build(q: object) -> object:
            q = q.search("content", text)  # type: ignore[attr-defined]
            for k, v in eqs.items():
                q = q.eq(k, v)  # type: ignore[attr-defined]
            return q

        docs = ctx.db.query("memories").with_search_index("by_content", build).collect()  # type: ignore[attr-defined]
        return [d["memoryId"] for d in docs]

    return engine.run_query(run)  # type: ignore[arg-type]


def test_ranked_by_relevance(engine: Engine) -> None:
    _seed(engine)
    assert _search(engine, "tea", memorySpaceId="s1")[0] == "m2"


def test_filter_fields_apply_inside_search(engine: Engine) -> None:
    _seed(engine)
    assert set(_search(engine, "tea", memorySpaceId="s1", userId="u1")) == {"m1"}
    assert set(_search(engine, "tea", memorySpaceId="s2")) == {"m4"}
    assert _search(engine, "coffee", memorySpaceId="s2") == []


def test_last_term_is_a_prefix_and_terms_are_alternatives(engine: Engine) -> None:
    _seed(engine)
    assert set(_search(engine, "tea", memorySpaceId="s1")) == {"m1", "m2", "m5"}
    assert set(_search(engine, "coffee gree", memorySpaceId="s1")) == {"m1", "m3"}
    assert _search(engine, "   ", memorySpaceId="s1") == []


def test_updates_and_deletes_reach_the_index(engine: Engine) -> None:
    _seed(engine)
    m3 = engine.run_query(
        lambda ctx: (
            ctx.db.query("memories")
            .with_index("by_memoryId", lambda q: q.eq("memoryId", "m3"))
            .unique()
        )
    )
    assert m3 is not None
    engine.run_mutation(lambda ctx: ctx.db.patch(m3["_id"], {"content": "now about tea"}))
    assert "m3" in _search(engine, "tea", memorySpaceId="s1")
    engine.run_mutation(lambda ctx: ctx.db.delete(m3["_id"]))
    assert "m3" not in _search(engine, "tea", memorySpaceId="s1")


def test_unknown_filter_field_is_an_error(engine: Engine) -> None:
    with pytest.raises(EngineError, match="not a filter field"):
        _search(engine, "tea", content="x")


def test_search_index_is_backfilled_at_open(db_path: object) -> None:
    engine = Engine(str(db_path))
    _seed(engine)
    engine.store.conn.execute("DELETE FROM fts_memories_by_content")
    engine.store.conn.execute("DELETE FROM meta WHERE key='fts:fts_memories_by_content'")
    engine.close()
    reopened = Engine(str(db_path))
    try:
        assert set(_search(reopened, "tea", memorySpaceId="s1")) == {"m1", "m2", "m5"}
    finally:
        reopened.close()


# --- take(k) answers from the top-k shortcut; it must equal the start of the full ranking ------------------------

_WORDS = [f"w{i}" for i in range(40)]


@pytest.fixture(scope="module")
def corpus() -> Iterator[Engine]:
    """2,000 memories in two spaces over a Zipf-like vocabulary: few rare words, many common ones."""
    import random

    rnd = random.Random(7)
    weights = [1.0 / (rank + 1) for rank in range(len(_WORDS))]
    engine = Engine(":memory:")

    def seed(ctx: MutationCtx) -> None:
        for i in range(2000):
            words = rnd.choices(_WORDS, weights=weights, k=rnd.randint(3, 12))
            ctx.db.insert("memories", memory_doc(f"m{i}", f"s{i % 2}", " ".join(words)))

    engine.run_mutation(seed)
    yield engine
    engine.close()


def _ranked(engine: Engine, text: str, k: int | None) -> list[str]:
    def run(ctx: object) -> list[str]:
        query = ctx.db.query("memories").with_search_index(  # type: ignore[attr-defined]
            "by_content", lambda q: q.search("content", text).eq("memorySpaceId", "s0")
        )
        docs = query.collect() if k is None else query.take(k)
        return [d["memoryId"] for d in docs]

    return engine.run_query(run)  # type: ignore[arg-type]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    terms=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4),
    k=st.sampled_from([1, 5, 20, 100]),
)
def test_take_is_the_start_of_the_full_ranking(corpus: Engine, terms: list[str], k: int) -> None:
    text = " ".join(terms)
    assert _ranked(corpus, text, k) == _ranked(corpus, text, None)[:k]


def _matching(engine: Engine, terms: list[str]) -> set[str]:
    """Memories of space s0 holding any of the terms (the last one also as a prefix), found without the index."""

    def run(ctx: object) -> set[str]:
        docs = ctx.db.query("memories").collect()  # type: ignore[attr-defined]
        out = set()
        for d in docs:
            words = d["content"].split()
            if d["memorySpaceId"] == "s0" and (
                any(w in words for w in terms[:-1]) or any(w.startswith(terms[-1]) for w in words)
            ):
                out.add(d["memoryId"])
        return out

    return engine.run_query(run)  # type: ignore[arg-type]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    terms=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
    n=st.integers(min_value=1, max_value=300),
)
def test_take_returns_n_distinct_documents(corpus: Engine, terms: list[str], n: int) -> None:
    text = " ".join(terms)
    matching = _matching(corpus, terms)
    taken = _ranked(corpus, text, n)
    assert len(taken) == len(set(taken)) == min(n, len(matching))
    assert set(taken) <= matching
    everything = _ranked(corpus, text, None)
    assert len(everything) == len(set(everything)) == min(len(matching), 1024)
