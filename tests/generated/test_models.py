"""Generated models: names, aliases, serialisation of unset fields, int coercion, dates, extra fields."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from cortex._generated.args.conversations import ConversationsGetArgs
from cortex._generated.args.memories import MemoriesStoreArgs
from cortex._generated.functions import FUNCTIONS
from cortex._generated.tables import SCHEMA_VALIDATION, TABLES
from cortex.types import A2AConversationFilters, Conversation, RememberParams


def _conversation(**extra: object) -> dict[str, object]:
    return {
        "_id": "doc1",
        "_creationTime": 1700000000000.5,
        "conversationId": "conv-1",
        "memorySpaceId": "space",
        "type": "user-agent",
        "participants": {"userId": "u1"},
        "messages": [],
        "messageCount": 2.0,
        "createdAt": 1700000000000.0,
        "updatedAt": 1700000000001,
        **extra,
    }


def test_construction_by_snake_name_or_wire_name() -> None:
    a = RememberParams(
        memory_space_id="s", conversation_id="c", user_message="u", agent_response="a"
    )
    b = RememberParams.model_validate(
        {"memorySpaceId": "s", "conversationId": "c", "userMessage": "u", "agentResponse": "a"}
    )
    assert a == b
    assert a.to_wire() == {
        "memorySpaceId": "s",
        "conversationId": "c",
        "userMessage": "u",
        "agentResponse": "a",
    }


def test_unset_and_none_optionals_are_not_serialised() -> None:
    p = RememberParams(
        memory_space_id="s",
        conversation_id="c",
        user_message="u",
        agent_response="a",
        user_id=None,
        importance=0.5,
    )
    wire = p.to_wire()
    assert "userId" not in wire and "user_id" not in wire
    assert wire["importance"] == 0.5


def test_integer_fields_come_back_as_int_and_extra_fields_are_kept() -> None:
    conv = Conversation.model_validate(_conversation(futureField={"x": 1}))
    assert conv.message_count == 2 and type(conv.message_count) is int
    assert conv.created_at == 1700000000000 and type(conv.created_at) is int
    assert conv.sys_id == "doc1"
    assert conv.model_extra is not None and conv.model_extra["futureField"] == {"x": 1}
    assert conv.to_wire()["futureField"] == {"x": 1}


def test_integer_fields_reject_fractions() -> None:
    with pytest.raises(ValidationError):
        Conversation.model_validate(_conversation(messageCount=2.5))


def test_date_fields_accept_datetime_or_epoch_ms_and_serialise_epoch_ms() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    by_dt = A2AConversationFilters(since=when)
    by_ms = A2AConversationFilters(since=1714564800000.0)
    assert by_dt.to_wire() == by_ms.to_wire() == {"since": 1714564800000}
    assert by_ms.since == 1714564800000 and type(by_ms.since) is int


def test_args_models_forbid_unknown_fields_and_drop_none() -> None:
    with pytest.raises(ValidationError):
        ConversationsGetArgs.model_validate({"conversationId": "c", "bogus": 1})
    args = ConversationsGetArgs(conversation_id="c", tenant_id=None, include_messages=True)
    assert args.to_wire() == {"conversationId": "c", "includeMessages": True}


def test_args_models_keep_literal_and_nested_validation() -> None:
    ok = MemoriesStoreArgs.model_validate(
        {
            "memorySpaceId": "s",
            "content": "x",
            "contentType": "raw",
            "sourceType": "system",
            "importance": 50,
            "tags": [],
        }
    )
    assert ok.to_wire()["contentType"] == "raw"
    with pytest.raises(ValidationError):
        MemoriesStoreArgs.model_validate({**ok.to_wire(), "contentType": "poem"})


def test_function_registry_matches_convex_export() -> None:
    import json
    from pathlib import Path

    exported = json.loads(Path("schema/convex/functions.json").read_text())
    assert len(FUNCTIONS) == len(exported)
    spec = FUNCTIONS["memories:store"]
    assert spec.kind == "mutation" and spec.args_model is MemoriesStoreArgs
    entry = next(e for e in exported if e["identifier"] == "memories.js:store")
    assert spec.args_validator == entry["args"]
    tables = json.loads(Path("schema/convex/tables.json").read_text())
    assert tables["tables"] == TABLES
    assert tables["schemaValidation"] == SCHEMA_VALIDATION
