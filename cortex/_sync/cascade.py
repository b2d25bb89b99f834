# generated from cortex/_async/cascade.py by codegen/twins.py; do not edit
"""The cascade-deletion engine behind ``users.delete(cascade=True)`` and ``agents.unregister(cascade=True)``.

Three phases. *Collect*: the owner's records, layer by layer, read in full (``AsyncCascadeStore`` has one reader per
layer). *Back up*: the plan holds deep copies of those records. *Delete*: layer by layer in a fixed order; when a
deletion fails, everything already deleted is re-created from the backup (newest deletion first) and a
``CascadeDeletionError`` naming the layer and record is raised. Re-created records keep their content and their
client-chosen ids (conversations, messages, immutable and mutable keys, sessions); ids the backend assigns
(memories, facts, contexts) are new, and version histories restart at 1.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cortex._context import SyncContext
from cortex._generated.args.admin import AdminDeleteRecordArgs
from cortex._generated.args.agents import AgentsListArgs, AgentsUnregisterArgs
from cortex._generated.args.contexts import (
    ContextsCountArgs,
    ContextsCreateArgs,
    ContextsDeleteContextArgs,
    ContextsListArgs,
)
from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsAddMessageArgsMessage,
    ConversationsCreateArgs,
    ConversationsDeleteByIdsArgs,
    ConversationsListArgs,
)
from cortex._generated.args.facts import (
    FactsDeleteByIdsArgs,
    FactsDeleteManyArgs,
    FactsListArgs,
    FactsStoreArgs,
)
from cortex._generated.args.immutable import (
    ImmutableGetArgs,
    ImmutableListArgs,
    ImmutablePurgeArgs,
    ImmutableStoreArgs,
)
from cortex._generated.args.memories import (
    MemoriesCountArgs,
    MemoriesDeleteByIdsArgs,
    MemoriesListArgs,
    MemoriesStoreArgs,
)
from cortex._generated.args.memory_spaces import MemorySpacesListArgs
from cortex._generated.args.mutable import MutableDeleteKeyArgs, MutableListArgs, MutableSetArgs
from cortex._generated.args.sessions import SessionsCreateArgs, SessionsEndArgs, SessionsListArgs
from cortex._generated.calls_sync import admin as _admin
from cortex._generated.calls_sync import agents as _agents
from cortex._generated.calls_sync import contexts as _contexts
from cortex._generated.calls_sync import conversations as _conversations
from cortex._generated.calls_sync import facts as _facts
from cortex._generated.calls_sync import immutable as _immutable
from cortex._generated.calls_sync import memories as _memories
from cortex._generated.calls_sync import memory_spaces as _spaces
from cortex._generated.calls_sync import mutable as _mutable
from cortex._generated.calls_sync import sessions as _sessions
from cortex._sync.cascade_layers import PAGE, SyncLayerStore, args_from
from cortex._users_agents import CascadeDeletionError
from cortex.errors import CortexError

BATCH = 100
# Layers deleted a group per call: a NOT_FOUND there is a real failure, not a record someone else deleted.
GROUPED = ("facts", "fact-history", "memories", "conversations")


def _batches(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_space(items: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["memorySpaceId"], []).append(item)
    return list(groups.values())


@dataclass
class Plan:
    """What a cascade will delete: full copies of the records, by layer, plus the memory spaces involved."""

    owner_id: str
    layers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    spaces: list[str] = field(default_factory=list)
    hard_fact_delete: bool = True

    def records(self, layer: str) -> list[dict[str, Any]]:
        return self.layers.setdefault(layer, [])

    def backup(self) -> Plan:
        """A deep copy: what the rollback re-creates, untouched by anything the deletion does."""
        return copy.deepcopy(self)


class SyncCascadeStore:
    """Layer readers, deleters and restorers over the generated call helpers."""

    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx
        self._t = ctx.transport
        self._o = ctx.options
        self.layers = SyncLayerStore(ctx.transport, ctx.options)

    @property
    def tenant_id(self) -> str | None:
        value = self._ctx.auth.get("tenantId")
        return value if isinstance(value, str) else None

    # -- readers -------------------------------------------------------------------------------------------

    def all_spaces(self) -> list[str]:
        """Every registered memory space (paged)."""
        out: list[str] = []
        offset = 0
        while True:
            page = _spaces.memory_spaces_list(
                self._t,
                MemorySpacesListArgs(limit=PAGE, offset=offset, tenant_id=self.tenant_id),
                options=self._o,
            )
            spaces = page.get("spaces", []) if isinstance(page, dict) else page
            out.extend(s["memorySpaceId"] for s in spaces)
            if len(spaces) < PAGE:
                return out
            offset += PAGE

    def agent_ids(self) -> list[str]:
        """Every registered agent (paged)."""
        out: list[str] = []
        offset = 0
        while True:
            rows = _agents.agents_list(
                self._t, AgentsListArgs(limit=PAGE, offset=offset), options=self._o
            )
            out.extend(r["agentId"] for r in rows)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def conversations(self, **filters: Any) -> list[dict[str, Any]]:
        """Every conversation matching ``filters`` (``ConversationsListArgs`` fields), messages included."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = _conversations.conversations_list(
                self._t,
                ConversationsListArgs(
                    limit=PAGE, offset=offset, tenant_id=self.tenant_id, **filters
                ),
                options=self._o,
            )
            rows = page["conversations"] if isinstance(page, dict) else page
            out.extend(rows)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def memories(self, space: str, user_id: str | None = None) -> list[dict[str, Any]]:
        """Every memory of the space (of ``user_id``): ``memories:list`` filters the newest ``limit`` memories, so
        the limit is the space's whole size (``memories:count``), not a cap."""
        total = _memories.memories_count(
            self._t, MemoriesCountArgs(memory_space_id=space), options=self._o
        )
        return list(
            _memories.memories_list(
                self._t,
                MemoriesListArgs(memory_space_id=space, user_id=user_id, limit=int(total) + PAGE),
                options=self._o,
            )
        )

    def facts(self, space: str, **filters: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows = _facts.facts_list(
                self._t,
                FactsListArgs(
                    memory_space_id=space,
                    tenant_id=self.tenant_id,
                    limit=PAGE,
                    offset=offset,
                    **filters,
                ),
                options=self._o,
            )
            out.extend(rows)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def immutable(self, user_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = _immutable.immutable_list(
                self._t,
                ImmutableListArgs(
                    user_id=user_id, tenant_id=self.tenant_id, limit=PAGE, offset=offset
                ),
                options=self._o,
            )
            rows = page["entries"] if isinstance(page, dict) else page
            out.extend(rows)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def mutable(self, user_id: str, namespaces: Iterable[str]) -> list[dict[str, Any]]:
        """The user's keys in each of ``namespaces`` (every page)."""
        out: list[dict[str, Any]] = []
        for namespace in namespaces:
            offset = 0
            while True:
                rows = _mutable.mutable_list(
                    self._t,
                    MutableListArgs(
                        namespace=namespace,
                        user_id=user_id,
                        tenant_id=self.tenant_id,
                        limit=PAGE,
                        offset=offset,
                    ),
                    options=self._o,
                )
                out.extend(rows)
                if len(rows) < PAGE:
                    break
                offset += PAGE
        return out

    def sessions(self, user_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows = _sessions.sessions_list(
                self._t,
                SessionsListArgs(
                    user_id=user_id, tenant_id=self.tenant_id, limit=PAGE, offset=offset
                ),
                options=self._o,
            )
            out.extend(rows)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def contexts(self, user_id: str) -> list[dict[str, Any]]:
        """Every context of the user: ``contexts:list`` narrows its first ``limit`` rows by user, so the limit is
        the number of contexts there are (``contexts:count``), not a cap."""
        total = _contexts.contexts_count(self._t, ContextsCountArgs(), options=self._o)
        rows = _contexts.contexts_list(
            self._t,
            ContextsListArgs(user_id=user_id, tenant_id=self.tenant_id, limit=int(total) + PAGE),
            options=self._o,
        )
        return list(rows)

    def profile(self, user_id: str) -> dict[str, Any] | None:
        row = _immutable.immutable_get(
            self._t,
            ImmutableGetArgs(type="user", id=user_id, tenant_id=self.tenant_id),
            options=self._o,
        )
        return row if isinstance(row, dict) else None

    # -- deletion --------------------------------------------------------------------------------------------

    def run(
        self,
        plan: Plan,
        order: tuple[str, ...],
        error: type[CascadeDeletionError] = CascadeDeletionError,
        done: list[tuple[str, list[dict[str, Any]]]] | None = None,
    ) -> dict[str, int]:
        """Delete the plan's layers in ``order``; on a failure restore what was deleted and raise ``error``.

        ``done`` (kept by the caller across several runs of one cascade) collects what was deleted, so a failure in
        a later run restores the earlier runs' deletions too. Returns the number of records deleted per layer, plus
        ``messages`` (conversation messages deleted).
        """
        backup = plan.backup()
        done = [] if done is None else done
        counts: dict[str, int] = {layer: 0 for layer in order}
        counts["messages"] = 0
        for layer in order:
            for batch in _layer_batches(layer, backup.layers.get(layer, []), plan):
                try:
                    self._delete(layer, batch, plan)
                except CortexError as exc:
                    if len(batch) == 1 and layer not in GROUPED and "NOT_FOUND" in exc.code:
                        continue  # already gone: nothing to delete, nothing to restore
                    record_id = _record_id(layer, batch[0]) if len(batch) == 1 else None
                    self.abort(plan, done, layer, str(exc), error, exc, record_id)
                done.append((layer, batch))
                counts[layer] += len(batch)
                if layer == "conversations":
                    counts["messages"] += sum(int(c.get("messageCount", 0)) for c in batch)
        return counts

    def abort(
        self,
        plan: Plan,
        done: list[tuple[str, list[dict[str, Any]]]],
        layer: str,
        reason: str,
        error: type[CascadeDeletionError] = CascadeDeletionError,
        cause: CortexError | None = None,
        record_id: str | None = None,
    ) -> None:
        """Restore everything in ``done`` and raise ``error`` naming the layer (and record) that stopped the
        cascade."""
        problems = self.restore(done)
        done.clear()
        where = f" ({record_id})" if record_id else ""
        restored = (
            "everything deleted before was restored"
            if not problems
            else f"restore incomplete: {'; '.join(problems)}"
        )
        origin = cause if cause is not None else CortexError(reason, code="CASCADE_RESIDUE")
        exc = error(
            f"cascade deletion of {plan.owner_id!r} failed in layer {layer!r}{where}: {reason}; {restored}",
            owner_id=plan.owner_id,
            layer=layer,
            record_id=record_id,
            cause=origin,
            rollback_errors=problems,
        )
        raise exc from origin

    def _delete(self, layer: str, batch: list[dict[str, Any]], plan: Plan) -> None:
        t, o = self._t, self._o
        one = batch[0]
        if layer == "memories":
            ids = [m["memoryId"] for m in batch]
            _memories.memories_delete_by_ids(t, MemoriesDeleteByIdsArgs(memory_ids=ids), options=o)
        elif layer == "facts" and plan.hard_fact_delete:
            _facts.facts_delete_many(
                t,
                FactsDeleteManyArgs(memory_space_id=one["memorySpaceId"], user_id=plan.owner_id),
                options=o,
            )
        elif layer == "facts":
            ids = [f["factId"] for f in batch]
            _facts.facts_delete_by_ids(t, FactsDeleteByIdsArgs(fact_ids=ids), options=o)
        elif layer == "mutable":
            _mutable.mutable_delete_key(
                t,
                MutableDeleteKeyArgs(
                    namespace=one["namespace"], key=one["key"], tenant_id=one.get("tenantId")
                ),
                options=o,
            )
        elif layer in ("immutable", "user-profile"):
            _immutable.immutable_purge(
                t,
                ImmutablePurgeArgs(type=one["type"], id=one["id"], tenant_id=self.tenant_id),
                options=o,
            )
        elif layer == "sessions":
            _admin.admin_delete_record(
                t, AdminDeleteRecordArgs(table="sessions", id=one["_id"]), options=o
            )
        elif layer == "conversations":
            ids = [c["conversationId"] for c in batch]
            _conversations.conversations_delete_by_ids(
                t, ConversationsDeleteByIdsArgs(conversation_ids=ids), options=o
            )
        elif layer == "contexts":
            _contexts.contexts_delete_context(
                t,
                ContextsDeleteContextArgs(context_id=one["contextId"], tenant_id=self.tenant_id),
                options=o,
            )
        elif layer == "fact-history":
            self.layers.delete_fact_events(plan.owner_id, batch)
        elif layer == "a2a-messages":
            self.layers.cut_messages(one)
        elif layer == "agent-registration":
            _agents.agents_unregister(t, AgentsUnregisterArgs(agent_id=one["agentId"]), options=o)
        else:  # pragma: no cover - a layer name the callers never use
            raise ValueError(f"unknown layer {layer!r}")

    # -- rollback --------------------------------------------------------------------------------------------

    def restore(self, done: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
        """Re-create deleted records, newest deletion first; returns what could not be restored."""
        problems: list[str] = []
        new_context_ids: dict[str, str] = {}
        for layer, batch in reversed(done):
            if layer == "contexts":
                batch = sorted(batch, key=lambda c: float(c.get("depth", 0)))
            for record in batch:
                try:
                    self._restore(layer, record, new_context_ids)
                except CortexError as exc:
                    problems.append(f"{layer} {_record_id(layer, record)}: {exc}")
        return problems

    def _restore(self, layer: str, record: dict[str, Any], new_ids: dict[str, str]) -> None:
        t, o = self._t, self._o
        if layer == "memories":
            _memories.memories_store(t, args_from(MemoriesStoreArgs, record), options=o)
        elif layer == "facts":
            _facts.facts_store(t, args_from(FactsStoreArgs, record), options=o)
        elif layer == "mutable":
            _mutable.mutable_set(t, args_from(MutableSetArgs, record), options=o)
        elif layer in ("immutable", "user-profile"):
            _immutable.immutable_store(
                t,
                args_from(ImmutableStoreArgs, record, tenant_id=record.get("tenantId")),
                options=o,
            )
        elif layer == "sessions":
            _sessions.sessions_create(t, args_from(SessionsCreateArgs, record), options=o)
            if record.get("status") == "ended":
                _sessions.sessions_end(
                    t, SessionsEndArgs(session_id=record["sessionId"]), options=o
                )
        elif layer == "conversations":
            self._restore_conversation(record)
        elif layer == "fact-history":
            self.layers.restore_fact_event(record)
        elif layer == "a2a-messages":
            self.layers.restore_messages(record)
        elif layer == "contexts":
            parent = record.get("parentId")
            created = _contexts.contexts_create(
                t,
                args_from(
                    ContextsCreateArgs,
                    record,
                    parent_id=new_ids.get(parent, parent) if parent else None,
                ),
                options=o,
            )
            new_ids[record["contextId"]] = created["contextId"]
        # "agent-registration" needs no restorer: it is the last layer of AGENT_ORDER, so no deletion fails after
        # it and ``done`` never holds it.

    def _restore_conversation(self, record: dict[str, Any]) -> None:
        t, o = self._t, self._o
        _conversations.conversations_create(
            t, args_from(ConversationsCreateArgs, record), options=o
        )
        for message in record.get("messages", []):
            _conversations.conversations_add_message(
                t,
                ConversationsAddMessageArgs(
                    conversation_id=record["conversationId"],
                    message=args_from(ConversationsAddMessageArgsMessage, message),
                ),
                options=o,
            )


def _layer_batches(
    layer: str, records: list[dict[str, Any]], plan: Plan
) -> Iterable[list[dict[str, Any]]]:
    """How a layer's records are deleted: in batches of ``BATCH``, one group per call, or one by one."""
    if layer == "contexts":
        records = sorted(records, key=lambda c: -float(c.get("depth", 0)))
    if layer == "facts" and plan.hard_fact_delete:
        return _by_space(records)  # one deleteMany per space removes the whole group at once
    if layer == "fact-history":
        return [records] if records else []  # one deleteByUserId removes them all
    size = BATCH if layer in ("memories", "facts", "conversations") else 1
    return _batches(records, size)


def _record_id(layer: str, record: dict[str, Any]) -> str:
    if layer == "a2a-messages":
        return str(record["conversation"]["conversationId"])
    for key in ("memoryId", "factId", "conversationId", "contextId", "sessionId", "agentId"):
        if key in record:
            return str(record[key])
    if layer == "mutable":
        return f"{record.get('namespace')}:{record.get('key')}"
    return f"{record.get('type')}:{record.get('id')}"
