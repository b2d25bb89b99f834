"""``cortex.agents``: the agent registry, with statistics, bulk operations, exports and cascade unregistration.

``AsyncAgents`` extends the generated ``AgentsBase`` (which keeps ``count``, ``configure`` and ``exists``).
``unregister(cascade=True)`` removes everything the agent took part in, by ``participantId``, across every memory
space (facts, memories, conversations) and then its registration; when a deletion fails, what was deleted is
restored from the backup and ``AgentCascadeDeletionError`` is raised (see ``cortex._async.cascade``).
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime, timezone
from typing import Any

from cortex import _helpers
from cortex import _users_agents as rules
from cortex._async.cascade import AsyncCascadeStore, Plan
from cortex._context import AsyncContext
from cortex._generated.args.agents import (
    AgentsComputeStatsArgs,
    AgentsGetArgs,
    AgentsListArgs,
    AgentsRegisterArgs,
    AgentsUnregisterArgs,
    AgentsUnregisterManyArgs,
    AgentsUpdateArgs,
    AgentsUpdateManyArgs,
)
from cortex._generated.calls import agents as _agents
from cortex._generated.models import (
    AgentFilters,
    AgentRegistration,
    AgentsAPIUnregisterManyResult,
    AgentsAPIUpdateManyResult,
    AgentsAPIUpdateManyUpdates,
    AgentsAPIUpdateUpdates,
    AgentStats,
    ExportAgentsOptions,
    ExportAgentsResult,
    RegisteredAgent,
    UnregisterAgentOptions,
    UnregisterAgentResult,
)
from cortex._generated.namespaces.agents import AgentsBase
from cortex._mapping import validate_param
from cortex._users_agents import AgentCascadeDeletionError
from cortex.errors import CortexError, ValidationError

__all__ = ["AgentCascadeDeletionError", "AsyncAgents"]

AGENT_ORDER = ("facts", "memories", "conversations", "agent-registration")
NO_GRAPH = "Graph adapter not configured - manual graph cleanup required"


def _given(**values: Any) -> dict[str, Any]:
    """Only the values that were given: an explicit ``None`` would be sent as ``null``."""
    return {k: v for k, v in values.items() if v is not None}


def _agent(record: dict[str, Any], stats: Any = None) -> RegisteredAgent:
    agent = RegisteredAgent.model_validate(
        {
            **_given(
                id=record["agentId"],
                tenantId=record.get("tenantId"),
                name=record["name"],
                description=record.get("description"),
                status=record["status"],
                registeredAt=record["registeredAt"],
                updatedAt=record["updatedAt"],
                lastActive=record.get("lastActive"),
            ),
            "metadata": record.get("metadata") or {},
            "config": record.get("config") or {},
        }
    )
    if stats is not None:
        agent.stats = AgentStats.model_validate(stats)
    return agent


def _iso(ms: Any) -> str:
    return (
        datetime.fromtimestamp(float(ms) / 1000, tz=timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _takes_part(conversation: dict[str, Any], agent_id: str) -> bool:
    participants = conversation.get("participants") or {}
    return agent_id in (
        participants.get("participantId"),
        participants.get("agentId"),
        conversation.get("participantId"),
    )


def _matches(record: dict[str, Any], f: AgentFilters) -> bool:
    metadata = record.get("metadata") or {}
    if f.metadata and any(metadata.get(k) != v for k, v in f.metadata.items()):
        return False
    if f.name and f.name.lower() not in str(record.get("name", "")).lower():
        return False
    if f.capabilities:
        caps = metadata.get("capabilities")
        caps = caps if isinstance(caps, builtins.list) else []
        test = all if f.capabilities_match == "all" else any
        if not test(c in caps for c in f.capabilities):
            return False
    last = record.get("lastActive")
    if f.last_active_after is not None and (last is None or last < f.last_active_after):
        return False
    return not (f.last_active_before is not None and (last is None or last > f.last_active_before))


class AsyncAgents(AgentsBase):
    """The agent registry: registration, lookup with statistics, filtering, bulk changes, export, cascade."""

    def __init__(self, ctx: AsyncContext) -> None:
        super().__init__(ctx)
        self._store = AsyncCascadeStore(ctx)

    async def _stats(self, agent_id: str) -> Any:
        return await _agents.agents_compute_stats(
            self._ctx.transport,
            AgentsComputeStatsArgs(agent_id=agent_id),
            options=self._ctx.options,
        )

    async def _record(self, agent_id: str) -> dict[str, Any] | None:
        row = await _agents.agents_get(
            self._ctx.transport, AgentsGetArgs(agent_id=agent_id), options=self._ctx.options
        )
        return row if isinstance(row, dict) else None

    # -- registry --------------------------------------------------------------------------------------------

    async def register(self, agent: AgentRegistration | dict[str, Any]) -> RegisteredAgent:
        """Register an agent (``id``, ``name``, optional ``description``/``metadata``/``config``)."""
        if isinstance(agent, dict):
            rules.check_agent_id(agent.get("id"), "id")
            rules.check_agent_name(agent.get("name"), "name")
            rules.check_object(agent.get("metadata"), "metadata")
            rules.check_object(agent.get("config"), "config")
        model = validate_param(AgentRegistration, agent, "agent")
        rules.check_agent_id(model.id, "id")
        rules.check_agent_name(model.name, "name")
        record = await _agents.agents_register(
            self._ctx.transport,
            AgentsRegisterArgs(
                **_given(
                    agent_id=model.id,
                    name=model.name,
                    description=model.description,
                    metadata=model.metadata,
                    config=model.config,
                )
            ),
            options=self._ctx.options,
        )
        if not isinstance(record, dict):
            raise CortexError(f"failed to register agent {model.id}", code="AGENT_REGISTER_FAILED")
        return _agent(record, await self._stats(model.id))

    async def get(self, agent_id: str) -> RegisteredAgent | None:
        """The registered agent with its statistics, or ``None``."""
        rules.check_agent_id(agent_id)
        record = await self._record(agent_id)
        return None if record is None else _agent(record, await self._stats(agent_id))

    async def list(
        self, filters: AgentFilters | dict[str, Any] | None = None
    ) -> builtins.list[RegisteredAgent]:
        """Registered agents (status, limit and offset on the backend; metadata, name, capabilities and
        last-activity filters applied to the returned page), without statistics."""
        f = (
            validate_param(AgentFilters, filters, "filters")
            if filters is not None
            else AgentFilters()
        )
        rules.check_agent_filters(f)
        rows = await _agents.agents_list(
            self._ctx.transport,
            AgentsListArgs(**_given(status=f.status, limit=f.limit, offset=f.offset)),
            options=self._ctx.options,
        )
        return [_agent(r) for r in rows if _matches(r, f)]

    async def search(
        self, filters: AgentFilters | dict[str, Any]
    ) -> builtins.list[RegisteredAgent]:
        """Same as ``list`` with filters."""
        return await self.list(filters)

    async def update(
        self, agent_id: str, updates: AgentsAPIUpdateUpdates | dict[str, Any]
    ) -> RegisteredAgent:
        """Change name, description, metadata, config and/or status; returns the agent with statistics."""
        rules.check_agent_id(agent_id)
        if isinstance(updates, dict):
            rules.check_object(updates.get("metadata"), "metadata")
            rules.check_object(updates.get("config"), "config")
        u = validate_param(AgentsAPIUpdateUpdates, updates, "updates")
        if all(v is None for v in (u.name, u.description, u.metadata, u.config, u.status)):
            raise ValidationError(
                "At least one field must be provided for update (name, description, metadata, config, or status)",
                code="MISSING_UPDATES",
            )
        if u.name is not None:
            rules.check_agent_name(u.name)
        if u.status is not None:
            rules.check_agent_status(u.status)
        record = await _agents.agents_update(
            self._ctx.transport,
            AgentsUpdateArgs(
                **_given(
                    agent_id=agent_id,
                    name=u.name,
                    description=u.description,
                    metadata=u.metadata,
                    config=u.config,
                    status=u.status,
                )
            ),
            options=self._ctx.options,
        )
        if not isinstance(record, dict):
            raise CortexError(f"failed to update agent {agent_id}", code="AGENT_UPDATE_FAILED")
        return _agent(record, await self._stats(agent_id))

    async def update_many(
        self,
        filters: AgentFilters | dict[str, Any],
        updates: AgentsAPIUpdateManyUpdates | dict[str, Any],
    ) -> AgentsAPIUpdateManyResult:
        """Apply the same name/description/metadata/config change to every agent matching ``filters``."""
        if isinstance(updates, dict):
            rules.check_object(updates.get("metadata"), "metadata")
            rules.check_object(updates.get("config"), "config")
        u = validate_param(AgentsAPIUpdateManyUpdates, updates, "updates")
        f = validate_param(AgentFilters, filters, "filters")
        rules.check_agent_filters(f)
        if all(v is None for v in (u.name, u.description, u.metadata, u.config)):
            raise ValidationError(
                "At least one field must be provided for update (name, description, metadata, or config)",
                code="MISSING_UPDATES",
            )
        ids = [a.id for a in await self.list(f)]
        if not ids:
            return AgentsAPIUpdateManyResult(updated=0, agent_ids=[])
        result = await _agents.agents_update_many(
            self._ctx.transport,
            AgentsUpdateManyArgs(
                **_given(
                    agent_ids=ids,
                    name=u.name,
                    description=u.description,
                    metadata=u.metadata,
                    config=u.config,
                )
            ),
            options=self._ctx.options,
        )
        return AgentsAPIUpdateManyResult.model_validate(result)

    # -- export ----------------------------------------------------------------------------------------------

    async def export(self, options: ExportAgentsOptions | dict[str, Any]) -> ExportAgentsResult:
        """The matching agents as JSON or CSV; ``include_metadata`` (default on), ``include_stats``."""
        if options is None:
            raise ValidationError("Export options are required", code="MISSING_OPTIONS")
        if isinstance(options, dict):
            fmt = options.get("format")
            if not fmt:
                raise ValidationError("format is required", code="MISSING_FORMAT", field="format")
            if fmt not in ("json", "csv"):
                raise ValidationError(
                    f"Invalid format {fmt!r}. Valid values: json, csv",
                    code="INVALID_FORMAT",
                    field="format",
                )
        opts = validate_param(ExportAgentsOptions, options, "options")
        agents = await self.list(opts.filters)
        with_meta = opts.include_metadata is not False
        if opts.include_stats:
            for a in agents:
                a.stats = AgentStats.model_validate(await self._stats(a.id))
        rows = [a.model_dump(by_alias=True, exclude_none=True, mode="json") for a in agents]
        if opts.format != "csv":
            data = json.dumps(rows, indent=2, ensure_ascii=False)
        else:
            header = [
                "id",
                "name",
                "description",
                "status",
                "registeredAt",
                "updatedAt",
                "lastActive",
            ]
            header += ["metadata", "config"] if with_meta else []
            if opts.include_stats:
                header += [
                    "totalMemories",
                    "totalConversations",
                    "totalFacts",
                    "memorySpacesActive",
                ]
            lines = [",".join(header)]
            for a in agents:
                cells = [
                    rules.csv_cell(a.id),
                    rules.csv_cell(a.name),
                    rules.csv_cell(a.description or ""),
                    rules.csv_cell(a.status),
                    _iso(a.registered_at),
                    _iso(a.updated_at),
                    _iso(a.last_active) if a.last_active else "",
                ]
                if with_meta:
                    cells += [
                        rules.csv_cell(_helpers.json_stringify(a.metadata)),
                        rules.csv_cell(_helpers.json_stringify(a.config)),
                    ]
                if opts.include_stats and a.stats is not None:
                    s = a.stats
                    cells += [
                        f"{s.total_memories:g}",
                        f"{s.total_conversations:g}",
                        f"{s.total_facts:g}",
                        f"{s.memory_spaces_active:g}",
                    ]
                lines.append(",".join(cells))
            data = "\n".join(lines)
        return ExportAgentsResult(
            format=opts.format, data=data, count=len(agents), exported_at=_helpers.now()
        )

    # -- unregistration --------------------------------------------------------------------------------------

    async def unregister(
        self, agent_id: str, options: UnregisterAgentOptions | dict[str, Any] | None = None
    ) -> UnregisterAgentResult:
        """Remove the registration; with ``cascade`` also every fact, memory and conversation the agent took part
        in (by ``participantId``, in every memory space), restoring all of it when a deletion fails."""
        rules.check_agent_id(agent_id)
        opts = validate_param(UnregisterAgentOptions, options or {}, "options")
        rules.check_unregister_options(opts)
        if not opts.cascade:
            if not opts.dry_run:
                await _agents.agents_unregister(
                    self._ctx.transport,
                    AgentsUnregisterArgs(agent_id=agent_id),
                    options=self._ctx.options,
                )
            done = 0 if opts.dry_run else 1
            layers = [] if opts.dry_run else ["agent-registration"]
            return self._result(agent_id, {}, done, layers, [], [])
        plan = await self.collect(agent_id)
        affected = sorted(
            {r["memorySpaceId"] for layer in AGENT_ORDER[:3] for r in plan.layers.get(layer, [])}
        )
        if opts.dry_run:
            counts = {layer: len(plan.layers.get(layer, [])) for layer in AGENT_ORDER}
            counts["messages"] = sum(
                int(c.get("messageCount", 0)) for c in plan.layers["conversations"]
            )
            total = sum(counts[layer] for layer in AGENT_ORDER)
            issue = f"DRY RUN: Would delete {total} total records across {len(affected)} spaces"
            return self._result(agent_id, counts, total, None, [issue], affected, complete=True)
        counts = await self._store.run(plan, AGENT_ORDER, AgentCascadeDeletionError)
        issues: builtins.list[str] = []
        if opts.verify is not False:
            issues = await self.remaining(agent_id)
        complete = not [i for i in issues if i != NO_GRAPH]
        total = sum(counts[layer] for layer in AGENT_ORDER)
        return self._result(agent_id, counts, total, None, issues, affected, complete=complete)

    def _result(
        self,
        agent_id: str,
        counts: dict[str, int],
        total: int,
        layers: builtins.list[str] | None,
        issues: builtins.list[str],
        affected: builtins.list[str],
        complete: bool = True,
    ) -> UnregisterAgentResult:
        if layers is None:
            layers = [layer for layer in AGENT_ORDER if counts.get(layer)]
        return UnregisterAgentResult.model_validate(
            {
                "agentId": agent_id,
                "unregisteredAt": _helpers.now(),
                "conversationsDeleted": counts.get("conversations", 0),
                "conversationMessagesDeleted": counts.get("messages", 0),
                "memoriesDeleted": counts.get("memories", 0),
                "factsDeleted": counts.get("facts", 0),
                "graphNodesDeleted": 0,
                "verification": {"complete": complete, "issues": issues},
                "totalDeleted": total,
                "deletedLayers": layers,
                "memorySpacesAffected": affected,
            }
        )

    async def collect(self, agent_id: str) -> Plan:
        """Phase 1 of the cascade: the agent's facts, memories and conversations in every memory space (plus the
        space named after the agent, where agent-to-agent messages land), and its registration."""
        rules.check_agent_id(agent_id)
        store = self._store
        plan = Plan(owner_id=agent_id, hard_fact_delete=False)
        plan.spaces = sorted(set(await store.all_spaces()) | {agent_id})
        seen: set[str] = set()
        for space in plan.spaces:
            for c in await store.conversations(memory_space_id=space):
                if _takes_part(c, agent_id) and c["conversationId"] not in seen:
                    seen.add(c["conversationId"])
                    plan.records("conversations").append(c)
            memories = await store.memories(space)
            plan.records("memories").extend(
                m for m in memories if m.get("participantId") == agent_id
            )
            plan.records("facts").extend(await store.facts(space, participant_id=agent_id))
        record = await self._record(agent_id)
        plan.layers["agent-registration"] = [record] if record else []
        return plan

    async def remaining(self, agent_id: str) -> builtins.list[str]:
        """Verification: what still references the agent as participant, in every memory space."""
        store = self._store
        now = _helpers.now()
        memories = conversations = facts = 0
        for space in sorted(set(await store.all_spaces()) | {agent_id}):
            memories += sum(
                1 for m in await store.memories(space) if m.get("participantId") == agent_id
            )
            conversations += sum(
                1
                for c in await store.conversations(memory_space_id=space)
                if _takes_part(c, agent_id)
            )
            facts += len(await store.facts(space, participant_id=agent_id, valid_at=now))
        issues = [
            f"{n} {what} still reference participantId"
            for what, n in (
                ("memories", memories),
                ("conversations", conversations),
                ("facts", facts),
            )
            if n
        ]
        if self._ctx.graph is None:
            issues.append(NO_GRAPH)
        return issues

    async def unregister_many(
        self,
        filters: AgentFilters | dict[str, Any],
        options: UnregisterAgentOptions | dict[str, Any] | None = None,
    ) -> AgentsAPIUnregisterManyResult:
        """Unregister every agent matching ``filters`` (each with the cascade when asked; failures are skipped)."""
        f = validate_param(AgentFilters, filters, "filters")
        rules.check_agent_filters(f)
        opts = validate_param(UnregisterAgentOptions, options or {}, "options")
        rules.check_unregister_options(opts)
        agents = await self.list(f)
        if not agents:
            return AgentsAPIUnregisterManyResult(deleted=0, agent_ids=[], total_data_deleted=0)
        ids = [a.id for a in agents]
        if opts.dry_run:
            return AgentsAPIUnregisterManyResult(deleted=0, agent_ids=ids)
        if not opts.cascade:
            result = await _agents.agents_unregister_many(
                self._ctx.transport,
                AgentsUnregisterManyArgs(agent_ids=ids),
                options=self._ctx.options,
            )
            return AgentsAPIUnregisterManyResult.model_validate(result)
        done: builtins.list[str] = []
        data = 0
        for agent_id in ids:
            try:
                result = await self.unregister(agent_id, opts)
            except CortexError:
                continue
            done.append(agent_id)
            data += int(result.total_deleted)
        return AgentsAPIUnregisterManyResult(
            deleted=len(done), agent_ids=done, total_data_deleted=data
        )
