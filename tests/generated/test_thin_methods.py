"""Generated thin methods end to end against a recording transport: mapping, path, kind, args, result parsing.

The transport here is the one place a stand-in is right: these tests check what the generated layer sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cortex._context import ClientContext
from cortex._generated.namespaces.conversations import ConversationsBase
from cortex._generated.namespaces_sync.conversations import (
    ConversationsBase as SyncConversationsBase,
)
from cortex._transport.base import CallOptions
from cortex.errors import ValidationError
from cortex.types import Conversation

CONVERSATION = {
    "_id": "doc1",
    "_creationTime": 1.0,
    "conversationId": "conv-1",
    "memorySpaceId": "space",
    "type": "user-agent",
    "participants": {"userId": "u1"},
    "messages": [],
    "messageCount": 0,
    "createdAt": 1.0,
    "updatedAt": 2.0,
}


class RecordingTransport:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[str, str, dict[str, Any], CallOptions | None]] = []

    async def call(
        self, kind: Any, path: str, args: dict[str, Any], *, options: CallOptions | None = None
    ) -> Any:
        self.calls.append((kind, path, args, options))
        return self.result

    async def aclose(self) -> None:
        return None


class SyncRecordingTransport(RecordingTransport):
    def call(  # type: ignore[override]
        self, kind: Any, path: str, args: dict[str, Any], *, options: CallOptions | None = None
    ) -> Any:
        self.calls.append((kind, path, args, options))
        return self.result

    def close(self) -> None:
        return None


class RecordingGraph:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any], Any]] = []

    async def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None:
        self.seen.append((method, dict(args), result))


async def test_get_sends_path_kind_auth_and_only_present_args() -> None:
    transport = RecordingTransport(CONVERSATION)
    options = CallOptions(timeout=3.0)
    ns = ConversationsBase(
        ClientContext(transport=transport, auth={"tenantId": "t1"}, options=options)
    )
    result = await ns.get("conv-1", {"messageLimit": 5})
    assert transport.calls == [
        (
            "query",
            "conversations:get",
            {"conversationId": "conv-1", "tenantId": "t1", "messageLimit": 5},
            options,
        )
    ]
    assert isinstance(result, Conversation) and result.conversation_id == "conv-1"


async def test_get_without_auth_or_options_sends_only_the_id_and_returns_none() -> None:
    transport = RecordingTransport(None)
    ns = ConversationsBase(ClientContext(transport=transport))
    assert await ns.get("conv-1") is None
    assert transport.calls[0][2] == {"conversationId": "conv-1"}


async def test_add_message_generates_a_message_id_only_when_missing() -> None:
    transport = RecordingTransport(CONVERSATION)
    ns = ConversationsBase(ClientContext(transport=transport))
    await ns.add_message({"conversationId": "conv-1", "message": {"role": "user", "content": "hi"}})
    sent = transport.calls[-1][2]
    assert transport.calls[-1][:2] == ("mutation", "conversations:addMessage")
    assert sent["message"]["id"].startswith("msg-")
    assert sent["message"]["role"] == "user" and "participantId" not in sent["message"]
    await ns.add_message(
        {"conversationId": "conv-1", "message": {"id": "m-7", "role": "agent", "content": "ok"}}
    )
    assert transport.calls[-1][2]["message"]["id"] == "m-7"


async def test_create_calls_graph_hook_only_when_sync_to_graph_requested() -> None:
    transport = RecordingTransport(CONVERSATION)
    graph = RecordingGraph()
    ns = ConversationsBase(ClientContext(transport=transport, graph=graph))
    params = {"memorySpaceId": "space", "type": "user-agent", "participants": {"userId": "u1"}}
    await ns.create(params)
    assert graph.seen == []
    await ns.create(params, {"syncToGraph": True})
    assert len(graph.seen) == 1
    method, args, raw = graph.seen[0]
    assert method == "conversations.create" and raw == CONVERSATION
    assert args["conversationId"].startswith("conv-") and args["memorySpaceId"] == "space"


async def test_invalid_params_raise_before_any_call() -> None:
    transport = RecordingTransport(CONVERSATION)
    ns = ConversationsBase(ClientContext(transport=transport))
    with pytest.raises(ValidationError):
        await ns.add_message({"conversationId": "conv-1", "message": {"role": "user"}})
    with pytest.raises(ValidationError):
        await ns.add_message({"conversationId": "c", "message": {"role": "robot", "content": "x"}})
    assert transport.calls == []


def test_sync_variant_calls_the_sync_transport_without_an_event_loop() -> None:
    transport = SyncRecordingTransport(CONVERSATION)
    ns = SyncConversationsBase(ClientContext(transport=transport, auth={"tenantId": "t1"}))  # type: ignore[arg-type]
    result = ns.get("conv-1", {"includeMessages": True})
    assert isinstance(result, Conversation)
    assert transport.calls[0][:3] == (
        "query",
        "conversations:get",
        {"conversationId": "conv-1", "tenantId": "t1", "includeMessages": True},
    )


async def test_orchestration_methods_raise_not_implemented() -> None:
    ns = ConversationsBase(ClientContext(transport=RecordingTransport(None)))
    name = sorted(ConversationsBase.__cortex_not_implemented__)[0]
    with pytest.raises(NotImplementedError, match="hand-written subclass"):
        method = getattr(ns, name)
        params = [p for p in __import__("inspect").signature(method).parameters.values()]
        await method(*["x" for p in params if p.default is p.empty])
