"""``cortex.users``: user profiles (immutable records of type ``user``) and the GDPR cascade deletion.

``AsyncUsers`` extends the generated ``UsersBase`` (which keeps ``count`` and ``get_history``) with the profile
readers, merge-on-update, bulk operations, exports and ``delete``. ``delete(cascade=True)`` collects everything the
user owns in every layer (conversations, immutable and mutable records, memories, facts, sessions, contexts, the
profile; memories of agent-to-agent traffic are memories like any other), backs it up, deletes it, and restores the
backup when a deletion fails (``CascadeDeletionError``); see ``cortex._async.cascade``.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from cortex import _helpers
from cortex import _users_agents as rules
from cortex._async.cascade import AsyncCascadeStore, Plan
from cortex._context import AsyncContext
from cortex._generated.args.immutable import (
    ImmutableGetAtTimestampArgs,
    ImmutableGetVersionArgs,
    ImmutableListArgs,
    ImmutablePurgeArgs,
    ImmutableStoreArgs,
)
from cortex._generated.calls import immutable as _immutable
from cortex._generated.models import (
    DeleteUserOptions,
    ExportUsersOptions,
    ListUsersFilter,
    ListUsersResult,
    UserDeleteResult,
    UserFilters,
    UserProfile,
    UsersAPIDeleteManyOptions,
    UsersAPIDeleteManyResult,
    UsersAPIUpdateManyOptions,
    UsersAPIUpdateManyResult,
    UsersAPIUpdateManyUpdates,
    UserVersion,
)
from cortex._generated.namespaces.users import UsersBase
from cortex._mapping import validate_param
from cortex._model_base import to_epoch_ms
from cortex._users_agents import CascadeDeletionError
from cortex.errors import CortexError, ValidationError

__all__ = ["CascadeDeletionError"]
__all__ += ["AsyncUsers"]

# Deletion order: what refers to other records goes first, the profile last.
USER_ORDER = (
    "memories",
    "facts",
    "fact-history",
    "mutable",
    "immutable",
    "sessions",
    "conversations",
    "a2a-messages",
    "contexts",
    "user-profile",
)
# Layer names reported in ``deletedLayers`` (the TypeScript SDK calls memories "vector").
REPORTED = {"memories": "vector"}
USER = "user"


def _profile(record: dict[str, Any]) -> UserProfile:
    return UserProfile.model_validate(
        {
            "id": record["id"],
            "tenantId": record.get("tenantId"),
            "data": record.get("data") or {},
            "version": record["version"],
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
        }
    )


def _version(record: Any) -> UserVersion | None:
    if not isinstance(record, dict):
        return None
    return UserVersion(
        version=record["version"], data=record.get("data") or {}, timestamp=record["timestamp"]
    )


def _iso(ms: float) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _contains(value: Any, needle: str | None) -> bool:
    return needle is None or (isinstance(value, str) and needle.lower() in value.lower())


class AsyncUsers(UsersBase):
    """User profiles with versioning, bulk operations, exports and GDPR cascade deletion."""

    def __init__(self, ctx: AsyncContext) -> None:
        super().__init__(ctx)
        self._store = AsyncCascadeStore(ctx)

    @property
    def _tenant(self) -> str | None:
        return self._store.tenant_id

    # -- profiles ------------------------------------------------------------------------------------------

    async def get(self, user_id: str) -> UserProfile | None:
        """The user's profile, or ``None`` (also when it belongs to another tenant than the client's)."""
        rules.check_user_id(user_id)
        record = await self._store.profile(user_id)
        if record is None:
            return None
        owner = record.get("tenantId")
        if owner and self._tenant and owner != self._tenant:
            return None
        return _profile(record)

    async def update(self, user_id: str, data: dict[str, Any]) -> UserProfile:
        """Store a new version of the profile: ``data`` deep-merged over the current data (or as is when new)."""
        rules.check_user_id(user_id)
        rules.check_data(data)
        existing = await self.get(user_id)
        merged = rules.deep_merge(existing.data, data) if existing else dict(data)
        record = await _immutable.immutable_store(
            self._ctx.transport,
            ImmutableStoreArgs(type=USER, id=user_id, data=merged, tenant_id=self._tenant),
            options=self._ctx.options,
        )
        if not isinstance(record, dict):
            raise CortexError(
                f"failed to store user profile for {user_id}", code="USER_UPDATE_FAILED"
            )
        return _profile(record)

    async def merge(self, user_id: str, updates: dict[str, Any]) -> UserProfile:
        """Deep-merge ``updates`` into the profile (creating it when missing)."""
        rules.check_user_id(user_id)
        rules.check_data(updates, "updates")
        return await self.update(user_id, updates)

    async def exists(self, user_id: str) -> bool:
        """Whether the user has a profile."""
        rules.check_user_id(user_id)
        return await self.get(user_id) is not None

    async def get_or_create(
        self, user_id: str, defaults: dict[str, Any] | None = None
    ) -> UserProfile:
        """The existing profile, or a new one holding ``defaults``."""
        rules.check_user_id(user_id)
        if defaults is not None:
            rules.check_data(defaults, "defaults")
        existing = await self.get(user_id)
        return existing if existing is not None else await self.update(user_id, defaults or {})

    async def get_version(self, user_id: str, version: int) -> UserVersion | None:
        """One version of the profile, or ``None``."""
        rules.check_user_id(user_id)
        rules.check_version(version)
        record = await _immutable.immutable_get_version(
            self._ctx.transport,
            ImmutableGetVersionArgs(type=USER, id=user_id, version=version, tenant_id=self._tenant),
            options=self._ctx.options,
        )
        return _version(record)

    async def get_at_timestamp(self, user_id: str, timestamp: datetime | int) -> UserVersion | None:
        """The profile version current at ``timestamp`` (a datetime or epoch milliseconds), or ``None``."""
        rules.check_user_id(user_id)
        ms = to_epoch_ms(timestamp)
        rules.check_timestamp(ms)
        record = await _immutable.immutable_get_at_timestamp(
            self._ctx.transport,
            ImmutableGetAtTimestampArgs(type=USER, id=user_id, timestamp=ms),
            options=self._ctx.options,
        )
        return _version(record)

    # -- listing ---------------------------------------------------------------------------------------------

    async def _page(
        self, filters: UserFilters | ListUsersFilter | None
    ) -> tuple[list[UserProfile], Any]:
        f = filters
        page = await _immutable.immutable_list(
            self._ctx.transport,
            ImmutableListArgs(
                type=USER,
                limit=f.limit if f else None,
                offset=f.offset if f else None,
                created_after=f.created_after if f else None,
                created_before=f.created_before if f else None,
                updated_after=f.updated_after if f else None,
                updated_before=f.updated_before if f else None,
                sort_by=f.sort_by if f else None,
                sort_order=f.sort_order if f else None,
                tenant_id=self._tenant or (f.tenant_id if f else None),
            ),
            options=self._ctx.options,
        )
        users = [_profile(r) for r in page["entries"]]
        if f is not None:
            users = [
                u
                for u in users
                if _contains(u.data.get("displayName"), f.display_name or None)
                and _contains(u.data.get("email"), f.email or None)
            ]
        return users, page

    async def list(
        self, filters: ListUsersFilter | dict[str, Any] | None = None
    ) -> ListUsersResult:
        """A page of profiles (``limit`` 50 by default) with the total; ``displayName``/``email`` filter the page
        by case-insensitive substring."""
        model = validate_param(ListUsersFilter, filters, "filters") if filters is not None else None
        rules.check_user_filters(model)
        users, page = await self._page(model)
        return ListUsersResult(
            users=users,
            total=page["total"],
            limit=(model.limit if model and model.limit else 50),
            offset=(model.offset if model and model.offset else 0),
            has_more=page["hasMore"],
        )

    async def search(self, filters: UserFilters | dict[str, Any]) -> builtins.list[UserProfile]:
        """The profiles matching ``filters`` (same filters as ``list``), without the page metadata."""
        model = validate_param(UserFilters, filters, "filters")
        rules.check_user_filters(model)
        users, _ = await self._page(model)
        return users

    # -- export ----------------------------------------------------------------------------------------------

    async def export(self, options: ExportUsersOptions | dict[str, Any] | None = None) -> str:
        """The matching profiles as JSON (default) or CSV, optionally with history, conversations, memories."""
        if options is None:
            raise ValidationError(
                "Export options are required", code="MISSING_REQUIRED_PARAMETER", field="options"
            )
        if isinstance(options, dict) and options.get("format") not in ("json", "csv"):
            raise ValidationError(
                f"Invalid export format {options.get('format')!r}. Valid formats: json, csv",
                code="INVALID_EXPORT_FORMAT",
                field="format",
            )
        opts = validate_param(ExportUsersOptions, options, "options")
        rules.check_user_filters(opts.filters)
        users, _ = await self._page(opts.filters)
        rows: builtins.list[dict[str, Any]] = []
        for user in users:
            row = user.model_dump(
                by_alias=True,
                mode="json",
                include={"id", "data", "version", "created_at", "updated_at"},
            )
            if opts.include_version_history:
                history = await self.get_history(user.id)
                row["versionHistory"] = [v.model_dump(by_alias=True, mode="json") for v in history]
            conversations: builtins.list[dict[str, Any]] = []
            if opts.include_conversations or opts.include_memories:
                conversations = await self._store.conversations(user_id=user.id)
            if opts.include_conversations:
                row["conversations"] = conversations
            if opts.include_memories:
                spaces = sorted(
                    {c["memorySpaceId"] for c in conversations if c.get("memorySpaceId")}
                )
                row["memories"] = [
                    m for s in spaces for m in await self._store.memories(s, user.id)
                ]
            rows.append(row)
        if opts.format != "csv":
            return json.dumps(rows, indent=2, ensure_ascii=False)
        extra = [
            (opts.include_version_history, "versionHistoryCount", "versionHistory"),
            (opts.include_conversations, "conversationsCount", "conversations"),
            (opts.include_memories, "memoriesCount", "memories"),
        ]
        header = ["id", "version", "createdAt", "updatedAt", "data"] + [
            h for on, h, _ in extra if on
        ]
        lines = [",".join(header)]
        for row in rows:
            cells = [
                row["id"],
                str(row["version"]),
                _iso(row["createdAt"]),
                _iso(row["updatedAt"]),
                rules.csv_cell(_helpers.json_stringify(row["data"])),
            ] + [str(len(row.get(key, []))) for on, _, key in extra if on]
            lines.append(",".join(cells))
        return "\n".join(lines)

    # -- bulk ------------------------------------------------------------------------------------------------

    async def _targets(
        self, user_ids_or_filters: builtins.list[str] | UserFilters | dict[str, Any]
    ) -> builtins.list[str]:
        if isinstance(user_ids_or_filters, (builtins.list, tuple)):
            rules.check_user_ids(user_ids_or_filters)
            return builtins.list(user_ids_or_filters)
        model = validate_param(UserFilters, user_ids_or_filters, "filters")
        rules.check_user_filters(model)
        ids = [u.id for u in await self.search(model)]
        if len(ids) > 100:
            raise ValidationError(
                f"Filter matched {len(ids)} users, maximum is 100. Add more specific filters or use limit.",
                code="TOO_MANY_MATCHES",
                field="filters",
            )
        return ids

    async def update_many(
        self,
        user_ids_or_filters: builtins.list[str] | UserFilters | dict[str, Any],
        updates: UsersAPIUpdateManyUpdates | dict[str, Any],
        options: UsersAPIUpdateManyOptions | dict[str, Any] | None = None,
    ) -> UsersAPIUpdateManyResult:
        """Merge ``updates.data`` into each existing target profile (ids, or the users matching filters)."""
        if isinstance(updates, dict) and updates.get("data") is None:
            raise ValidationError(
                "updates.data is required", code="MISSING_DATA", field="updates.data"
            )
        rules.check_bool_options(
            options if isinstance(options, dict) else None,
            ("skipVersioning", "dryRun"),
            "INVALID_DATA_TYPE",
        )
        patch = validate_param(UsersAPIUpdateManyUpdates, updates, "updates")
        opts = validate_param(UsersAPIUpdateManyOptions, options or {}, "options")
        targets = await self._targets(user_ids_or_filters)
        if opts.dry_run:
            return UsersAPIUpdateManyResult(updated=0, user_ids=targets)
        done = []
        for user_id in targets:
            try:
                if await self.get(user_id) is not None:
                    await self.update(user_id, patch.data)
                    done.append(user_id)
            except CortexError:
                continue
        return UsersAPIUpdateManyResult(updated=len(done), user_ids=done)

    async def delete_many(
        self,
        user_ids_or_filters: builtins.list[str] | UserFilters | dict[str, Any],
        options: UsersAPIDeleteManyOptions | dict[str, Any] | None = None,
    ) -> UsersAPIDeleteManyResult:
        """``delete`` each target user (cascading when asked); users that fail to delete are left out."""
        rules.check_bool_options(
            options if isinstance(options, dict) else None,
            ("cascade", "dryRun"),
            "INVALID_DATA_TYPE",
        )
        opts = validate_param(UsersAPIDeleteManyOptions, options or {}, "options")
        targets = await self._targets(user_ids_or_filters)
        if opts.dry_run:
            return UsersAPIDeleteManyResult(deleted=0, user_ids=targets)
        done = []
        for user_id in targets:
            try:
                await self.delete(user_id, DeleteUserOptions(cascade=opts.cascade))
            except CortexError:
                continue
            done.append(user_id)
        return UsersAPIDeleteManyResult(deleted=len(done), user_ids=done)

    # -- deletion --------------------------------------------------------------------------------------------

    async def delete(
        self, user_id: str, options: DeleteUserOptions | dict[str, Any] | None = None
    ) -> UserDeleteResult:
        """Delete the profile; with ``cascade`` everything the user owns in every layer, restoring it all when a
        deletion fails. ``verify`` (default on) checks nothing is left; ``dry_run`` only reports the plan."""
        rules.check_user_id(user_id)
        rules.check_bool_options(
            options if isinstance(options, dict) else None,
            ("cascade", "verify", "dryRun"),
            "INVALID_DELETE_OPTIONS",
        )
        opts = validate_param(DeleteUserOptions, options or {}, "options")
        verify = opts.verify is not False
        if not opts.cascade:
            if not opts.dry_run:
                await _immutable.immutable_purge(
                    self._ctx.transport,
                    ImmutablePurgeArgs(type=USER, id=user_id, tenant_id=self._tenant),
                    options=self._ctx.options,
                )
            return self._result(
                user_id, {}, 0 if opts.dry_run else 1, [] if opts.dry_run else ["user-profile"], []
            )
        plan = await self.collect(user_id)
        counts = {layer: len(plan.layers.get(layer, [])) for layer in USER_ORDER}
        counts["messages"] = sum(
            int(c.get("messageCount", 0)) for c in plan.layers.get("conversations", [])
        )
        if opts.dry_run:
            total = sum(counts[layer] for layer in USER_ORDER)
            return self._result(
                user_id, counts, total, None, [f"DRY RUN: Would delete {total} total records"]
            )
        counts = await self._delete_all(plan)
        counts["graph"] = await self._delete_graph_nodes(user_id)
        cuts = {i for cut in plan.layers.get("a2a-messages", []) for i in cut["drop"]}
        issues = await self.remaining(user_id, plan.spaces, cuts=cuts) if verify else []
        if verify:
            issues += await self._graph_leftovers(user_id)
        return self._result(
            user_id, counts, sum(counts[layer] for layer in USER_ORDER), None, issues, verify
        )

    async def _delete_graph_nodes(self, user_id: str) -> int:
        """Every graph node carrying the user's id (``cortex.graph``), when a graph is configured."""
        graph: Any = self._ctx.graph
        return (
            int(await graph.delete_user_nodes(user_id))
            if hasattr(graph, "delete_user_nodes")
            else 0
        )

    async def _graph_leftovers(self, user_id: str) -> builtins.list[str]:
        graph: Any = self._ctx.graph
        left = (
            int(await graph.count_user_nodes(user_id)) if hasattr(graph, "count_user_nodes") else 0
        )
        return [f"{left} graph nodes still carry userId {user_id}"] if left else []

    def _result(
        self,
        user_id: str,
        counts: dict[str, int],
        total: int,
        layers: builtins.list[str] | None,
        issues: builtins.list[str],
        complete_if_clean: bool = True,
    ) -> UserDeleteResult:
        if layers is None:
            layers = [REPORTED.get(layer, layer) for layer in USER_ORDER if counts.get(layer)]
        dry = bool(issues) and issues[0].startswith("DRY RUN")
        return UserDeleteResult.model_validate(
            {
                "userId": user_id,
                "deletedAt": _helpers.now(),
                "conversationsDeleted": counts.get("conversations", 0),
                "conversationMessagesDeleted": counts.get("messages", 0),
                "immutableRecordsDeleted": counts.get("immutable", 0),
                "mutableKeysDeleted": counts.get("mutable", 0),
                "vectorMemoriesDeleted": counts.get("memories", 0),
                "factsDeleted": counts.get("facts", 0),
                "sessionsDeleted": counts.get("sessions", 0),
                "contextsDeleted": counts.get("contexts", 0),
                "graphNodesDeleted": counts.get("graph", 0),
                "verification": {
                    "complete": dry or (complete_if_clean and not issues),
                    "issues": issues,
                },
                "totalDeleted": total,
                "deletedLayers": layers,
            }
        )

    async def _delete_all(self, plan: Plan) -> dict[str, int]:
        """Delete every layer but the profile, check nothing of the user is left (a second pass takes what was
        written meanwhile), then delete the profile. Residue after the second pass restores everything and raises
        ``CascadeDeletionError``: the profile is never deleted while the user's data remains."""
        done: builtins.list[tuple[str, builtins.list[dict[str, Any]]]] = []
        counts = await self._store.run(plan, USER_ORDER[:-1], done=done)
        cuts = {i for cut in plan.layers.get("a2a-messages", []) for i in cut["drop"]}
        residue = await self.remaining(plan.owner_id, plan.spaces, profile=False, cuts=cuts)
        if residue:
            again = await self.collect(plan.owner_id, plan.spaces)
            more = await self._store.run(again, USER_ORDER[:-1], done=done)
            counts = {k: counts.get(k, 0) + more.get(k, 0) for k in counts.keys() | more.keys()}
            residue = await self.remaining(plan.owner_id, again.spaces, profile=False, cuts=cuts)
            if residue:
                await self._store.abort(plan, done, "verification", "; ".join(residue))
        last = await self._store.run(plan, USER_ORDER[-1:], done=done)
        counts[USER_ORDER[-1]] = last[USER_ORDER[-1]]
        return counts

    async def collect(self, user_id: str, spaces: Iterable[str] = ()) -> Plan:
        """Phase 1: every record ``user_id`` owns, by layer (full copies), and the memory spaces searched (those
        found, plus ``spaces``)."""
        rules.check_user_id(user_id)
        store = self._store
        plan = Plan(owner_id=user_id)
        conversations = await store.conversations(user_id=user_id)
        a2a = await store.conversations(type="agent-agent")
        sessions = await store.sessions(user_id)
        contexts = await store.contexts(user_id)
        plan.spaces = await self._spaces(conversations + a2a, sessions + contexts, spaces)
        plan.layers["conversations"] = conversations
        plan.layers["sessions"] = sessions
        plan.layers["contexts"] = contexts
        for space in plan.spaces:
            plan.records("memories").extend(await store.memories(space, user_id))
            plan.records("facts").extend(
                await store.facts(space, user_id=user_id, include_superseded=True)
            )
        fact_ids = {f["factId"] for f in plan.records("facts")}
        for space in plan.spaces:
            plan.records("fact-history").extend(
                await store.layers.fact_events(space, user_id, fact_ids)
            )
        plan.layers["a2a-messages"] = store.layers.a2a_cuts(a2a, plan.records("memories"))
        plan.layers["immutable"] = [
            r
            for r in await store.immutable(user_id)
            if not (r.get("type") == USER and r.get("id") == user_id)
        ]
        namespaces = await store.layers.namespaces(plan.records("memories"))
        plan.layers["mutable"] = await store.mutable(user_id, namespaces)
        profile = await store.profile(user_id)
        plan.layers["user-profile"] = [profile] if profile else []
        return plan

    async def _spaces(
        self,
        conversations: builtins.list[dict[str, Any]],
        others: builtins.list[dict[str, Any]],
        known: Iterable[str],
    ) -> builtins.list[str]:
        """The memory spaces searched: registered spaces and agents, those the user's records name, and those
        found in the memory and fact tables."""
        store = self._store
        spaces: set[str] = set(await store.all_spaces()) | set(await store.agent_ids())
        spaces |= await store.layers.discovered_spaces()
        spaces.update(known)
        for c in conversations:
            spaces.add(c["memorySpaceId"])
            spaces.update(c.get("participants", {}).get("memorySpaceIds") or [])
        spaces.update(r["memorySpaceId"] for r in others if r.get("memorySpaceId"))
        return sorted(spaces)

    async def remaining(
        self,
        user_id: str,
        spaces: Iterable[str] = (),
        profile: bool = True,
        cuts: set[str] | None = None,
    ) -> builtins.list[str]:
        """Verification: a line per layer that still holds records of ``user_id`` (empty when none). Every layer
        is read again in full, with the same readers the plan was collected with (in the spaces found now and in
        ``spaces``); ``cuts`` are ids of A2A messages that must be gone."""
        plan = await self.collect(user_id, spaces)
        a2a_left = 0
        if cuts:
            a2a = await self._store.conversations(type="agent-agent")
            a2a_left = sum(1 for c in a2a for m in c.get("messages", []) if m.get("id") in cuts)
        found = {
            "conversations": len(plan.layers["conversations"]),
            "immutable records": len(plan.layers["immutable"]),
            "mutable keys": len(plan.layers["mutable"]),
            "sessions": len(plan.layers["sessions"]),
            "contexts": len(plan.layers["contexts"]),
            "memories": len(plan.records("memories")),
            "facts": len(plan.records("facts")),
            "fact history events": len(plan.records("fact-history")),
            "A2A messages": a2a_left + sum(len(cut["drop"]) for cut in plan.layers["a2a-messages"]),
        }
        issues = [f"{n} {what} still reference userId" for what, n in found.items() if n]
        if profile and plan.layers["user-profile"]:
            issues.append("User profile still exists")
        return issues
