"""The ``governance`` Convex module: retention/purging policies per organization or memory space, compliance
templates, the enforcement log and (as upstream) placeholder figures for simulations and reports."""

from __future__ import annotations

import copy
import math
from typing import Any

from cortex._generated.args.governance import (
    GovernanceEnforceArgs,
    GovernanceGetComplianceReportArgs,
    GovernanceGetEnforcementStatsArgs,
    GovernanceGetPolicyArgs,
    GovernanceGetTemplateArgs,
    GovernancePurgeAllEnforcementArgs,
    GovernancePurgeAllPoliciesArgs,
    GovernanceSetAgentOverrideArgs,
    GovernanceSetPolicyArgs,
    GovernanceSimulateArgs,
)
from cortex.embedded import (
    UNDEFINED,
    ConvexError,
    FunctionError,
    MutationCtx,
    QueryCtx,
    handler,
    js,
)
from cortex.embedded.functions._common import purge_table

POLICIES = "governancePolicies"
ENFORCEMENT = "governanceEnforcement"
DAY_MS = 24 * 60 * 60 * 1000
PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
Doc = dict[str, Any]


def _template(
    *,
    mode: str,
    conversations: Doc,
    immutable_versions: int,
    immutable_types: list[str],
    immutable_cleanup: bool,
    mutable_inactive: str,
    vector_versions: int,
    by_importance: list[tuple[int, int, int]],
    vector_cleanup: bool,
    delete_orphaned: bool,
    retention_years: int,
    justification: list[int],
    kb_versions: int | None = None,
) -> Doc:
    by_type: Doc = {t: {"versionsToKeep": -1} for t in immutable_types}
    if kb_versions is not None:
        by_type["kb-article"] = {"versionsToKeep": kb_versions}
    return {
        "conversations": conversations,
        "immutable": {
            "retention": {"defaultVersions": immutable_versions, "byType": by_type},
            "purging": {"autoCleanupVersions": immutable_cleanup},
        },
        "mutable": {
            "retention": {"purgeInactiveAfter": mutable_inactive},
            "purging": {"autoDelete": False},
        },
        "vector": {
            "retention": {
                "defaultVersions": vector_versions,
                "byImportance": [{"range": [lo, hi], "versions": n} for lo, hi, n in by_importance],
            },
            "purging": {"autoCleanupVersions": vector_cleanup, "deleteOrphaned": delete_orphaned},
        },
        "compliance": {
            "mode": mode,
            "dataRetentionYears": retention_years,
            "requireJustification": justification,
            "auditLogging": True,
        },
    }


def _conversations(
    delete_after: str, archive_after: str | None, on_request: bool, auto: bool, inactive: str
) -> Doc:
    retention: Doc = {"deleteAfter": delete_after}
    if archive_after is not None:
        retention["archiveAfter"] = archive_after
    retention["purgeOnUserRequest"] = on_request
    return {
        "retention": retention,
        "purging": {"autoDelete": auto, "deleteInactiveAfter": inactive},
    }


TEMPLATES: dict[str, Doc] = {
    "GDPR": _template(
        mode="GDPR",
        conversations=_conversations("7y", "1y", True, True, "2y"),
        immutable_versions=20,
        immutable_types=["audit-log", "policy"],
        kb_versions=50,
        immutable_cleanup=True,
        mutable_inactive="2y",
        vector_versions=10,
        by_importance=[(0, 20, 1), (21, 40, 3), (41, 70, 10), (71, 89, 20), (90, 100, 30)],
        vector_cleanup=True,
        delete_orphaned=False,
        retention_years=7,
        justification=[90, 100],
    ),
    "HIPAA": _template(
        mode="HIPAA",
        conversations=_conversations("6y", None, True, False, "6y"),
        immutable_versions=50,
        immutable_types=["audit-log", "medical-record", "policy"],
        immutable_cleanup=False,
        mutable_inactive="6y",
        vector_versions=20,
        by_importance=[(0, 20, 5), (21, 40, 10), (41, 100, 20)],
        vector_cleanup=False,
        delete_orphaned=False,
        retention_years=6,
        justification=[80, 90, 100],
    ),
    "SOC2": _template(
        mode="SOC2",
        conversations=_conversations("7y", "1y", True, True, "2y"),
        immutable_versions=30,
        immutable_types=["audit-log", "access-log", "policy"],
        immutable_cleanup=True,
        mutable_inactive="2y",
        vector_versions=15,
        by_importance=[(0, 30, 3), (31, 70, 10), (71, 100, 20)],
        vector_cleanup=True,
        delete_orphaned=True,
        retention_years=7,
        justification=[90, 100],
    ),
    "FINRA": _template(
        mode="FINRA",
        conversations=_conversations("7y", None, False, False, "7y"),
        immutable_versions=-1,
        immutable_types=["audit-log", "financial-record", "transaction"],
        immutable_cleanup=False,
        mutable_inactive="7y",
        vector_versions=30,
        by_importance=[(0, 100, 30)],
        vector_cleanup=False,
        delete_orphaned=False,
        retention_years=7,
        justification=[80, 90, 100],
    ),
}


def template(name: str) -> Doc:
    """A fresh copy of a compliance template."""
    return copy.deepcopy(TEMPLATES[name])


def _is_active(doc: Doc) -> bool:
    return doc.get("isActive") is True


def _active_for_space(ctx: QueryCtx, space_id: Any) -> Doc | None:
    return (
        ctx.db.query(POLICIES)
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space_id))
        .filter(_is_active)
        .first()
    )


def _active_for_org(ctx: QueryCtx, org_id: Any) -> Doc | None:
    return (
        ctx.db.query(POLICIES)
        .with_index("by_organization", lambda q: q.eq("organizationId", org_id))
        .filter(_is_active)
        .first()
    )


def _deactivate(ctx: MutationCtx, policy: Doc | None, now: float) -> None:
    if policy is not None:
        ctx.db.patch(policy["_id"], {"isActive": False, "updatedAt": now})


def _member(value: Any, name: str) -> Any:
    """``value.name`` for a stored ``v.any()`` value; reading a member of null fails as in JavaScript."""
    if value is None:
        raise FunctionError(f"TypeError: Cannot read properties of null (reading '{name}')")
    if isinstance(value, dict):
        return value.get(name, UNDEFINED)
    return UNDEFINED


def _defined(**members: Any) -> Doc:
    return {k: v for k, v in members.items() if v is not UNDEFINED and v is not None}


@handler(GovernanceSetPolicyArgs)
def set_policy(ctx: MutationCtx, args: GovernanceSetPolicyArgs) -> Doc:
    """Store a policy as the active one of its scope (``policy.organizationId``, else ``policy.memorySpaceId``),
    deactivating the previous active policy of that scope."""
    policy = args.policy
    now = ctx.now()
    org_id = _member(policy, "organizationId")
    space_id = _member(policy, "memorySpaceId")
    if js.truthy(org_id):
        _deactivate(ctx, _active_for_org(ctx, org_id), now)
    elif js.truthy(space_id):
        _deactivate(ctx, _active_for_space(ctx, space_id), now)
    policy_id = ctx.db.insert(
        POLICIES,
        {
            "organizationId": org_id,
            "memorySpaceId": space_id,
            "policy": policy,
            "isActive": True,
            "createdAt": now,
            "updatedAt": now,
        },
    )
    return {
        "policyId": policy_id,
        "appliedAt": now,
        "scope": {
            k: v
            for k, v in (("organizationId", org_id), ("memorySpaceId", space_id))
            if v is not UNDEFINED
        },
        "success": True,
    }


@handler(GovernanceSetAgentOverrideArgs)
def set_agent_override(ctx: MutationCtx, args: GovernanceSetAgentOverrideArgs) -> None:
    """Make ``overrides`` (shallowly merged over the first active policy without an organization) the active
    policy of a memory space."""
    now = ctx.now()
    base = (
        ctx.db.query(POLICIES)
        .with_index("by_active", lambda q: q.eq("isActive", True))
        .filter(lambda d: d.get("organizationId", UNDEFINED) is UNDEFINED)
        .first()
    )
    merged = {
        **js.spread(base["policy"] if base is not None else UNDEFINED),
        **js.spread(args.overrides),
        "memorySpaceId": args.memory_space_id,
    }
    _deactivate(ctx, _active_for_space(ctx, args.memory_space_id), now)
    ctx.db.insert(
        POLICIES,
        {
            "memorySpaceId": args.memory_space_id,
            "policy": merged,
            "isActive": True,
            "createdAt": now,
            "updatedAt": now,
        },
    )


@handler(GovernanceEnforceArgs)
def enforce(ctx: MutationCtx, args: GovernanceEnforceArgs) -> Doc:
    """Log a manual enforcement for the scope's active policy (counts are zero: upstream deletes nothing)."""
    options = args.options
    scope = options.scope if options is not None else None
    org_id = scope.organization_id if scope is not None else None
    space_id = scope.memory_space_id if scope is not None else None
    policy = None
    if space_id:
        policy = _active_for_space(ctx, space_id)
    elif org_id:
        policy = _active_for_org(ctx, org_id)
    if policy is None:
        raise ConvexError("No active policy found for scope")
    layers = list(options.layers or []) if options is not None else []
    rules = list(options.rules or []) if options is not None else []
    now = ctx.now()
    result = {
        "enforcedAt": now,
        "versionsDeleted": 0,
        "recordsPurged": 0,
        "storageFreed": 0,
        "affectedLayers": layers,
    }
    ctx.db.insert(
        ENFORCEMENT,
        {
            **_defined(organizationId=org_id, memorySpaceId=space_id),
            "enforcementType": "manual",
            "layers": layers,
            "rules": rules,
            "versionsDeleted": 0,
            "recordsPurged": 0,
            "storageFreed": 0,
            "executedAt": now,
        },
    )
    return result


@handler(GovernanceGetPolicyArgs)
def get_policy(ctx: QueryCtx, args: GovernanceGetPolicyArgs) -> Any:
    """The active policy of the memory space, else of the organization, else the GDPR template."""
    scope = args.scope
    found = None
    if scope is not None and scope.memory_space_id:
        found = _active_for_space(ctx, scope.memory_space_id)
    if found is None and scope is not None and scope.organization_id:
        found = _active_for_org(ctx, scope.organization_id)
    if found is None:
        return template("GDPR")
    return found["policy"]


@handler(GovernanceGetTemplateArgs)
def get_template(ctx: QueryCtx, args: GovernanceGetTemplateArgs) -> Doc:
    """One of the compliance templates (GDPR, HIPAA, SOC2, FINRA)."""
    return template(args.template)


@handler(GovernanceSimulateArgs)
def simulate(ctx: QueryCtx, args: GovernanceSimulateArgs) -> Doc:
    """Placeholder impact figures, identical to upstream's (which does not analyse any data)."""
    return {
        "versionsAffected": 100,
        "recordsAffected": 50,
        "storageFreed": 250,
        "costSavings": 5.0,
        "breakdown": {
            "conversations": {"affected": 20, "storageMB": 50},
            "immutable": {"affected": 15, "storageMB": 75},
            "mutable": {"affected": 10, "storageMB": 25},
            "vector": {"affected": 55, "storageMB": 100},
        },
    }


def _enforcements(ctx: QueryCtx, org_id: str | None, start: float, end: float | None) -> list[Doc]:
    """The organization's enforcement records executed in ``[start, end]``; none without an organization
    (as upstream)."""
    if not org_id:
        return []

    def bounds(q: Any) -> Any:
        q = q.eq("organizationId", org_id).gte("executedAt", start)
        return q.lte("executedAt", end) if end is not None else q

    return ctx.db.query(ENFORCEMENT).with_index("by_organization", bounds).collect()


def _sum(records: list[Doc], name: str) -> Any:
    total: Any = 0
    for record in records:
        total = js.add(total, record[name])
    return total


@handler(GovernanceGetComplianceReportArgs)
def get_compliance_report(ctx: QueryCtx, args: GovernanceGetComplianceReportArgs) -> Doc:
    """A compliance report; only ``versionsDeleted`` comes from the enforcement log, the rest are upstream's
    placeholder figures."""
    now = ctx.now()
    options = args.options
    if options is None:
        org_id = space_id = None
        period: Doc = {"start": 0, "end": now}
    else:
        org_id, space_id = options.organization_id, options.memory_space_id
        period = {"start": options.period.start, "end": options.period.end}
    versions_deleted = _sum(
        _enforcements(ctx, org_id, period["start"], period["end"]), "versionsDeleted"
    )
    return {
        **_defined(organizationId=org_id, memorySpaceId=space_id),
        "period": period,
        "generatedAt": now,
        "conversations": {
            "total": 1000,
            "deleted": 50,
            "archived": 200,
            "complianceStatus": "COMPLIANT",
        },
        "immutable": {
            "entities": 500,
            "totalVersions": 2500,
            "versionsDeleted": versions_deleted,
            "complianceStatus": "COMPLIANT",
        },
        "vector": {
            "memories": 5000,
            "versionsDeleted": versions_deleted,
            "orphanedCleaned": 25,
            "complianceStatus": "COMPLIANT",
        },
        "dataRetention": {"oldestRecord": now - 3 * 365 * DAY_MS, "withinPolicy": True},
        "userRequests": {"deletionRequests": 5, "fulfilled": 5, "avgFulfillmentTime": "2.3 hours"},
    }


@handler(GovernanceGetEnforcementStatsArgs)
def get_enforcement_stats(ctx: QueryCtx, args: GovernanceGetEnforcementStatsArgs) -> Doc:
    """Totals of the organization's enforcement log over a period (``7d``/``30d``/``90d``/``1y``, default
    ``30d``), split across layers by upstream's fixed ratios."""
    now = ctx.now()
    options = args.options
    period = options.period if options is not None else "30d"
    start = now - PERIOD_DAYS.get(period, 30) * DAY_MS
    records = _enforcements(ctx, options.organization_id if options else None, start, None)
    versions = _sum(records, "versionsDeleted")
    purged = _sum(records, "recordsPurged")
    freed = _sum(records, "storageFreed")
    return {
        "period": {"start": start, "end": now},
        "conversations": {"purged": math.floor(purged * 0.2), "archived": math.floor(purged * 0.3)},
        "immutable": {
            "versionsDeleted": math.floor(versions * 0.3),
            "entitiesPurged": math.floor(purged * 0.2),
        },
        "vector": {
            "versionsDeleted": math.floor(versions * 0.5),
            "memoriesPurged": math.floor(purged * 0.4),
        },
        "mutable": {"keysDeleted": math.floor(purged * 0.2)},
        "storageFreed": freed,
        "costSavings": freed * 0.02,
    }


@handler(GovernancePurgeAllPoliciesArgs)
def purge_all_policies(ctx: MutationCtx, args: GovernancePurgeAllPoliciesArgs) -> Doc:
    """Delete every policy; refused unless the backend allows purges."""
    return {"deleted": len(purge_table(ctx, POLICIES, "purgeAllPolicies"))}


@handler(GovernancePurgeAllEnforcementArgs)
def purge_all_enforcement(ctx: MutationCtx, args: GovernancePurgeAllEnforcementArgs) -> Doc:
    """Delete the whole enforcement log; refused unless the backend allows purges."""
    return {"deleted": len(purge_table(ctx, ENFORCEMENT, "purgeAllEnforcement"))}
