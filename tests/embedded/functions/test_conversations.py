"""The ``conversations`` module through the in-process transport: creation rules, messages, queries, deletes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsCountArgs,
    ConversationsCreateArgs,
    ConversationsDeleteByIdsArgs,
    ConversationsDeleteConversationArgs,
    ConversationsDeleteManyArgs,
    ConversationsExportConversationsArgs,
    ConversationsFindConversationArgs,
    ConversationsGetArgs,
    ConversationsGetHistoryArgs,
    ConversationsGetMessageArgs,
    ConversationsGetMessagesByIdsArgs,
    ConversationsGetOrCreateArgs,
    ConversationsListArgs,
    ConversationsPurgeAllArgs,
    ConversationsSearchArgs,
)
from cortex._generated.calls_sync import conversations as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

UA = {"userId": "u1", "agentId": "a1"}


@pytest.fixture
def t() -> Iterator[SyncEmbeddedTransport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _create(t: SyncEmbeddedTransport, cid: str, space: str = "s1", **kw: Any) -> Any:
    kw.setdefault("type", "user-agent")
    kw.setdefault("participants", UA)
    doc = calls.conversations_create(
        t, ConversationsCreateArgs(conversation_id=cid, memory_space_id=space, **kw)
    )
    time.sleep(0.002)
    return doc


def _say(t: SyncEmbeddedTransport, cid: str, mid: str, content: str, role: str = "user") -> Any:
    doc = calls.conversations_add_message(
        t,
        ConversationsAddMessageArgs(
            conversation_id=cid, message={"id": mid, "role": role, "content": content}
        ),
    )
    time.sleep(0.002)
    return doc


def _code(exc: pytest.ExceptionInfo[FunctionError]) -> Any:
    return exc.value.data


def test_create_rules_and_duplicates(t: SyncEmbeddedTransport) -> None:
    doc = _create(t, "c1", tenant_id="t1", metadata={"k": "v"})
    assert doc["messages"] == [] and doc["messageCount"] == 0 and doc["tenantId"] == "t1"
    assert doc["participants"] == UA and doc["metadata"] == {"k": "v"}
    assert _create(t, "c2")["metadata"] == {}
    with pytest.raises(FunctionError) as info:
        _create(t, "c1")
    assert _code(info) == "CONVERSATION_ALREADY_EXISTS"
    with pytest.raises(FunctionError) as info:
        _create(t, "x", participants={"userId": "u1"})
    assert str(_code(info)).startswith("agentId is required")
    with pytest.raises(FunctionError) as info:
        _create(t, "x", participants={"agentId": "a1"})
    assert _code(info) == "user-agent conversations require userId"
    with pytest.raises(FunctionError) as info:
        _create(t, "x", type="agent-agent", participants={"memorySpaceIds": ["s1"]})
    assert _code(info) == "agent-agent conversations require at least 2 memorySpaceIds"
    assert calls.conversations_count(t, ConversationsCountArgs()) == 2


def test_messages_append_and_read(t: SyncEmbeddedTransport) -> None:
    _create(t, "c1")
    _say(t, "c1", "m1", "hello")
    doc = _say(t, "c1", "m2", "hi there", role="agent")
    assert doc["messageCount"] == 2 and [m["id"] for m in doc["messages"]] == ["m1", "m2"]
    assert doc["messages"][1]["timestamp"] >= doc["messages"][0]["timestamp"]
    assert doc["updatedAt"] >= doc["createdAt"]
    with pytest.raises(FunctionError) as info:
        _say(t, "nope", "m", "x")
    assert _code(info) == "CONVERSATION_NOT_FOUND"
    msg = calls.conversations_get_message(
        t, ConversationsGetMessageArgs(conversation_id="c1", message_id="m2")
    )
    assert msg["content"] == "hi there" and msg["role"] == "agent"
    assert (
        calls.conversations_get_message(
            t, ConversationsGetMessageArgs(conversation_id="c1", message_id="zz")
        )
        is None
    )
    some = calls.conversations_get_messages_by_ids(
        t, ConversationsGetMessagesByIdsArgs(conversation_id="c1", message_ids=["m2", "m1", "q"])
    )
    assert [m["id"] for m in some] == ["m1", "m2"]
    got = calls.conversations_get(t, ConversationsGetArgs(conversation_id="c1", message_limit=1))
    assert [m["id"] for m in got["messages"]] == ["m2"]
    bare = calls.conversations_get(
        t, ConversationsGetArgs(conversation_id="c1", include_messages=False)
    )
    assert bare["messages"] == [] and bare["messageCount"] == 2


def test_get_respects_tenant(t: SyncEmbeddedTransport) -> None:
    _create(t, "c1", tenant_id="t1")
    assert (
        calls.conversations_get(t, ConversationsGetArgs(conversation_id="c1", tenant_id="t2"))
        is None
    )
    assert calls.conversations_get(t, ConversationsGetArgs(conversation_id="c1", tenant_id="t1"))
    assert calls.conversations_get(t, ConversationsGetArgs(conversation_id="missing")) is None


def test_history_pages_filters(t: SyncEmbeddedTransport) -> None:
    _create(t, "c1")
    for i in range(5):
        _say(t, "c1", f"m{i}", f"text {i}", role="agent" if i % 2 else "user")
    page = calls.conversations_get_history(
        t, ConversationsGetHistoryArgs(conversation_id="c1", limit=2, offset=1, sort_order="desc")
    )
    assert [m["id"] for m in page["messages"]] == ["m3", "m2"]
    assert page["total"] == 5 and page["hasMore"] is True and page["conversationId"] == "c1"
    agents = calls.conversations_get_history(
        t, ConversationsGetHistoryArgs(conversation_id="c1", roles=["agent"])
    )
    assert [m["id"] for m in agents["messages"]] == ["m1", "m3"] and agents["hasMore"] is False
    with pytest.raises(FunctionError) as info:
        calls.conversations_get_history(t, ConversationsGetHistoryArgs(conversation_id="x"))
    assert _code(info) == "CONVERSATION_NOT_FOUND"


def test_get_or_create_and_find(t: SyncEmbeddedTransport) -> None:
    made = calls.conversations_get_or_create(
        t,
        ConversationsGetOrCreateArgs(memory_space_id="s1", type="user-agent", participants=UA),
    )
    assert made["conversationId"].startswith("conv-") and made["messageCount"] == 0
    again = calls.conversations_get_or_create(
        t,
        ConversationsGetOrCreateArgs(memory_space_id="s1", type="user-agent", participants=UA),
    )
    assert again["_id"] == made["_id"]
    other_agent = calls.conversations_get_or_create(
        t,
        ConversationsGetOrCreateArgs(
            memory_space_id="s1", type="user-agent", participants={"userId": "u1", "agentId": "a2"}
        ),
    )
    assert other_agent["_id"] != made["_id"]
    pair = calls.conversations_get_or_create(
        t,
        ConversationsGetOrCreateArgs(
            memory_space_id="s1", type="agent-agent", participants={"memorySpaceIds": ["b", "a"]}
        ),
    )
    found = calls.conversations_find_conversation(
        t,
        ConversationsFindConversationArgs(
            memory_space_id="elsewhere", type="agent-agent", memory_space_ids=["a", "b"]
        ),
    )
    assert found["_id"] == pair["_id"]
    user = calls.conversations_find_conversation(
        t, ConversationsFindConversationArgs(memory_space_id="s1", type="user-agent", user_id="u1")
    )
    assert user["_id"] == made["_id"]
    assert (
        calls.conversations_find_conversation(
            t, ConversationsFindConversationArgs(memory_space_id="s1", type="user-agent")
        )
        is None
    )


def test_list_filters_sort_pages(t: SyncEmbeddedTransport) -> None:
    _create(t, "c1", "s1")
    _create(t, "c2", "s1", tenant_id="t1", participants={"userId": "u2", "agentId": "a1"})
    _create(t, "c3", "s2", type="agent-agent", participants={"memorySpaceIds": ["s1", "s2"]})
    _say(t, "c1", "m", "x")
    _say(t, "c1", "n", "y")
    _say(t, "c2", "m", "z")
    everything = calls.conversations_list(t, ConversationsListArgs())
    assert [c["conversationId"] for c in everything["conversations"]] == ["c3", "c2", "c1"]
    assert (everything["total"], everything["limit"], everything["offset"]) == (3, 50, 0)
    by_count = calls.conversations_list(
        t, ConversationsListArgs(sort_by="messageCount", sort_order="asc", include_messages=False)
    )
    assert [c["conversationId"] for c in by_count["conversations"]] == ["c3", "c2", "c1"]
    assert all(c["messages"] == [] for c in by_count["conversations"])
    tenant = calls.conversations_list(t, ConversationsListArgs(tenant_id="t1", user_id="u2"))
    assert [c["conversationId"] for c in tenant["conversations"]] == ["c2"]
    space_user = calls.conversations_list(
        t, ConversationsListArgs(memory_space_id="s1", user_id="u1")
    )
    assert [c["conversationId"] for c in space_user["conversations"]] == ["c1"]
    paged = calls.conversations_list(t, ConversationsListArgs(limit=1, offset=1, sort_order="asc"))
    assert [c["conversationId"] for c in paged["conversations"]] == ["c2"] and paged["hasMore"]
    counted = calls.conversations_list(
        t, ConversationsListArgs(message_count_min=1, type="user-agent")
    )
    assert counted["total"] == 2
    assert (
        calls.conversations_count(t, ConversationsCountArgs(memory_space_id="s1", user_id="u2"))
        == 1
    )


def test_search_modes_and_scores(t: SyncEmbeddedTransport) -> None:
    _create(t, "c1", metadata={"topic": "travel plans"})
    _say(t, "c1", "m1", "Where is the Eiffel Tower?")
    _say(t, "c1", "m2", "It is in Paris.")
    _create(t, "c2", participants={"userId": "u2", "agentId": "a1"})
    _say(t, "c2", "m1", "Paris restaurants please")
    found = calls.conversations_search(t, ConversationsSearchArgs(query="paris"))
    assert [(r["conversation"]["conversationId"], r["score"]) for r in found] == [
        ("c2", 1),
        ("c1", 0.5),
    ]
    assert found[1]["highlights"] == ["It is in Paris."]
    meta = calls.conversations_search(t, ConversationsSearchArgs(query="travel", search_in="both"))
    assert [(r["conversation"]["conversationId"], r["score"]) for r in meta] == [("c1", 0.5)]
    fuzzy = calls.conversations_search(
        t, ConversationsSearchArgs(query="tower eiffel", match_mode="fuzzy")
    )
    assert [r["conversation"]["conversationId"] for r in fuzzy] == ["c1"]
    assert fuzzy[0]["highlights"] == ["Where is the Eiffel Tower?"]
    exact = calls.conversations_search(
        t, ConversationsSearchArgs(query="it is in paris.", match_mode="exact", user_id="u1")
    )
    assert [m["id"] for m in exact[0]["matchedMessages"]] == ["m2"]


def test_export_json_and_csv(t: SyncEmbeddedTransport) -> None:
    doc = _create(t, "c1", metadata={"b": 1, "a": 2})
    _say(t, "c1", "m1", "hello, world")
    out = calls.conversations_export_conversations(
        t, ConversationsExportConversationsArgs(format="json", include_metadata=True)
    )
    assert out["format"] == "json" and out["count"] == 1
    assert out["data"].startswith('[\n  {\n    "conversationId": "c1",\n    "type": "user-agent"')
    exported = json.loads(out["data"])
    assert exported[0]["metadata"] == {"a": 2, "b": 1} and exported[0]["messageCount"] == 1
    assert '"messageCount": 1,' in out["data"]  # JavaScript number formatting
    csv = calls.conversations_export_conversations(
        t, ConversationsExportConversationsArgs(format="csv", include_metadata=True)
    )["data"]
    header, row = csv.split("\n")
    assert header == "conversationId,type,participants,messageCount,createdAt,updatedAt,metadata"
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(doc["createdAt"] / 1000))
    assert row.startswith(f'c1,user-agent,{{"agentId":"a1","userId":"u1"}},1,{created}.')
    assert row.endswith('Z,{"a":2,"b":1}')


def test_deletes(t: SyncEmbeddedTransport) -> None:
    for i in range(3):
        _create(t, f"c{i}", "s1")
        _say(t, f"c{i}", "m", "x")
    dry = calls.conversations_delete_many(
        t, ConversationsDeleteManyArgs(memory_space_id="s1", dry_run=True)
    )
    assert dry["wouldDelete"] == 3 and dry["wouldDeleteMessages"] == 3 and dry["deleted"] == 0
    with pytest.raises(FunctionError) as info:
        calls.conversations_delete_many(
            t, ConversationsDeleteManyArgs(memory_space_id="s1", confirmation_threshold=2)
        )
    assert str(_code(info)).startswith(
        "DELETE_MANY_THRESHOLD_EXCEEDED: Would delete 3 conversations (threshold: 2)."
    )
    assert calls.conversations_count(t, ConversationsCountArgs()) == 3
    gone = calls.conversations_delete_conversation(
        t, ConversationsDeleteConversationArgs(conversation_id="c0")
    )
    assert gone["deleted"] is True and gone["messagesDeleted"] == 1 and gone["restorable"] is False
    with pytest.raises(FunctionError) as info:
        calls.conversations_delete_conversation(
            t, ConversationsDeleteConversationArgs(conversation_id="c0")
        )
    assert _code(info) == "CONVERSATION_NOT_FOUND"
    by_ids = calls.conversations_delete_by_ids(
        t, ConversationsDeleteByIdsArgs(conversation_ids=["c1", "nope"])
    )
    assert by_ids == {"deleted": 1, "conversationIds": ["c1"], "totalMessagesDeleted": 1}
    many = calls.conversations_delete_many(t, ConversationsDeleteManyArgs(user_id="u1"))
    assert many == {
        "deleted": 1,
        "totalMessagesDeleted": 1,
        "conversationIds": ["c2"],
        "dryRun": False,
    }


def test_purge_all_needs_allow_purge() -> None:
    with SyncEmbeddedTransport(":memory:") as locked:
        _create(locked, "c1")
        with pytest.raises(FunctionError) as info:
            calls.conversations_purge_all(locked, ConversationsPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.conversations_count(locked, ConversationsCountArgs()) == 1
    with SyncEmbeddedTransport(":memory:", allow_purge=True) as open_:
        _create(open_, "c1")
        _say(open_, "c1", "m", "x")
        assert calls.conversations_purge_all(open_, ConversationsPurgeAllArgs()) == {
            "deleted": 1,
            "totalMessagesDeleted": 1,
        }


def test_bad_arguments_write_nothing(t: SyncEmbeddedTransport) -> None:
    create = path_of(ConversationsCreateArgs)
    base = {"conversationId": "c", "memorySpaceId": "s", "type": "user-agent", "participants": UA}
    with pytest.raises(BackendValidationError):
        t.call("mutation", create, {**base, "type": "group"})
    with pytest.raises(BackendValidationError):
        t.call("mutation", create, {**base, "participants": {**UA, "role": "x"}})
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", create, {k: v for k, v in base.items() if k != "memorySpaceId"})
    assert info.value.field == "memorySpaceId"
    with pytest.raises(BackendValidationError):
        t.call(
            "mutation",
            path_of(ConversationsAddMessageArgs),
            {"conversationId": "c", "message": {"id": "m", "role": "bot", "content": "x"}},
        )
    assert calls.conversations_count(t, ConversationsCountArgs()) == 0


def test_public_sdk_namespace_round_trip() -> None:
    from cortex import CortexConfig, SyncCortex

    client = SyncCortex(CortexConfig(local_path=":memory:"))
    try:
        made = client.conversations.create(
            {"memorySpaceId": "s", "type": "user-agent", "participants": UA}
        )
        assert made.conversation_id.startswith("conv-") and made.message_count == 0
        assert client.conversations.count() == 1
    finally:
        client.close()
