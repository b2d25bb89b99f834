"""The ``memorySpaces`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex import Cortex
from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsAddMessageArgsMessage,
    ConversationsCreateArgs,
    ConversationsCreateArgsParticipants,
)
from cortex._generated.args.facts import FactsStoreArgs, FactsSupersedeArgs
from cortex._generated.args.memories import MemoriesCountArgs, MemoriesStoreArgs
from cortex._generated.args.memory_spaces import (
    MemorySpacesAddParticipantArgs,
    MemorySpacesAddParticipantArgsParticipant,
    MemorySpacesArchiveArgs,
    MemorySpacesCountArgs,
    MemorySpacesDeleteSpaceArgs,
    MemorySpacesFindByParticipantArgs,
    MemorySpacesGetArgs,
    MemorySpacesGetStatsArgs,
    MemorySpacesListArgs,
    MemorySpacesPurgeAllArgs,
    MemorySpacesReactivateArgs,
    MemorySpacesRegisterArgs,
    MemorySpacesRegisterArgsParticipantsItem,
    MemorySpacesRemoveParticipantArgs,
    MemorySpacesSearchArgs,
    MemorySpacesUpdateArgs,
    MemorySpacesUpdateParticipantsArgs,
    MemorySpacesUpdateParticipantsArgsAddItem,
)
from cortex._generated.calls_sync import conversations as ccalls
from cortex._generated.calls_sync import facts as fcalls
from cortex._generated.calls_sync import memories as mcalls
from cortex._generated.calls_sync import memory_spaces as calls
from cortex.config import CortexConfig
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport
JOINED = 1600000000000.0


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _register(t: Transport, space_id: str, space_type: str = "team", **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = calls.memory_spaces_register(
        t, MemorySpacesRegisterArgs(memory_space_id=space_id, type=space_type, **kw)
    )
    time.sleep(0.002)  # distinct createdAt
    return doc


def _get(t: Transport, space_id: str, tenant_id: str | None = None) -> Any:
    return calls.memory_spaces_get(
        t, MemorySpacesGetArgs(memory_space_id=space_id, tenant_id=tenant_id)
    )


def _ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["memorySpaceId"] for d in docs]


def _code(exc: pytest.ExceptionInfo[FunctionError]) -> str:
    return exc.value.code


def test_register_and_tenant_aware_lookup(t: Transport) -> None:
    alpha = _register(
        t,
        "alpha",
        name="Alpha",
        participants=[
            MemorySpacesRegisterArgsParticipantsItem(id="u1", type="user", joined_at=JOINED)
        ],
        metadata={"tier": "gold"},
    )
    assert alpha["status"] == "active" and alpha["metadata"] == {"tier": "gold"}
    assert alpha["participants"] == [{"id": "u1", "type": "user", "joinedAt": JOINED}]
    beta = _register(t, "beta", "personal")
    assert beta["participants"] == [] and beta["metadata"] == {} and "name" not in beta
    with pytest.raises(FunctionError) as info:
        _register(t, "alpha")
    assert _code(info) == "MEMORYSPACE_ALREADY_EXISTS"
    tenant_alpha = _register(t, "alpha", "custom", tenant_id="t1")  # same id under a tenant
    with pytest.raises(FunctionError) as info:
        _register(t, "alpha", tenant_id="t1")
    assert _code(info) == "MEMORYSPACE_ALREADY_EXISTS"
    assert _get(t, "alpha")["_id"] == alpha["_id"]
    assert _get(t, "alpha", "t1")["_id"] == tenant_alpha["_id"]
    assert _get(t, "beta", "t1") is None
    assert _get(t, "nope") is None
    # upstream quirk: a global lookup whose first hit is a tenant's space sees nothing
    _register(t, "tonly", tenant_id="t1")
    assert _get(t, "tonly") is None
    _register(t, "tonly")  # so a global registration of the same id is allowed
    assert calls.memory_spaces_count(t, MemorySpacesCountArgs()) == 5


def test_update_archive_reactivate(t: Transport) -> None:
    _register(t, "beta", "personal", metadata={"keep": 1})
    updated = calls.memory_spaces_update(
        t, MemorySpacesUpdateArgs(memory_space_id="beta", name="Beta", status="archived")
    )
    assert updated["name"] == "Beta" and updated["status"] == "archived"
    assert updated["metadata"] == {"keep": 1}
    archived = calls.memory_spaces_archive(
        t, MemorySpacesArchiveArgs(memory_space_id="beta", reason="done", metadata={"by": "admin"})
    )
    meta = archived["metadata"]
    assert archived["status"] == "archived"
    assert meta["keep"] == 1 and meta["by"] == "admin" and meta["archiveReason"] == "done"
    assert meta["archivedAt"] == archived["updatedAt"]
    again = calls.memory_spaces_archive(t, MemorySpacesArchiveArgs(memory_space_id="beta"))
    assert "archiveReason" not in again["metadata"]  # upstream writes `undefined`
    active = calls.memory_spaces_reactivate(t, MemorySpacesReactivateArgs(memory_space_id="beta"))
    assert active["status"] == "active"
    for fn, model in (
        (calls.memory_spaces_update, MemorySpacesUpdateArgs),
        (calls.memory_spaces_archive, MemorySpacesArchiveArgs),
        (calls.memory_spaces_reactivate, MemorySpacesReactivateArgs),
    ):
        with pytest.raises(FunctionError) as info:
            fn(t, model(memory_space_id="nope"))
        assert _code(info) == "MEMORYSPACE_NOT_FOUND"


def test_participants(t: Transport) -> None:
    _register(
        t,
        "s",
        participants=[
            MemorySpacesRegisterArgsParticipantsItem(id="u1", type="user", joined_at=JOINED)
        ],
    )
    u2 = MemorySpacesAddParticipantArgsParticipant(id="u2", type="agent", joined_at=JOINED)
    added = calls.memory_spaces_add_participant(
        t, MemorySpacesAddParticipantArgs(memory_space_id="s", participant=u2)
    )
    assert [p["id"] for p in added["participants"]] == ["u1", "u2"]
    with pytest.raises(FunctionError) as info:
        calls.memory_spaces_add_participant(
            t, MemorySpacesAddParticipantArgs(memory_space_id="s", participant=u2)
        )
    assert _code(info) == "PARTICIPANT_ALREADY_EXISTS"
    removed = calls.memory_spaces_remove_participant(
        t, MemorySpacesRemoveParticipantArgs(memory_space_id="s", participant_id="u1")
    )
    assert [p["id"] for p in removed["participants"]] == ["u2"]
    both = calls.memory_spaces_update_participants(
        t,
        MemorySpacesUpdateParticipantsArgs(
            memory_space_id="s",
            add=[
                MemorySpacesUpdateParticipantsArgsAddItem(id="u2", type="x", joined_at=1),
                MemorySpacesUpdateParticipantsArgsAddItem(id="u3", type="tool", joined_at=2),
            ],
            remove=["u9"],
        ),
    )
    assert [(p["id"], p["type"]) for p in both["participants"]] == [("u2", "agent"), ("u3", "tool")]
    _register(
        t,
        "other",
        participants=[
            MemorySpacesRegisterArgsParticipantsItem(id="u3", type="user", joined_at=JOINED)
        ],
    )
    found = calls.memory_spaces_find_by_participant(
        t, MemorySpacesFindByParticipantArgs(participant_id="u3")
    )
    assert _ids(found) == ["s", "other"]


def test_list_filters_sorting_and_pagination(t: Transport) -> None:
    _register(t, "a", "team", name="zulu")
    _register(t, "b", "personal", name="Alpha")
    _register(t, "c", "team")
    _register(t, "d", "custom", name="mike", tenant_id="t1")
    calls.memory_spaces_archive(t, MemorySpacesArchiveArgs(memory_space_id="c"))

    def listed(**kw: Any) -> dict[str, Any]:
        result: dict[str, Any] = calls.memory_spaces_list(t, MemorySpacesListArgs(**kw))
        return result

    everything = listed()
    assert _ids(everything["spaces"]) == ["d", "c", "b", "a"]  # createdAt descending
    assert (everything["total"], everything["hasMore"], everything["offset"]) == (4, False, 0)
    assert _ids(listed(sort_by="name", sort_order="asc")["spaces"]) == ["c", "b", "d", "a"]
    page = listed(sort_by="createdAt", sort_order="asc", limit=2, offset=1)
    assert _ids(page["spaces"]) == ["b", "c"] and page["hasMore"] is True and page["total"] == 4
    assert _ids(listed(type="team")["spaces"]) == ["c", "a"]
    assert _ids(listed(status="archived")["spaces"]) == ["c"]
    assert _ids(listed(tenant_id="t1")["spaces"]) == ["d"]
    assert _ids(listed(sort_by="updatedAt", limit=1)["spaces"]) == ["c"]  # archived last
    assert calls.memory_spaces_count(t, MemorySpacesCountArgs(type="team", status="active")) == 1


def test_search_matches_name_id_and_metadata_json(t: Transport) -> None:
    _register(t, "alpha", name="Alpha Team", metadata={"tier": "gold"})
    _register(t, "gamma", "project", name="zeta", metadata={"Owner": "Bob"})

    def found(query: str, **kw: Any) -> list[str]:
        return _ids(calls.memory_spaces_search(t, MemorySpacesSearchArgs(query=query, **kw)))

    assert found("ALPHA") == ["alpha"]
    assert found("zeta") == ["gamma"]
    assert found('tier":"gold') == ["alpha"]  # compact JSON.stringify of the metadata
    assert found("owner") == ["gamma"]
    assert found("a", limit=1) == ["alpha"]
    assert found("a", type="project") == ["gamma"]
    assert found("nothing") == []


def _seed_space_data(t: Transport, space: str, tenant_id: str | None = None) -> None:
    ccalls.conversations_create(
        t,
        ConversationsCreateArgs(
            conversation_id=f"conv-{space}",
            memory_space_id=space,
            tenant_id=tenant_id,
            type="user-agent",
            participants=ConversationsCreateArgsParticipants(user_id="u1", agent_id="agent-1"),
        ),
    )
    for i, role in enumerate(("user", "agent")):
        ccalls.conversations_add_message(
            t,
            ConversationsAddMessageArgs(
                conversation_id=f"conv-{space}",
                message=ConversationsAddMessageArgsMessage(id=f"m{i}", role=role, content="hi"),
            ),
        )
    for importance, tags, participant in ((95, ["t", "x"], "agent-1"), (10, ["t"], None)):
        mcalls.memories_store(
            t,
            MemoriesStoreArgs(
                memory_space_id=space,
                tenant_id=tenant_id,
                participant_id=participant,
                content="c",
                content_type="raw",
                source_type="system",
                importance=importance,
                tags=tags,
            ),
        )
    facts = [
        fcalls.facts_store(
            t,
            FactsStoreArgs(
                memory_space_id=space,
                tenant_id=tenant_id,
                participant_id="agent-1",
                fact=text,
                fact_type="knowledge",
                confidence=90,
                source_type="manual",
                tags=[],
            ),
        )
        for text in ("old", "new")
    ]
    fcalls.facts_supersede(
        t,
        FactsSupersedeArgs(
            memory_space_id=space, old_fact_id=facts[0]["factId"], new_fact_id=facts[1]["factId"]
        ),
    )


def test_get_stats(t: Transport) -> None:
    _register(t, "s1")
    _seed_space_data(t, "s1")
    stats = calls.memory_spaces_get_stats(t, MemorySpacesGetStatsArgs(memory_space_id="s1"))
    assert stats == {
        "memorySpaceId": "s1",
        "totalMemories": 2,
        "totalConversations": 1,
        "totalFacts": 1,  # the superseded fact is not counted
        "totalMessages": 2,
        "memoriesThisWindow": 2,
        "conversationsThisWindow": 1,
        "storage": {"conversationsBytes": 0, "memoriesBytes": 0, "factsBytes": 0, "totalBytes": 0},
        "topTags": ["t", "x"],
        "importanceBreakdown": {"critical": 1, "high": 0, "medium": 0, "low": 1, "trivial": 0},
    }
    detailed = calls.memory_spaces_get_stats(
        t,
        MemorySpacesGetStatsArgs(
            memory_space_id="s1", time_window="24h", include_participants=True
        ),
    )
    by_id = {p["participantId"]: p for p in detailed["participants"]}
    assert set(by_id) == {"agent-1", "unknown"}
    assert (by_id["agent-1"]["memoriesStored"], by_id["agent-1"]["factsExtracted"]) == (1, 1)
    assert by_id["agent-1"]["avgImportance"] == 95 and by_id["agent-1"]["topTags"] == ["t", "x"]
    assert by_id["unknown"]["conversationsStored"] == 1  # the conversation has no participantId
    assert detailed["memoriesThisWindow"] == 2
    with pytest.raises(FunctionError) as info:
        calls.memory_spaces_get_stats(t, MemorySpacesGetStatsArgs(memory_space_id="nope"))
    assert _code(info) == "MEMORYSPACE_NOT_FOUND"


def test_delete_space_cascade_and_tenant_scope(t: Transport) -> None:
    _register(t, "s1")
    _register(t, "s2", tenant_id="t1")
    _seed_space_data(t, "s1")
    mcalls.memories_store(
        t,
        MemoriesStoreArgs(
            memory_space_id="s2",
            tenant_id="t2",
            content="another tenant's memory in a space with the same id",
            content_type="raw",
            source_type="system",
            importance=50,
            tags=[],
        ),
    )
    with pytest.raises(FunctionError) as info:
        calls.memory_spaces_delete_space(
            t,
            MemorySpacesDeleteSpaceArgs(
                memory_space_id="s1", cascade=True, reason="r", confirm_id="s2"
            ),
        )
    assert _code(info) == "CONFIRM_ID_MISMATCH"
    with pytest.raises(FunctionError) as info:  # a tenant's space needs its tenantId
        calls.memory_spaces_delete_space(
            t, MemorySpacesDeleteSpaceArgs(memory_space_id="s2", cascade=True, reason="r")
        )
    assert _code(info) == "MEMORYSPACE_NOT_FOUND"
    tenant_delete = calls.memory_spaces_delete_space(
        t,
        MemorySpacesDeleteSpaceArgs(memory_space_id="s2", tenant_id="t1", cascade=True, reason="r"),
    )
    assert tenant_delete["cascade"]["memoriesDeleted"] == 0  # t2's memory is not t1's to delete
    assert mcalls.memories_count(t, MemoriesCountArgs(memory_space_id="s2")) == 1
    result = calls.memory_spaces_delete_space(
        t,
        MemorySpacesDeleteSpaceArgs(
            memory_space_id="s1", cascade=True, reason="test", confirm_id="s1"
        ),
    )
    assert result == {
        "memorySpaceId": "s1",
        "deleted": True,
        "cascade": {
            "conversationsDeleted": 1,
            "memoriesDeleted": 2,
            "factsDeleted": 2,
            "totalBytes": 0,
        },
        "reason": "test",
        "deletedAt": result["deletedAt"],
    }
    assert mcalls.memories_count(t, MemoriesCountArgs(memory_space_id="s1")) == 0
    assert _get(t, "s1") is None


def test_purge_all_needs_allow_purge(t: Transport) -> None:
    _register(t, "a")
    _register(t, "b", tenant_id="t1")
    assert calls.memory_spaces_purge_all(t, MemorySpacesPurgeAllArgs()) == {"deleted": 2}
    with SyncEmbeddedTransport(":memory:") as locked:
        _register(locked, "kept")
        with pytest.raises(FunctionError) as info:
            calls.memory_spaces_purge_all(locked, MemorySpacesPurgeAllArgs())
        assert _code(info) == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.memory_spaces_count(locked, MemorySpacesCountArgs()) == 1


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", MemorySpacesRegisterArgs, {"type": "team"}, "memorySpaceId"),
        ("mutation", MemorySpacesRegisterArgs, {"memorySpaceId": "x", "type": "shared"}, None),
        (
            "mutation",
            MemorySpacesRegisterArgs,
            {
                "memorySpaceId": "x",
                "type": "team",
                "participants": [{"id": "u", "type": "user", "joinedAt": "now"}],
            },
            None,
        ),
        (
            "mutation",
            MemorySpacesRegisterArgs,
            {"memorySpaceId": "x", "type": "team", "owner": "me"},
            "owner",
        ),
        ("mutation", MemorySpacesDeleteSpaceArgs, {"memorySpaceId": "x", "reason": "r"}, "cascade"),
        ("query", MemorySpacesListArgs, {"sortBy": "size"}, None),
        ("query", MemorySpacesGetStatsArgs, {"memorySpaceId": "x", "timeWindow": "1y"}, None),
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
    assert calls.memory_spaces_count(t, MemorySpacesCountArgs()) == 0


async def test_sdk_models_parse_the_handler_results() -> None:
    async with Cortex(CortexConfig(local_path=":memory:")) as cortex:
        space = await cortex.memory_spaces.register(
            {"memorySpaceId": "s1", "type": "team", "name": "S"}
        )
        assert (space.memory_space_id, space.status, space.name) == ("s1", "active", "S")
        stats = await cortex.memory_spaces.get_stats("s1")
        assert stats.memory_space_id == "s1" and stats.total_memories == 0
        listed = await cortex.memory_spaces.list()
        assert [s.memory_space_id for s in listed.spaces] == ["s1"] and listed.total == 1
