"""The ``agents`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.agents import (
    AgentsComputeStatsArgs,
    AgentsCountArgs,
    AgentsExistsArgs,
    AgentsGetArgs,
    AgentsListArgs,
    AgentsPurgeAllArgs,
    AgentsRegisterArgs,
    AgentsUnregisterArgs,
    AgentsUnregisterManyArgs,
    AgentsUpdateArgs,
    AgentsUpdateManyArgs,
)
from cortex._generated.args.facts import FactsStoreArgs
from cortex._generated.args.memories import MemoriesStoreArgs
from cortex._generated.calls_sync import agents as calls
from cortex._generated.calls_sync import facts as fcalls
from cortex._generated.calls_sync import memories as mcalls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _register(t: Transport, agent_id: str, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = calls.agents_register(
        t, AgentsRegisterArgs(agent_id=agent_id, name=kw.pop("name", agent_id.upper()), **kw)
    )
    time.sleep(0.002)  # distinct registeredAt/_creationTime order
    return doc


def _ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["agentId"] for d in docs]


def test_register_get_exists(t: Transport) -> None:
    a1 = _register(t, "a1", description="first", metadata={"team": "x"}, config={"k": 5})
    a2 = _register(t, "a2")
    assert a1["status"] == "active" and a1["metadata"] == {"team": "x"} and a1["config"] == {"k": 5}
    assert a1["registeredAt"] == a1["updatedAt"]
    assert "description" not in a2 and a2["metadata"] == {} and a2["config"] == {}
    assert calls.agents_get(t, AgentsGetArgs(agent_id="a1")) == a1
    assert calls.agents_get(t, AgentsGetArgs(agent_id="zz")) is None
    assert calls.agents_exists(t, AgentsExistsArgs(agent_id="a2")) is True
    assert calls.agents_exists(t, AgentsExistsArgs(agent_id="zz")) is False
    with pytest.raises(FunctionError) as info:
        _register(t, "a1", name="again")
    assert info.value.code == "AGENT_ALREADY_REGISTERED"
    assert calls.agents_get(t, AgentsGetArgs(agent_id="a1"))["name"] == "A1"


def test_list_newest_first_with_offset_limit_and_status(t: Transport) -> None:
    for i in range(5):
        _register(t, f"a{i}")
    assert _ids(calls.agents_list(t, AgentsListArgs())) == ["a4", "a3", "a2", "a1", "a0"]
    assert _ids(calls.agents_list(t, AgentsListArgs(limit=2))) == ["a4", "a3"]
    assert _ids(calls.agents_list(t, AgentsListArgs(offset=1, limit=2))) == ["a3", "a2"]
    assert _ids(calls.agents_list(t, AgentsListArgs(offset=3))) == ["a1", "a0"]
    assert calls.agents_list(t, AgentsListArgs(offset=9)) == []
    calls.agents_update(t, AgentsUpdateArgs(agent_id="a1", status="inactive"))
    calls.agents_update(t, AgentsUpdateArgs(agent_id="a3", status="inactive"))
    assert _ids(calls.agents_list(t, AgentsListArgs(status="inactive"))) == ["a3", "a1"]
    assert calls.agents_count(t, AgentsCountArgs(status="inactive")) == 2
    assert calls.agents_count(t, AgentsCountArgs(status="archived")) == 0
    assert calls.agents_count(t, AgentsCountArgs()) == 5


def test_update_and_update_many(t: Transport) -> None:
    before = _register(t, "a1", metadata={"v": 1}, config={"c": 1})
    _register(t, "a2")
    updated = calls.agents_update(
        t, AgentsUpdateArgs(agent_id="a1", description="paused", status="archived")
    )
    assert updated["description"] == "paused" and updated["status"] == "archived"
    assert updated["metadata"] == {"v": 1} and updated["config"] == {"c": 1}  # untouched
    assert updated["updatedAt"] >= before["updatedAt"]
    with pytest.raises(FunctionError) as info:
        calls.agents_update(t, AgentsUpdateArgs(agent_id="zz", name="x"))
    assert info.value.code == "AGENT_NOT_REGISTERED"
    result = calls.agents_update_many(
        t, AgentsUpdateManyArgs(agent_ids=["a1", "ghost", "a2"], name="Bulk", config={"b": True})
    )
    assert result == {"updated": 2, "agentIds": ["a1", "a2"]}
    for agent_id in ("a1", "a2"):
        doc = calls.agents_get(t, AgentsGetArgs(agent_id=agent_id))
        assert doc["name"] == "Bulk" and doc["config"] == {"b": True}
    assert calls.agents_update_many(t, AgentsUpdateManyArgs(agent_ids=[])) == {
        "updated": 0,
        "agentIds": [],
    }


def test_unregister_and_unregister_many(t: Transport) -> None:
    for agent_id in ("a1", "a2", "a3", "a4"):
        _register(t, agent_id)
    assert calls.agents_unregister(t, AgentsUnregisterArgs(agent_id="a1")) == {
        "deleted": True,
        "agentId": "a1",
    }
    with pytest.raises(FunctionError) as info:
        calls.agents_unregister(t, AgentsUnregisterArgs(agent_id="a1"))
    assert info.value.code == "AGENT_NOT_REGISTERED"
    with pytest.raises(FunctionError) as info:
        calls.agents_unregister_many(t, AgentsUnregisterManyArgs())
    assert info.value.code == "INVALID_FILTERS"
    # a repeated id deletes once; unknown ids are ignored
    assert calls.agents_unregister_many(
        t, AgentsUnregisterManyArgs(agent_ids=["a2", "a2", "ghost"])
    ) == {"deleted": 1, "agentIds": ["a2"]}
    calls.agents_update(t, AgentsUpdateArgs(agent_id="a4", status="archived"))
    assert calls.agents_unregister_many(t, AgentsUnregisterManyArgs(status="archived")) == {
        "deleted": 1,
        "agentIds": ["a4"],
    }
    assert _ids(calls.agents_list(t, AgentsListArgs())) == ["a3"]


def test_compute_stats_counts_the_agents_data(t: Transport) -> None:
    for space in ("space-a", "space-b"):
        mcalls.memories_store(
            t,
            MemoriesStoreArgs(
                memory_space_id=space,
                participant_id="a1",
                content="m",
                content_type="raw",
                source_type="system",
                importance=50,
                tags=[],
            ),
        )
    fact = fcalls.facts_store(
        t,
        FactsStoreArgs(
            memory_space_id="space-a",
            participant_id="a1",
            fact="sky is blue",
            fact_type="knowledge",
            confidence=90,
            source_type="manual",
            tags=[],
        ),
    )
    stats = calls.agents_compute_stats(t, AgentsComputeStatsArgs(agent_id="a1"))
    assert stats == {
        "totalMemories": 2,
        "totalConversations": 0,
        "totalFacts": 1,
        "memorySpacesActive": 2,
        "lastActive": stats["lastActive"],
        "isApproximate": False,
    }
    assert stats["lastActive"] >= fact["updatedAt"]
    empty = calls.agents_compute_stats(t, AgentsComputeStatsArgs(agent_id="nobody"))
    assert "lastActive" not in empty and empty["totalMemories"] == 0


def test_purge_all_needs_allow_purge(t: Transport) -> None:
    _register(t, "a1")
    _register(t, "a2")
    assert calls.agents_purge_all(t, AgentsPurgeAllArgs()) == {"deleted": 2}
    assert calls.agents_count(t, AgentsCountArgs()) == 0
    with SyncEmbeddedTransport(":memory:") as locked:
        _register(locked, "kept")
        with pytest.raises(FunctionError) as info:
            calls.agents_purge_all(locked, AgentsPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.agents_count(locked, AgentsCountArgs()) == 1


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", AgentsRegisterArgs, {"agentId": "a5"}, "name"),
        (
            "mutation",
            AgentsRegisterArgs,
            {"agentId": "a5", "name": "n", "status": "active"},
            "status",
        ),
        ("mutation", AgentsRegisterArgs, {"agentId": 5, "name": "n"}, None),
        ("mutation", AgentsUpdateArgs, {"agentId": "a5", "status": "deleted"}, None),
        ("mutation", AgentsUpdateManyArgs, {"agentIds": "a5"}, None),
        ("query", AgentsListArgs, {"limit": "3"}, None),
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
    assert calls.agents_count(t, AgentsCountArgs()) == 0
