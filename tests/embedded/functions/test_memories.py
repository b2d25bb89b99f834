"""The ``memories`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.memories import (
    MemoriesArchiveArgs,
    MemoriesCountArgs,
    MemoriesDeleteByIdsArgs,
    MemoriesDeleteManyArgs,
    MemoriesDeleteMemoryArgs,
    MemoriesExportMemoriesArgs,
    MemoriesFinalizePartialMemoryArgs,
    MemoriesGetArgs,
    MemoriesGetAtTimestampArgs,
    MemoriesGetHistoryArgs,
    MemoriesGetVersionArgs,
    MemoriesListArgs,
    MemoriesPurgeAllArgs,
    MemoriesRestoreFromArchiveArgs,
    MemoriesSearchArgs,
    MemoriesStoreArgs,
    MemoriesStorePartialMemoryArgs,
    MemoriesUpdateArgs,
    MemoriesUpdateManyArgs,
    MemoriesUpdatePartialMemoryArgs,
)
from cortex._generated.calls_sync import memories as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _store(t: Transport, content: str, space: str = "s1", **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "memory_space_id": space,
        "content": content,
        "content_type": "raw",
        "source_type": "conversation",
        "importance": 50,
        "tags": [],
    }
    fields.update(kw)
    result: dict[str, Any] = calls.memories_store(t, MemoriesStoreArgs(**fields))
    return result


def _get(t: Transport, memory_id: str, space: str = "s1") -> Any:
    return calls.memories_get(t, MemoriesGetArgs(memory_space_id=space, memory_id=memory_id))


def test_store_returns_document_with_defaults(t: Transport) -> None:
    m = _store(
        t,
        "hello",
        user_id="u1",
        tenant_id="t1",
        conversation_ref={"conversationId": "c1", "messageIds": ["m1"]},
        mutable_ref={"namespace": "n", "key": "k", "snapshotValue": None, "snapshotAt": 5},
    )
    assert m["memoryId"].startswith("mem-") and len(m["memoryId"].split("-")) == 3
    assert m["version"] == 1 and m["previousVersions"] == [] and m["accessCount"] == 0
    assert m["createdAt"] == m["updatedAt"] == m["sourceTimestamp"]
    assert m["tenantId"] == "t1" and m["userId"] == "u1"
    assert m["mutableRef"]["snapshotValue"] is None
    assert "embedding" not in m and "agentId" not in m
    assert _get(t, m["memoryId"]) == m
    assert _get(t, m["memoryId"], space="other") is None
    assert _get(t, "mem-missing") is None


def test_update_versions_and_history(t: Transport) -> None:
    m = _store(t, "v1", embedding=[1.0, 0.0])
    up = calls.memories_update(
        t,
        MemoriesUpdateArgs(
            memory_space_id="s1", memory_id=m["memoryId"], content="v2", importance=0, tags=["x"]
        ),
    )
    assert up["content"] == "v2" and up["version"] == 2 and up["importance"] == 0
    assert up["tags"] == ["x"] and up["embedding"] == [1.0, 0.0]
    assert up["previousVersions"] == [
        {"version": 1, "content": "v1", "embedding": [1.0, 0.0], "timestamp": m["updatedAt"]}
    ]
    # empty content is falsy in JavaScript: the old content is kept, but a version is still added
    up3 = calls.memories_update(
        t, MemoriesUpdateArgs(memory_space_id="s1", memory_id=m["memoryId"], content="")
    )
    assert up3["content"] == "v2" and up3["version"] == 3
    history = calls.memories_get_history(
        t, MemoriesGetHistoryArgs(memory_space_id="s1", memory_id=m["memoryId"])
    )
    assert [h["version"] for h in history] == [1, 2, 3]
    assert [h["content"] for h in history] == ["v1", "v2", "v2"]
    v1 = calls.memories_get_version(
        t, MemoriesGetVersionArgs(memory_space_id="s1", memory_id=m["memoryId"], version=1)
    )
    assert v1 == {**history[0]}
    assert (
        calls.memories_get_version(
            t, MemoriesGetVersionArgs(memory_space_id="s1", memory_id=m["memoryId"], version=9)
        )
        is None
    )
    at = calls.memories_get_at_timestamp(
        t,
        MemoriesGetAtTimestampArgs(
            memory_space_id="s1", memory_id=m["memoryId"], timestamp=up3["updatedAt"] + 1
        ),
    )
    assert at is not None and at["version"] == 3
    before = calls.memories_get_at_timestamp(
        t,
        MemoriesGetAtTimestampArgs(
            memory_space_id="s1", memory_id=m["memoryId"], timestamp=m["createdAt"] - 1
        ),
    )
    assert before is None
    assert (
        calls.memories_get_history(
            t, MemoriesGetHistoryArgs(memory_space_id="other", memory_id=m["memoryId"])
        )
        == []
    )


def test_errors_are_convex_errors(t: Transport) -> None:
    m = _store(t, "x")
    with pytest.raises(FunctionError) as info:
        calls.memories_update(
            t, MemoriesUpdateArgs(memory_space_id="other", memory_id=m["memoryId"], content="y")
        )
    assert info.value.code == "PERMISSION_DENIED" and info.value.data == "PERMISSION_DENIED"
    with pytest.raises(FunctionError) as info:
        calls.memories_delete_memory(
            t, MemoriesDeleteMemoryArgs(memory_space_id="s1", memory_id="mem-none")
        )
    assert info.value.code == "MEMORY_NOT_FOUND"
    with pytest.raises(FunctionError) as info:
        calls.memories_restore_from_archive(
            t, MemoriesRestoreFromArchiveArgs(memory_space_id="s1", memory_id=m["memoryId"])
        )
    assert info.value.code == "MEMORY_NOT_ARCHIVED"
    assert _get(t, m["memoryId"])["version"] == 1  # nothing written by the failed calls


def test_archive_and_restore(t: Transport) -> None:
    m = _store(t, "x", importance=80, tags=["a"])
    out = calls.memories_archive(
        t, MemoriesArchiveArgs(memory_space_id="s1", memory_id=m["memoryId"])
    )
    assert out == {"archived": True, "memoryId": m["memoryId"], "restorable": True}
    archived = _get(t, m["memoryId"])
    assert archived["tags"] == ["a", "archived"] and archived["importance"] == 10
    restored = calls.memories_restore_from_archive(
        t, MemoriesRestoreFromArchiveArgs(memory_space_id="s1", memory_id=m["memoryId"])
    )
    assert restored["restored"] is True
    assert restored["memory"]["tags"] == ["a"] and restored["memory"]["importance"] == 50


def test_partial_memory_lifecycle(t: Transport) -> None:
    out = calls.memories_store_partial_memory(
        t,
        MemoriesStorePartialMemoryArgs(
            memory_space_id="s1",
            conversation_id="c1",
            user_id="u1",
            content="He",
            is_partial=True,
            metadata={"n": 1},
            importance=40,
            tags=["streaming", "keep", "partial"],
        ),
    )
    assert out["memoryId"].startswith("mem-partial-")
    calls.memories_update_partial_memory(
        t, MemoriesUpdatePartialMemoryArgs(memory_id=out["memoryId"], content="Hel", metadata=2)
    )
    mid = _get(t, out["memoryId"])
    assert mid["content"] == "Hel" and mid["partialMetadata"] == 2 and mid["isPartial"] is True
    assert mid["conversationRef"] == {"conversationId": "c1", "messageIds": []}
    calls.memories_finalize_partial_memory(
        t,
        MemoriesFinalizePartialMemoryArgs(
            memory_id=out["memoryId"], content="Hello", embedding=[0.5, 0.5], metadata=None
        ),
    )
    done = _get(t, out["memoryId"])
    assert done["isPartial"] is False and done["tags"] == ["keep"]
    assert done["embedding"] == [0.5, 0.5] and done["partialMetadata"] is None
    with pytest.raises(FunctionError) as info:
        calls.memories_update_partial_memory(
            t, MemoriesUpdatePartialMemoryArgs(memory_id="nope", content="x", metadata={})
        )
    assert info.value.code == "MEMORY_NOT_FOUND"


def test_list_count_filters(t: Transport) -> None:
    a = _store(t, "a", user_id="u1")
    b = _store(t, "b", source_type="tool")
    c = _store(t, "c", user_id="u1")
    _store(t, "elsewhere", space="s2", user_id="u1")
    listed = calls.memories_list(t, MemoriesListArgs(memory_space_id="s1"))
    assert [m["memoryId"] for m in listed] == [c["memoryId"], b["memoryId"], a["memoryId"]]
    limited = calls.memories_list(t, MemoriesListArgs(memory_space_id="s1", limit=2, user_id="u1"))
    assert [m["memoryId"] for m in limited] == [c["memoryId"]]  # filter after take(limit)
    assert calls.memories_count(t, MemoriesCountArgs(memory_space_id="s1")) == 3
    assert calls.memories_count(t, MemoriesCountArgs(memory_space_id="s1", user_id="u1")) == 2
    assert calls.memories_count(t, MemoriesCountArgs(memory_space_id="s1", source_type="tool")) == 1


def test_keyword_search_is_scoped_to_the_space(t: Transport) -> None:
    a = _store(t, "I love hiking", tags=["outdoor"], importance=90)
    _store(t, "hiking boots", importance=10)
    _store(t, "hiking elsewhere", space="s2")
    found = calls.memories_search(t, MemoriesSearchArgs(memory_space_id="s1", query="hiking"))
    assert {m["content"] for m in found} == {"I love hiking", "hiking boots"}
    assert all("_score" not in m for m in found)
    narrowed = calls.memories_search(
        t,
        MemoriesSearchArgs(
            memory_space_id="s1", query="hiking", tags=["outdoor"], min_importance=50
        ),
    )
    assert [m["memoryId"] for m in narrowed] == [a["memoryId"]]


def test_vector_search_scores_are_cosine_similarity(t: Transport) -> None:
    user = _store(t, "I love hiking", embedding=[1.0, 0.0, 0.0], message_role="user")
    ack = _store(t, "Got it, noted", embedding=[0.9, 0.1, 0.0], message_role="agent")
    gear = _store(
        t, "boots", embedding=[0.7, 0.7, 0.0], fact_category="gear", enriched_content="boots"
    )
    _store(t, "opposite", embedding=[-1.0, 0.0, 0.0])
    _store(t, "other dims", embedding=[1.0, 0.0])
    _store(t, "same vector, other space", space="s2", embedding=[1.0, 0.0, 0.0])
    found = calls.memories_search(
        t, MemoriesSearchArgs(memory_space_id="s1", query="", embedding=[1.0, 0.0, 0.0])
    )
    by_id = {m["memoryId"]: m["_score"] for m in found}
    assert set(by_id) == {user["memoryId"], ack["memoryId"], gear["memoryId"]}
    assert by_id[user["memoryId"]] == pytest.approx(1.25)  # user role boost
    ack_cos = 0.9 / math.sqrt(0.82)
    assert by_id[ack["memoryId"]] == pytest.approx(ack_cos * 0.5)  # acknowledgment penalty
    assert by_id[gear["memoryId"]] == pytest.approx(0.7 / math.sqrt(0.98) * 1.1)
    assert [m["_score"] for m in found] == sorted(by_id.values(), reverse=True)
    boosted = calls.memories_search(
        t,
        MemoriesSearchArgs(
            memory_space_id="s1",
            query="",
            embedding=[1.0, 0.0, 0.0],
            query_category="gear",
            min_score=0.8,
        ),
    )
    assert [m["memoryId"] for m in boosted] == [user["memoryId"], gear["memoryId"]]
    top1 = calls.memories_search(
        t, MemoriesSearchArgs(memory_space_id="s1", query="", embedding=[1.0, 0.0, 0.0], limit=1)
    )
    assert [m["memoryId"] for m in top1] == [user["memoryId"]]


def test_export_json_and_csv(t: Transport) -> None:
    _store(t, "a, b", tags=["x", "y"], importance=75, embedding=[1.0, 2.0], user_id="u1")
    _store(t, "c", source_type="tool", source_user_id="u1")
    _store(t, "d")
    js = calls.memories_export_memories(
        t,
        MemoriesExportMemoriesArgs(
            memory_space_id="s1", format="json", user_id="u1", include_embeddings=True
        ),
    )
    assert js["format"] == "json" and js["count"] == 2
    data = json.loads(js["data"])
    assert data[0]["content"] == "a, b" and data[0]["embedding"] == [1, 2]
    assert '"importance": 75,' in js["data"]  # integral numbers written like JSON.stringify
    assert "embedding" not in data[1]
    csv = calls.memories_export_memories(
        t, MemoriesExportMemoriesArgs(memory_space_id="s1", format="csv")
    )
    lines = csv["data"].split("\n")
    assert lines[0] == "memoryId,content,sourceType,importance,tags,createdAt"
    first = lines[1].split(",")
    assert first[1:5] == ["a; b", "conversation", "75", "x;y"]
    assert first[5].endswith("Z") and "T" in first[5]
    assert csv["count"] == 3


def test_bulk_update_and_deletes(t: Transport) -> None:
    a = _store(t, "a", user_id="u1")
    b = _store(t, "b", source_user_id="u1", source_type="tool")
    c = _store(t, "c")
    up = calls.memories_update_many(
        t, MemoriesUpdateManyArgs(memory_space_id="s1", user_id="u1", importance=99, tags=["z"])
    )
    assert up == {"updated": 1, "memoryIds": [a["memoryId"]]}
    after = _get(t, a["memoryId"])
    assert after["importance"] == 99 and after["tags"] == ["z"] and after["version"] == 1
    deleted = calls.memories_delete_many(
        t, MemoriesDeleteManyArgs(memory_space_id="s1", user_id="u1")
    )
    assert deleted == {"deleted": 2, "memoryIds": [a["memoryId"], b["memoryId"]]}
    by_ids = calls.memories_delete_by_ids(
        t, MemoriesDeleteByIdsArgs(memory_ids=[c["memoryId"], "mem-none"])
    )
    assert by_ids == {"deleted": 1, "memoryIds": [c["memoryId"]]}
    assert calls.memories_count(t, MemoriesCountArgs(memory_space_id="s1")) == 0
    d = _store(t, "d")
    assert calls.memories_delete_memory(
        t, MemoriesDeleteMemoryArgs(memory_space_id="s1", memory_id=d["memoryId"])
    ) == {"deleted": True, "memoryId": d["memoryId"]}


def test_purge_all_needs_allow_purge(t: Transport) -> None:
    _store(t, "a")
    _store(t, "b", space="s2")
    assert calls.memories_purge_all(t, MemoriesPurgeAllArgs()) == {"deleted": 2}
    with SyncEmbeddedTransport(":memory:") as locked:
        _store(locked, "kept")
        with pytest.raises(FunctionError) as info:
            calls.memories_purge_all(locked, MemoriesPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.memories_count(locked, MemoriesCountArgs(memory_space_id="s1")) == 1


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", MemoriesStoreArgs, {"memorySpaceId": "s1", "content": "x"}, "contentType"),
        (
            "query",
            MemoriesSearchArgs,
            {"memorySpaceId": "s1", "query": "x", "embedding": [1, "a"]},
            None,
        ),
        ("query", MemoriesListArgs, {"memorySpaceId": "s1", "sourceType": "fact"}, None),
        ("query", MemoriesGetArgs, {"memorySpaceId": "s1", "memoryId": "m", "extra": 1}, "extra"),
    ],
)
def test_bad_arguments_are_rejected_before_writing(
    t: Transport, kind: Any, model: type, args: dict[str, Any], field: str | None
) -> None:
    with pytest.raises(BackendValidationError) as info:
        t.call(kind, path_of(model), args)
    assert info.value.code == "ARGUMENT_VALIDATION_ERROR"
    if field is not None:
        assert info.value.field == field
    assert calls.memories_count(t, MemoriesCountArgs(memory_space_id="s1")) == 0


async def test_sdk_vector_namespace_search() -> None:
    from cortex import Cortex, CortexConfig

    async with Cortex(CortexConfig(local_path=":memory:")) as client:
        source = {"type": "conversation"}
        near = await client.vector.store(
            "s1",
            {
                "content": "near",
                "contentType": "raw",
                "embedding": [1.0, 0.1],
                "source": source,
                "metadata": {"importance": 50, "tags": []},
            },
        )
        await client.vector.store(
            "s1",
            {
                "content": "far",
                "contentType": "raw",
                "embedding": [0.1, 1.0],
                "source": source,
                "metadata": {"importance": 50, "tags": []},
            },
        )
        found = await client.vector.search("s1", "", {"embedding": [1.0, 0.0], "limit": 1})
        assert [m.memory_id for m in found] == [near.memory_id]
