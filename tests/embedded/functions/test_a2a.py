"""The ``a2a`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cortex import Cortex
from cortex._generated.args.a2a import (
    A2aBroadcastArgs,
    A2aGetConversationArgs,
    A2aRequestArgs,
    A2aSendArgs,
)
from cortex._generated.args.conversations import ConversationsGetArgs
from cortex._generated.args.memories import MemoriesCountArgs, MemoriesListArgs
from cortex._generated.calls_sync import a2a as calls
from cortex._generated.calls_sync import conversations as ccalls
from cortex._generated.calls_sync import memories as mcalls
from cortex.config import CortexConfig
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _send(t: Transport, sender: str, to: str, message: str, **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = calls.a2a_send(
        t, A2aSendArgs(from_=sender, to=to, message=message, **kw)
    )
    return result


def _memories(t: Transport, space: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = mcalls.memories_list(t, MemoriesListArgs(memory_space_id=space))
    return found


def _count(t: Transport, space: str) -> int:
    result: int = mcalls.memories_count(t, MemoriesCountArgs(memory_space_id=space))
    return result


def _conversation(t: Transport, conv_id: str) -> Any:
    return ccalls.conversations_get(t, ConversationsGetArgs(conversation_id=conv_id))


def _error(exc: pytest.ExceptionInfo[FunctionError]) -> str:
    return exc.value.message


def test_send_stores_both_memories_and_a_conversation_message(t: Transport) -> None:
    sent = _send(
        t,
        "agent-b",
        "agent-a",
        "Please review",
        user_id="u1",
        context_id="ctx-1",
        importance=80,
        metadata={"tags": ["finance"], "k": 1},
    )
    assert re.fullmatch(r"a2a-msg-\d{13}-[0-9a-z]{9}", sent["messageId"])
    assert sent["conversationId"] == "a2a-conv-agent-a-agent-b"  # sorted agent ids
    [outbound] = _memories(t, "agent-b")
    [inbound] = _memories(t, "agent-a")
    assert outbound["memoryId"] == sent["senderMemoryId"]
    assert inbound["memoryId"] == sent["receiverMemoryId"]
    assert outbound["content"] == "Sent to agent-a: Please review"
    assert inbound["content"] == "Received from agent-b: Please review"
    assert outbound["tags"] == ["a2a", "sent", "agent-a", "finance"]
    assert inbound["tags"] == ["a2a", "received", "agent-b", "finance"]
    assert outbound["metadata"] == {
        "direction": "outbound",
        "fromAgent": "agent-b",
        "toAgent": "agent-a",
        "messageId": sent["messageId"],
        "contextId": "ctx-1",
        "tags": ["finance"],
        "k": 1,
    }
    assert outbound["sourceType"] == "a2a" and outbound["importance"] == 80
    assert outbound["userId"] == "u1" and outbound["createdAt"] == sent["sentAt"]
    assert outbound["conversationRef"] == {
        "conversationId": sent["conversationId"],
        "messageIds": [sent["acidMessageId"]],
    }
    conversation = _conversation(t, sent["conversationId"])
    assert conversation["type"] == "agent-agent" and conversation["memorySpaceId"] == "agent-b"
    assert conversation["participants"] == {"memorySpaceIds": ["agent-b", "agent-a"]}
    assert conversation["messageCount"] == 1
    [message] = conversation["messages"]
    assert message["id"] == sent["acidMessageId"] and message["role"] == "agent"
    assert message["metadata"]["messageId"] == sent["messageId"] and message["metadata"]["k"] == 1
    # the reply goes to the same conversation
    _send(t, "agent-a", "agent-b", "Done")
    assert _conversation(t, sent["conversationId"])["messageCount"] == 2


def test_send_without_tracking(t: Transport) -> None:
    sent = _send(t, "a", "b", "quiet", track_conversation=False)
    assert set(sent) == {"messageId", "sentAt", "senderMemoryId", "receiverMemoryId"}
    assert "conversationRef" not in _memories(t, "a")[0]
    assert _conversation(t, "a2a-conv-a-b") is None
    assert _memories(t, "b")[0]["importance"] == 60  # default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from_": "", "to": "b", "message": "x"}, "INVALID_AGENT_ID: 'from' agent ID is required"),
        (
            {"from_": "a", "to": " \t", "message": "x"},
            "INVALID_AGENT_ID: 'to' agent ID is required",
        ),
        ({"from_": "a", "to": "b", "message": "  "}, "EMPTY_MESSAGE: Message cannot be empty"),
        (
            {"from_": "a", "to": "a", "message": "x"},
            "SAME_AGENT_COMMUNICATION: Cannot send message to self",
        ),
        (
            {"from_": "a", "to": "b", "message": "x", "importance": 101},
            "INVALID_IMPORTANCE: Importance must be between 0 and 100",
        ),
        (
            {"from_": "a", "to": "b", "message": "é" * 51201},
            "MESSAGE_TOO_LARGE: Message exceeds 100KB limit (current size: 100KB)",
        ),
    ],
)
def test_send_validation(t: Transport, args: dict[str, Any], message: str) -> None:
    with pytest.raises(FunctionError) as info:
        calls.a2a_send(t, A2aSendArgs(**args))
    assert _error(info) == message
    assert _count(t, "a") == 0 and _count(t, "b") == 0


def test_request_always_fails_and_stores_nothing(t: Transport) -> None:
    with pytest.raises(FunctionError) as info:
        calls.a2a_request(t, A2aRequestArgs(from_="a", to="b", message="budget?", timeout=5000))
    assert info.value.code == "PUBSUB_NOT_CONFIGURED"
    assert re.search(r"Request stored with messageId: a2a-req-\d{13}-[0-9a-z]{9}$", _error(info))
    assert _count(t, "a") == 0 and _count(t, "b") == 0
    for args, text in (
        ({"timeout": 10}, "INVALID_TIMEOUT: Timeout must be between 1000ms and 300000ms"),
        ({"importance": -1}, "INVALID_IMPORTANCE: Importance must be between 0 and 100"),
        ({"to": "a"}, "SAME_AGENT_COMMUNICATION: Cannot send request to self"),
    ):
        fields: dict[str, Any] = {"from_": "a", "to": "b", "message": "x", **args}
        with pytest.raises(FunctionError) as info:
            calls.a2a_request(t, A2aRequestArgs(**fields))
        assert _error(info) == text


def test_broadcast(t: Transport) -> None:
    result = calls.a2a_broadcast(
        t,
        A2aBroadcastArgs(
            from_="hub", to=["r1", "r2"], message="sync at 10", importance=50, metadata={"k": 1}
        ),
    )
    broadcast_id = result["messageId"]
    assert re.fullmatch(r"a2a-broadcast-\d{13}-[0-9a-z]{9}", broadcast_id)
    assert result["recipients"] == ["r1", "r2"] and result["memoriesCreated"] == 4
    assert result["conversationIds"] == ["a2a-conv-hub-r1", "a2a-conv-hub-r2"]
    [received] = _memories(t, "r2")
    assert received["content"] == "Broadcast from hub: sync at 10"
    assert received["tags"] == ["a2a", "broadcast", "received", "hub"]
    assert received["metadata"]["messageId"] == f"{broadcast_id}-1"
    assert received["metadata"]["broadcast"] is True and received["metadata"]["k"] == 1
    assert received["memoryId"] == result["receiverMemoryIds"][1]
    assert sorted(m["memoryId"] for m in _memories(t, "hub")) == sorted(result["senderMemoryIds"])
    untracked = calls.a2a_broadcast(
        t, A2aBroadcastArgs(from_="hub", to=["r3"], message="x", track_conversation=False)
    )
    assert "conversationIds" not in untracked
    assert _conversation(t, "a2a-conv-hub-r3") is None


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ([], "EMPTY_RECIPIENTS: Recipients array cannot be empty"),
        (["b", "b"], "DUPLICATE_RECIPIENTS: Recipients array contains duplicates"),
        (["a", "b"], "INVALID_RECIPIENT: Sender cannot be in recipients list"),
        (["b", " "], "INVALID_AGENT_ID: All recipient IDs must be non-empty"),
        ([f"r{i}" for i in range(101)], "TOO_MANY_RECIPIENTS: Maximum 100 recipients allowed"),
    ],
)
def test_broadcast_validation(t: Transport, to: list[str], message: str) -> None:
    with pytest.raises(FunctionError) as info:
        calls.a2a_broadcast(t, A2aBroadcastArgs(from_="a", to=to, message="x"))
    assert _error(info) == message
    assert _count(t, "a") == 0


def test_a_failing_write_rolls_back_the_whole_broadcast(t: Transport) -> None:
    # tags must be strings: the first recipient's memory is written, the schema rejects it, nothing remains
    with pytest.raises(FunctionError):
        calls.a2a_broadcast(
            t, A2aBroadcastArgs(from_="a", to=["b", "c"], message="x", metadata={"tags": [1]})
        )
    assert _count(t, "a") == 0 and _count(t, "b") == 0
    assert _conversation(t, "a2a-conv-a-b") is None


def test_get_conversation_filters_and_pagination(t: Transport) -> None:
    first = _send(
        t,
        "agent-a",
        "agent-b",
        "Q3 report",
        user_id="u1",
        importance=80,
        metadata={"tags": ["finance"]},
    )
    _send(t, "agent-b", "agent-a", "Reviewed")
    _send(t, "agent-a", "agent-b", "untracked", importance=10, track_conversation=False)
    _send(t, "agent-a", "agent-c", "elsewhere")

    def conversation(**kw: Any) -> dict[str, Any]:
        kw.setdefault("agent1", "agent-a")
        kw.setdefault("agent2", "agent-b")
        result: dict[str, Any] = calls.a2a_get_conversation(t, A2aGetConversationArgs(**kw))
        return result

    full = conversation()
    assert full["participants"] == ["agent-a", "agent-b"]
    assert full["conversationId"] == "a2a-conv-agent-a-agent-b"
    assert full["canRetrieveFullHistory"] is True and full["messageCount"] == 3
    assert [m["message"] for m in full["messages"]] == ["Q3 report", "Reviewed", "untracked"]
    assert [m["direction"] for m in full["messages"]] == ["outbound", "inbound", "outbound"]
    head = full["messages"][0]
    assert head["from"] == "agent-a" and head["to"] == "agent-b" and head["tags"] == ["finance"]
    assert (
        head["messageId"] == first["messageId"] and head["acidMessageId"] == first["acidMessageId"]
    )
    assert head["memoryId"] == first["senderMemoryId"]
    assert "acidMessageId" not in full["messages"][2]
    assert full["tags"] == ["finance"]
    assert full["period"] == {
        "start": full["messages"][0]["timestamp"],
        "end": full["messages"][2]["timestamp"],
    }
    page = conversation(agent1="agent-b", agent2="agent-a", limit=1, offset=1)
    assert [m["message"] for m in page["messages"]] == ["Reviewed"] and page["messageCount"] == 3
    assert "tags" not in page
    assert [m["message"] for m in conversation(min_importance=70, user_id="u1")["messages"]] == [
        "Q3 report"
    ]
    assert (
        conversation(tags=["finance"], since=1600000000000, until=4100000000000)["messageCount"]
        == 1
    )
    none = conversation(agent2="agent-z")
    assert none["messages"] == [] and none["canRetrieveFullHistory"] is False
    assert "conversationId" not in none


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"agent1": ""}, "INVALID_AGENT_ID: 'agent1' is required"),
        ({"agent2": " "}, "INVALID_AGENT_ID: 'agent2' is required"),
        ({"limit": 0}, "INVALID_LIMIT: Limit must be between 1 and 1000"),
        ({"limit": 1001}, "INVALID_LIMIT: Limit must be between 1 and 1000"),
        ({"offset": -1}, "INVALID_OFFSET: Offset cannot be negative"),
        (
            {"since": 4100000000000, "until": 1600000000000},
            "INVALID_DATE_RANGE: 'since' must be before 'until'",
        ),
        ({"min_importance": 101}, "INVALID_IMPORTANCE: minImportance must be between 0 and 100"),
    ],
)
def test_get_conversation_validation(t: Transport, args: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"agent1": "a", "agent2": "b", **args}
    with pytest.raises(FunctionError) as info:
        calls.a2a_get_conversation(t, A2aGetConversationArgs(**fields))
    assert _error(info) == message


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", A2aBroadcastArgs, {"from": "a", "to": "b", "message": "x"}, None),
        ("mutation", A2aSendArgs, {"from": "a", "to": "b"}, "message"),
        (
            "mutation",
            A2aSendArgs,
            {"from": "a", "to": "b", "message": "x", "priority": 1},
            "priority",
        ),
        (
            "mutation",
            A2aSendArgs,
            {"from": "a", "to": "b", "message": "x", "importance": "high"},
            None,
        ),
        ("query", A2aGetConversationArgs, {"agent1": "a"}, "agent2"),
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
    assert _count(t, "a") == 0 and _count(t, "b") == 0


async def test_sdk_models_parse_the_handler_results() -> None:
    async with Cortex(CortexConfig(local_path=":memory:")) as cortex:
        sent = await cortex.a2a.send({"from": "a", "to": "b", "message": "hi", "importance": 70})
        assert sent.conversation_id == "a2a-conv-a-b" and sent.message_id.startswith("a2a-msg-")
        conversation = await cortex.a2a.get_conversation("a", "b")
        assert conversation.message_count == 1 and conversation.can_retrieve_full_history is True
        [message] = conversation.messages
        assert (message.message, message.importance, message.memory_id) == (
            "hi",
            70,
            sent.sender_memory_id,
        )
