"""The document layer: ids, creation times, validation, insert/patch/replace/delete, transactions."""

from __future__ import annotations

import itertools

import pytest

from cortex.embedded import UNDEFINED, MutationCtx, QueryCtx
from cortex.embedded.engine import Engine
from cortex.embedded.errors import EngineError

from .helpers import conversation_doc, memory_doc, mutable_doc


def test_insert_get_has_system_fields(engine: Engine) -> None:
    doc_id = engine.run_mutation(
        lambda ctx: ctx.db.insert("mutable", mutable_doc("ns", "k", {"a": [1, 2]}))
    )
    got = engine.run_query(lambda ctx: ctx.db.get(doc_id))
    assert got is not None
    assert got["_id"] == doc_id
    assert isinstance(got["_creationTime"], float)
    assert got["value"] == {"a": [1, 2]}
    assert list(got)[:2] == ["_id", "_creationTime"]


def test_ids_name_their_table(engine: Engine) -> None:
    mid = engine.run_mutation(lambda ctx: ctx.db.insert("mutable", mutable_doc("ns", "k")))
    assert engine.store.ids.table_of(mid) == "mutable"
    assert engine.run_query(lambda ctx: ctx.db.normalize_id("mutable", mid)) == mid
    assert engine.run_query(lambda ctx: ctx.db.normalize_id("memories", mid)) is None
    with pytest.raises(EngineError, match="Unable to decode ID"):
        engine.run_query(lambda ctx: ctx.db.get("not-an-id"))


def test_creation_time_strictly_increases(engine: Engine) -> None:
    def many(ctx: MutationCtx) -> list[str]:
        return [ctx.db.insert("mutable", mutable_doc("ns", f"k{i}")) for i in range(200)]

    ids = engine.run_mutation(many)
    times = engine.run_query(lambda ctx: [ctx.db.get(i)["_creationTime"] for i in ids])  # type: ignore[index]
    assert all(a < b for a, b in itertools.pairwise(times))


def test_schema_violation_is_rejected_with_convex_wording(engine: Engine) -> None:
    with pytest.raises(EngineError) as info:
        engine.run_mutation(lambda ctx: ctx.db.insert("mutable", {"namespace": "n", "key": "k"}))
    text = str(info.value)
    assert (
        'Failed to insert or update a document in table "mutable" because it does not match the schema'
        in text
    )
    assert "Object is missing the required field `value`" in text
    with pytest.raises(EngineError, match="extra field `bogus`"):
        engine.run_mutation(lambda ctx: ctx.db.insert("mutable", mutable_doc("n", "k", bogus=1)))
    with pytest.raises(EngineError, match=r"Path: \.namespace"):
        engine.run_mutation(lambda ctx: ctx.db.insert("mutable", mutable_doc(5, "k")))  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="not in the schema"):
        engine.run_mutation(lambda ctx: ctx.db.insert("nope", {}))


def test_patch_undefined_removes_none_sets_null(engine: Engine) -> None:
    doc_id = engine.run_mutation(
        lambda ctx: ctx.db.insert("mutable", mutable_doc("ns", "k", userId="u1", metadata={"x": 1}))
    )
    engine.run_mutation(
        lambda ctx: ctx.db.patch(doc_id, {"userId": UNDEFINED, "metadata": None, "value": 7})
    )
    got = engine.run_query(lambda ctx: ctx.db.get(doc_id))
    assert got is not None
    assert "userId" not in got
    assert got["metadata"] is None
    assert got["value"] == 7
    with pytest.raises(EngineError, match="missing the required field `key`"):
        engine.run_mutation(lambda ctx: ctx.db.patch(doc_id, {"key": UNDEFINED}))


def test_insert_drops_undefined(engine: Engine) -> None:
    doc_id = engine.run_mutation(
        lambda ctx: ctx.db.insert("mutable", mutable_doc("ns", "k", userId=UNDEFINED))
    )
    got = engine.run_query(lambda ctx: ctx.db.get(doc_id))
    assert got is not None and "userId" not in got


def test_replace_and_delete(engine: Engine) -> None:
    doc_id = engine.run_mutation(
        lambda ctx: ctx.db.insert("mutable", mutable_doc("ns", "k", userId="u1"))
    )
    before = engine.run_query(lambda ctx: ctx.db.get(doc_id))
    engine.run_mutation(lambda ctx: ctx.db.replace(doc_id, mutable_doc("ns2", "k2")))
    after = engine.run_query(lambda ctx: ctx.db.get(doc_id))
    assert after is not None and before is not None
    assert after["namespace"] == "ns2" and "userId" not in after
    assert after["_creationTime"] == before["_creationTime"]
    by_old = engine.run_query(
        lambda ctx: (
            ctx.db.query("mutable")
            .with_index("by_namespace", lambda q: q.eq("namespace", "ns"))
            .collect()
        )
    )
    assert by_old == []
    engine.run_mutation(lambda ctx: ctx.db.delete(doc_id))
    assert engine.run_query(lambda ctx: ctx.db.get(doc_id)) is None
    with pytest.raises(EngineError, match="nonexistent"):
        engine.run_mutation(lambda ctx: ctx.db.delete(doc_id))


def test_failed_mutation_rolls_back_everything(engine: Engine) -> None:
    def half(ctx: MutationCtx) -> None:
        ctx.db.insert("mutable", mutable_doc("ns", "a"))
        ctx.db.insert("memories", memory_doc("m1", content="rollback me"))
        raise RuntimeError("BOOM: stop")

    with pytest.raises(RuntimeError):
        engine.run_mutation(half)

    def count(ctx: QueryCtx) -> tuple[int, int, int]:
        search = ctx.db.query("memories").with_search_index(
            "by_content", lambda q: q.search("content", "rollback")
        )
        return (
            len(ctx.db.query("mutable").collect()),
            len(ctx.db.query("memories").collect()),
            len(search.collect()),
        )

    assert engine.run_query(count) == (0, 0, 0)


def test_writes_are_refused_in_queries(engine: Engine) -> None:
    with pytest.raises(AttributeError):
        engine.run_query(lambda ctx: ctx.db.insert("mutable", mutable_doc("n", "k")))  # type: ignore[attr-defined]


def test_nested_index_path(engine: Engine) -> None:
    def seed(ctx: MutationCtx) -> None:
        ctx.db.insert("conversations", conversation_doc("c1", "s1", {"userId": "alice"}))
        ctx.db.insert("conversations", conversation_doc("c2", "s1", {"agentId": "bot"}))
        ctx.db.insert("conversations", conversation_doc("c3", "s2", {"userId": "alice"}))

    engine.run_mutation(seed)
    found = engine.run_query(
        lambda ctx: [
            d["conversationId"]
            for d in ctx.db.query("conversations")
            .with_index(
                "by_memorySpace_user",
                lambda q: q.eq("memorySpaceId", "s1").eq("participants.userId", "alice"),
            )
            .collect()
        ]
    )
    assert found == ["c1"]
    # A document without the nested field is indexed under `undefined`, like Convex.
    missing = engine.run_query(
        lambda ctx: [
            d["conversationId"]
            for d in ctx.db.query("conversations")
            .with_index("by_user", lambda q: q.eq("participants.userId", UNDEFINED))
            .collect()
        ]
    )
    assert missing == ["c2"]
