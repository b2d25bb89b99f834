"""``cortex.agents`` orchestration on the embedded backend (async, sync) and over HTTP against ``cortex serve``.

The cascade (``unregister(cascade=True)``) is checked phase by phase, across several memory spaces, including a
failure in the middle: another client unregisters the agent while the cascade runs, so the backend's
``agents:unregister`` handler refuses the last step and everything deleted before is restored.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from cortex import Cortex, CortexConfig, SyncCortex, ValidationError
from cortex.errors import AgentCascadeDeletionError, CascadeDeletionError, CortexError

from .people_support import seed_user, seed_user_sync
from .rest_support import RecordingAsyncTransport, embedded, embedded_sync, served_url, unique

NO_GRAPH = "Graph adapter not configured - manual graph cleanup required"


async def _spaces(client: Any, *names: str) -> None:
    for name in names:
        await client.memory_spaces.register({"memorySpaceId": name, "type": "team", "name": name})


async def _agent_view(client: Any, agent: str, spaces: tuple[str, ...]) -> dict[str, Any]:
    """What references ``agent`` as participant: conversations (with messages), memories, current facts."""
    convs, memories, facts = [], [], []
    for space in spaces:
        for c in (await client.conversations.list({"memorySpaceId": space})).conversations:
            if c.participants.participant_id == agent:
                convs.append((c.conversation_id, [(m.id, m.content) for m in c.messages]))
        memories += [
            m.content
            for m in await client.vector.list({"memorySpaceId": space})
            if m.participant_id == agent
        ]
        facts += [
            f.fact
            for f in await client.facts.list({"memorySpaceId": space, "participantId": agent})
            if f.valid_until is None
        ]
    return {"conversations": sorted(convs), "memories": sorted(memories), "facts": sorted(facts)}


# -- registry --------------------------------------------------------------------------------------------------


async def test_register_get_update_with_stats() -> None:
    async with embedded() as client:
        agent = await client.agents.register(
            {
                "id": "bot",
                "name": "Support Bot",
                "description": "helps",
                "metadata": {"team": "cs"},
                "config": {"t": 1},
            }
        )
        assert (agent.id, agent.name, agent.status, agent.metadata, agent.config) == (
            "bot",
            "Support Bot",
            "active",
            {"team": "cs"},
            {"t": 1},
        )
        assert agent.stats is not None and agent.stats.total_memories == 0
        await _spaces(client, "s-bot")
        await seed_user(client, "cust", "s-bot", agent="bot")
        got = await client.agents.get("bot")
        assert got is not None and got.stats is not None
        assert got.stats.total_memories == 2 and got.stats.total_facts == 1
        assert await client.agents.get("ghost") is None
        updated = await client.agents.update(
            "bot", {"name": "Bot 2", "status": "inactive", "metadata": {"v": 2}}
        )
        assert (updated.name, updated.status, updated.metadata) == ("Bot 2", "inactive", {"v": 2})
        assert updated.description == "helps" and updated.stats is not None
        with pytest.raises(CortexError):
            await client.agents.register({"id": "bot", "name": "again"})


async def test_list_search_and_client_side_filters() -> None:
    async with embedded() as client:
        await client.agents.register(
            {"id": "a1", "name": "Alpha Writer", "metadata": {"capabilities": ["write", "read"]}}
        )
        await client.agents.register(
            {"id": "a2", "name": "Beta Reader", "metadata": {"capabilities": ["read"], "tier": 1}}
        )
        await client.agents.register({"id": "a3", "name": "Gamma", "metadata": {"tier": 1}})
        await client.agents.update("a3", {"status": "archived"})
        assert sorted(a.id for a in await client.agents.list()) == ["a1", "a2", "a3"]
        assert [a.id for a in await client.agents.list({"status": "archived"})] == ["a3"]
        assert sorted(a.id for a in await client.agents.list({"capabilities": ["read"]})) == [
            "a1",
            "a2",
        ]
        both = await client.agents.list(
            {"capabilities": ["read", "write"], "capabilitiesMatch": "all"}
        )
        assert [a.id for a in both] == ["a1"]
        assert sorted(a.id for a in await client.agents.search({"metadata": {"tier": 1}})) == [
            "a2",
            "a3",
        ]
        assert [a.id for a in await client.agents.search({"name": "READER"})] == ["a2"]
        assert await client.agents.list({"lastActiveAfter": 0}) == []
        assert all(a.stats is None for a in await client.agents.list())
        assert len(await client.agents.list({"limit": 2})) == 2


async def test_update_many_and_export() -> None:
    async with embedded() as client:
        await client.agents.register(
            {"id": "e1", "name": "One, the first", "metadata": {"grp": "x"}}
        )
        await client.agents.register({"id": "e2", "name": 'Two "quoted"', "metadata": {"grp": "x"}})
        await client.agents.register({"id": "e3", "name": "Three", "metadata": {"grp": "y"}})
        result = await client.agents.update_many(
            {"metadata": {"grp": "x"}}, {"description": "batch"}
        )
        assert sorted(result.agent_ids) == ["e1", "e2"] and result.updated == 2
        assert (await client.agents.get("e1")).description == "batch"  # type: ignore[union-attr]
        assert (await client.agents.get("e3")).description is None  # type: ignore[union-attr]
        none = await client.agents.update_many({"name": "nobody"}, {"description": "x"})
        assert (none.updated, none.agent_ids) == (0, [])
        exported = await client.agents.export(
            {"format": "json", "filters": {"metadata": {"grp": "x"}}}
        )
        assert exported.format == "json" and exported.count == 2
        assert sorted(a["id"] for a in json.loads(exported.data)) == ["e1", "e2"]
        as_csv = await client.agents.export({"format": "csv", "includeStats": True})
        rows = list(csv.reader(io.StringIO(as_csv.data)))
        assert (
            rows[0][:4] == ["id", "name", "description", "status"]
            and rows[0][-1] == "memorySpacesActive"
        )
        names = {r[0]: r[1] for r in rows[1:]}
        assert names == {"e1": "One, the first", "e2": 'Two "quoted"', "e3": "Three"}
        assert json.loads({r[0]: r for r in rows[1:]}["e1"][7]) == {"grp": "x"}
        bare = await client.agents.export({"format": "csv", "includeMetadata": False})
        assert (
            bare.data.splitlines()[0]
            == "id,name,description,status,registeredAt,updatedAt,lastActive"
        )


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a: a.register({"id": "", "name": "x"}), "EMPTY_AGENT_ID"),
        (lambda a: a.register({"name": "x"}), "MISSING_AGENT_ID"),
        (lambda a: a.register({"id": "x"}), "MISSING_AGENT_NAME"),
        (lambda a: a.register({"id": "x", "name": "  "}), "EMPTY_AGENT_NAME"),
        (lambda a: a.register({"id": "x" * 257, "name": "n"}), "AGENT_ID_TOO_LONG"),
        (lambda a: a.register({"id": "x", "name": "n" * 201}), "AGENT_NAME_TOO_LONG"),
        (
            lambda a: a.register({"id": "x", "name": "n", "metadata": [1]}),
            "INVALID_METADATA_FORMAT",
        ),
        (lambda a: a.register({"id": "x", "name": "n", "config": "c"}), "INVALID_CONFIG_FORMAT"),
        (lambda a: a.get("   "), "EMPTY_AGENT_ID"),
        (lambda a: a.get(None), "MISSING_AGENT_ID"),
        (lambda a: a.list({"limit": 0}), "INVALID_LIMIT_VALUE"),
        (lambda a: a.list({"offset": -2}), "INVALID_OFFSET_VALUE"),
        (
            lambda a: a.search({"registeredAfter": 9, "registeredBefore": 3}),
            "INVALID_TIMESTAMP_RANGE",
        ),
        (lambda a: a.update("x", {}), "MISSING_UPDATES"),
        (lambda a: a.update("x", {"status": "gone"}), "INVALID_STATUS"),
        (lambda a: a.update("x", {"name": ""}), "EMPTY_AGENT_NAME"),
        (lambda a: a.update_many({}, {}), "MISSING_UPDATES"),
        (lambda a: a.update_many({}, {"config": [1]}), "INVALID_CONFIG_FORMAT"),
        (lambda a: a.export({}), "MISSING_FORMAT"),
        (lambda a: a.export({"format": "xml"}), "INVALID_FORMAT"),
        (lambda a: a.export(None), "MISSING_OPTIONS"),
        (lambda a: a.unregister("x", {"dryRun": True, "verify": False}), "CONFLICTING_OPTIONS"),
        (lambda a: a.unregister_many({"limit": 5000}), "INVALID_LIMIT_VALUE"),
    ],
)
async def test_bad_input_raises_before_sending(call: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await call(client.agents)
        assert info.value.code == code
        assert client.transport.paths == []


# -- unregister and the cascade --------------------------------------------------------------------------------


async def test_plain_unregister_keeps_data() -> None:
    async with embedded() as client:
        await _spaces(client, "p1")
        await client.agents.register({"id": "plain-bot", "name": "P"})
        await seed_user(client, "c1", "p1", agent="plain-bot")
        dry = await client.agents.unregister("plain-bot", {"dryRun": True})
        assert dry.total_deleted == 0 and await client.agents.exists("plain-bot")
        result = await client.agents.unregister("plain-bot")
        assert result.total_deleted == 1 and result.deleted_layers == ["agent-registration"]
        assert not await client.agents.exists("plain-bot")
        assert len((await _agent_view(client, "plain-bot", ("p1",)))["memories"]) == 2
        with pytest.raises(CortexError) as info:
            await client.agents.unregister("plain-bot")
        assert "AGENT_NOT_REGISTERED" in info.value.code


async def test_cascade_collects_dry_runs_deletes_and_verifies_across_spaces() -> None:
    async with embedded() as client:
        spaces = ("c-one", "c-two", "c-other")
        await _spaces(client, *spaces)
        await client.agents.register({"id": "casc", "name": "Cascade"})
        await seed_user(client, "cu1", "c-one", agent="casc")
        await seed_user(client, "cu2", "c-two", agent="casc")
        await seed_user(client, "cu3", "c-other", agent="someone-else")
        untouched = await _agent_view(client, "someone-else", spaces)
        plan = await client.agents.collect("casc")
        assert len(plan.layers["conversations"]) == 2 and len(plan.layers["memories"]) == 4
        assert len(plan.layers["facts"]) == 2 and [
            r["agentId"] for r in plan.layers["agent-registration"]
        ] == ["casc"]
        dry = await client.agents.unregister("casc", {"cascade": True, "dryRun": True})
        assert dry.total_deleted == 9 and sorted(dry.memory_spaces_affected) == ["c-one", "c-two"]
        assert dry.verification.issues == ["DRY RUN: Would delete 9 total records across 2 spaces"]
        assert await client.agents.exists("casc")
        result = await client.agents.unregister("casc", {"cascade": True})
        assert (result.facts_deleted, result.memories_deleted, result.conversations_deleted) == (
            2,
            4,
            2,
        )
        assert result.conversation_messages_deleted == 4 and result.total_deleted == 9
        assert result.deleted_layers == ["facts", "memories", "conversations", "agent-registration"]
        assert result.verification.complete is True and result.verification.issues == [NO_GRAPH]
        assert await _agent_view(client, "casc", spaces) == {
            "conversations": [],
            "memories": [],
            "facts": [],
        }
        assert not await client.agents.exists("casc")
        assert await _agent_view(client, "someone-else", spaces) == untouched
        assert await client.agents.remaining("casc") == [NO_GRAPH]


class _ConcurrentUnregister(RecordingAsyncTransport):
    """A real transport; when the cascade starts deleting conversations, another client unregisters the agent."""

    def __init__(self, inner: Any, agent: str) -> None:
        super().__init__(inner)
        self.agent = agent
        self.fired = False

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        if path.startswith("conversations:") and "conversationIds" in args and not self.fired:
            self.fired = True
            other = Cortex(CortexConfig(), transport=self.inner)
            await other.agents.unregister(self.agent)
        return await super().call(kind, path, args, options=options)


async def test_cascade_failure_in_the_middle_is_rolled_back() -> None:
    base = Cortex(CortexConfig(local_path=":memory:"))
    racing = _ConcurrentUnregister(base.transport, "racer")
    client = Cortex(CortexConfig(), transport=racing)  # type: ignore[arg-type]
    try:
        spaces = ("r-one", "r-two")
        await _spaces(client, *spaces)
        await client.agents.register({"id": "racer", "name": "Racer"})
        await seed_user(client, "ru1", "r-one", agent="racer")
        await seed_user(client, "ru2", "r-two", agent="racer")
        before = await _agent_view(client, "racer", spaces)
        with pytest.raises(AgentCascadeDeletionError) as info:
            await client.agents.unregister("racer", {"cascade": True})
        err = info.value
        assert isinstance(err, CascadeDeletionError) and err.code == "AGENT_CASCADE_DELETION_FAILED"
        assert (err.owner_id, err.layer, err.record_id) == ("racer", "agent-registration", "racer")
        assert "AGENT_NOT_REGISTERED" in getattr(err.cause, "code", "")
        assert err.rollback_errors == []
        assert racing.fired
        # facts and memories (deleted first) and conversations (deleted in the same batch call) are back
        assert await _agent_view(client, "racer", spaces) == before
    finally:
        await base.close()


# -- bulk unregister -------------------------------------------------------------------------------------------


async def test_unregister_many_plain_and_cascade() -> None:
    async with embedded() as client:
        await _spaces(client, "m-space")
        for i in range(3):
            await client.agents.register(
                {"id": f"m{i}", "name": f"Many {i}", "metadata": {"batch": i < 2}}
            )
        await seed_user(client, "mu", "m-space", agent="m0")
        preview = await client.agents.unregister_many(
            {"metadata": {"batch": True}}, {"dryRun": True}
        )
        assert sorted(preview.agent_ids) == ["m0", "m1"] and preview.deleted == 0
        cascaded = await client.agents.unregister_many(
            {"metadata": {"batch": True}}, {"cascade": True}
        )
        assert sorted(cascaded.agent_ids) == ["m0", "m1"] and cascaded.deleted == 2
        assert (
            cascaded.total_data_deleted == 5 + 1
        )  # m0: 2 memories, a fact, a conversation, itself
        assert (await _agent_view(client, "m0", ("m-space",)))["memories"] == []
        plain = await client.agents.unregister_many({"name": "many"})
        assert plain.agent_ids == ["m2"] and plain.deleted == 1
        empty = await client.agents.unregister_many({"name": "many"})
        assert (empty.deleted, empty.agent_ids, empty.total_data_deleted) == (0, [], 0)


# -- sync ------------------------------------------------------------------------------------------------------


def test_sync_registry_and_cascade() -> None:
    with embedded_sync() as client:
        client.memory_spaces.register({"memorySpaceId": "sy", "type": "team", "name": "sy"})
        agent = client.agents.register({"id": "sync-bot", "name": "Sync", "metadata": {"k": 1}})
        assert agent.stats is not None and agent.name == "Sync"
        seed_user_sync(client, "su", "sy", agent="sync-bot")
        assert [a.id for a in client.agents.search({"metadata": {"k": 1}})] == ["sync-bot"]
        assert client.agents.update("sync-bot", {"description": "d"}).description == "d"
        assert client.agents.export({"format": "json"}).count == 1
        assert client.agents.update_many({"name": "sync"}, {"config": {"c": 2}}).updated == 1
        result = client.agents.unregister("sync-bot", {"cascade": True})
        assert result.total_deleted == 5 and result.verification.complete
        assert client.agents.get("sync-bot") is None
        with pytest.raises(ValidationError):
            client.agents.register({"id": "x", "name": ""})


# -- over HTTP -------------------------------------------------------------------------------------------------


async def test_over_http_async_cascade() -> None:
    agent, space = unique("http-agent"), unique("http-agent-space")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        await _spaces(client, space)
        await client.agents.register({"id": agent, "name": "HTTP agent"})
        await seed_user(client, unique("http-cust"), space, agent=agent)
        got = await client.agents.get(agent)
        assert got is not None and got.stats is not None and got.stats.total_memories == 2
        result = await client.agents.unregister(agent, {"cascade": True})
        assert result.total_deleted == 5 and result.memory_spaces_affected == [space]
        assert await _agent_view(client, agent, (space,)) == {
            "conversations": [],
            "memories": [],
            "facts": [],
        }


def test_over_http_sync_registry() -> None:
    agent = unique("http-sync-agent")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        client.agents.register({"id": agent, "name": "Sync HTTP", "metadata": {"tag": agent}})
        assert [a.id for a in client.agents.list({"metadata": {"tag": agent}})] == [agent]
        assert client.agents.unregister(agent).deleted_layers == ["agent-registration"]
        assert client.agents.get(agent) is None
