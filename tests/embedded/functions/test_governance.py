"""The ``governance`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.governance import (
    GovernanceEnforceArgs,
    GovernanceEnforceArgsOptions,
    GovernanceEnforceArgsOptionsScope,
    GovernanceGetComplianceReportArgs,
    GovernanceGetComplianceReportArgsOptions,
    GovernanceGetComplianceReportArgsOptionsPeriod,
    GovernanceGetEnforcementStatsArgs,
    GovernanceGetEnforcementStatsArgsOptions,
    GovernanceGetPolicyArgs,
    GovernanceGetPolicyArgsScope,
    GovernanceGetTemplateArgs,
    GovernancePurgeAllEnforcementArgs,
    GovernancePurgeAllPoliciesArgs,
    GovernanceSetAgentOverrideArgs,
    GovernanceSetPolicyArgs,
    GovernanceSimulateArgs,
)
from cortex._generated.calls_sync import governance as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport
DAY_MS = 24 * 60 * 60 * 1000


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _policy(t: Transport, org: str | None = None, space: str | None = None) -> Any:
    scope: dict[str, Any] = {}
    if org is not None:
        scope["organization_id"] = org
    if space is not None:
        scope["memory_space_id"] = space
    return calls.governance_get_policy(
        t, GovernanceGetPolicyArgs(scope=GovernanceGetPolicyArgsScope(**scope))
    )


def _set(t: Transport, policy: Any) -> Any:
    result = calls.governance_set_policy(t, GovernanceSetPolicyArgs(policy=policy))
    time.sleep(0.002)
    return result


def _enforce(t: Transport, **scope: str) -> Any:
    return calls.governance_enforce(
        t,
        GovernanceEnforceArgs(
            options=GovernanceEnforceArgsOptions(
                layers=["vector"],
                rules=["retention"],
                scope=GovernanceEnforceArgsOptionsScope(**scope),
            )
        ),
    )


def test_templates(t: Transport) -> None:
    gdpr = calls.governance_get_template(t, GovernanceGetTemplateArgs(template="GDPR"))
    assert gdpr["compliance"] == {
        "mode": "GDPR",
        "dataRetentionYears": 7,
        "requireJustification": [90, 100],
        "auditLogging": True,
    }
    assert gdpr["immutable"]["retention"]["byType"]["kb-article"] == {"versionsToKeep": 50}
    assert gdpr["mutable"]["retention"] == {"purgeInactiveAfter": "2y"}  # defaultTTL is undefined
    assert len(gdpr["vector"]["retention"]["byImportance"]) == 5
    finra = calls.governance_get_template(t, GovernanceGetTemplateArgs(template="FINRA"))
    assert finra["immutable"]["retention"]["defaultVersions"] == -1
    assert finra["conversations"]["retention"] == {"deleteAfter": "7y", "purgeOnUserRequest": False}
    hipaa = calls.governance_get_template(t, GovernanceGetTemplateArgs(template="HIPAA"))
    soc2 = calls.governance_get_template(t, GovernanceGetTemplateArgs(template="SOC2"))
    assert (
        hipaa["compliance"]["mode"] == "HIPAA"
        and soc2["vector"]["purging"]["deleteOrphaned"] is True
    )
    # without any policy, the GDPR template applies everywhere
    assert calls.governance_get_policy(t, GovernanceGetPolicyArgs()) == gdpr
    assert _policy(t, org="org1") == gdpr


def test_set_policy_scopes_and_fallbacks(t: Transport) -> None:
    first = _set(
        t, {"organizationId": "org1", "conversations": {"retention": {"deleteAfter": "1y"}}}
    )
    assert first["scope"] == {"organizationId": "org1"} and first["success"] is True
    assert isinstance(first["policyId"], str) and first["appliedAt"] > 0
    second = _set(
        t, {"organizationId": "org1", "conversations": {"retention": {"deleteAfter": "2y"}}}
    )
    assert second["policyId"] != first["policyId"]
    _set(t, {"memorySpaceId": "ms1", "vector": {"retention": {"defaultVersions": 3}}})
    assert _set(t, {"mutable": {}})["scope"] == {}
    assert _policy(t, org="org1")["conversations"]["retention"]["deleteAfter"] == "2y"
    assert _policy(t, space="ms1") == {
        "memorySpaceId": "ms1",
        "vector": {"retention": {"defaultVersions": 3}},
    }
    # an unknown space falls back to the organization's policy
    assert _policy(t, org="org1", space="unknown")["organizationId"] == "org1"


def test_agent_override_merges_over_the_first_policy_without_organization(t: Transport) -> None:
    _set(t, {"organizationId": "org1", "conversations": {"x": 1}})
    _set(t, {"memorySpaceId": "base", "vector": {"retention": {"defaultVersions": 3}}})
    assert (
        calls.governance_set_agent_override(
            t,
            GovernanceSetAgentOverrideArgs(
                memory_space_id="ms2",
                overrides={"immutable": {"retention": {"defaultVersions": 2}}},
            ),
        )
        is None
    )
    assert _policy(t, space="ms2") == {
        "memorySpaceId": "ms2",
        "vector": {"retention": {"defaultVersions": 3}},
        "immutable": {"retention": {"defaultVersions": 2}},
    }
    calls.governance_set_agent_override(
        t, GovernanceSetAgentOverrideArgs(memory_space_id="ms2", overrides={"vector": {}})
    )
    assert _policy(t, space="ms2")["vector"] == {}  # the previous override was deactivated


def test_enforce_logs_and_stats(t: Transport) -> None:
    with pytest.raises(FunctionError) as info:
        calls.governance_enforce(t, GovernanceEnforceArgs())
    assert info.value.data == "No active policy found for scope"
    with pytest.raises(FunctionError):
        _enforce(t, organization_id="nope")
    _set(t, {"organizationId": "org1"})
    _set(t, {"memorySpaceId": "ms1"})
    result = _enforce(t, organization_id="org1")
    assert result == {
        "enforcedAt": result["enforcedAt"],
        "versionsDeleted": 0,
        "recordsPurged": 0,
        "storageFreed": 0,
        "affectedLayers": ["vector"],
    }
    _enforce(t, memory_space_id="ms1")
    stats = calls.governance_get_enforcement_stats(
        t,
        GovernanceGetEnforcementStatsArgs(
            options=GovernanceGetEnforcementStatsArgsOptions(period="7d", organization_id="org1")
        ),
    )
    assert stats["period"]["end"] - stats["period"]["start"] == 7 * DAY_MS
    assert stats["storageFreed"] == 0 and stats["costSavings"] == 0
    default = calls.governance_get_enforcement_stats(t, GovernanceGetEnforcementStatsArgs())
    assert default["period"]["end"] - default["period"]["start"] == 30 * DAY_MS
    report = calls.governance_get_compliance_report(
        t,
        GovernanceGetComplianceReportArgs(
            options=GovernanceGetComplianceReportArgsOptions(
                organization_id="org1",
                period=GovernanceGetComplianceReportArgsOptionsPeriod(start=0, end=4100000000000),
            )
        ),
    )
    assert report["organizationId"] == "org1" and "memorySpaceId" not in report
    assert report["period"] == {"start": 0, "end": 4100000000000}
    assert report["generatedAt"] - report["dataRetention"]["oldestRecord"] == 3 * 365 * DAY_MS
    simulated = calls.governance_simulate(t, GovernanceSimulateArgs(options={"vector": {}}))
    assert (
        simulated["versionsAffected"] == 100 and simulated["breakdown"]["vector"]["affected"] == 55
    )
    assert calls.governance_purge_all_enforcement(t, GovernancePurgeAllEnforcementArgs()) == {
        "deleted": 2
    }
    assert calls.governance_purge_all_policies(t, GovernancePurgeAllPoliciesArgs()) == {
        "deleted": 2
    }
    assert "organizationId" not in _policy(t, org="org1")  # back to the template


def test_purges_need_allow_purge() -> None:
    with SyncEmbeddedTransport(":memory:") as locked:
        _set(locked, {"organizationId": "org1"})
        for fn, model in (
            (calls.governance_purge_all_policies, GovernancePurgeAllPoliciesArgs),
            (calls.governance_purge_all_enforcement, GovernancePurgeAllEnforcementArgs),
        ):
            with pytest.raises(FunctionError) as info:
                fn(locked, model())
            assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert _policy(locked, org="org1") == {"organizationId": "org1"}


def test_null_policy_fails_without_writing(t: Transport) -> None:
    with pytest.raises(FunctionError) as info:
        calls.governance_set_policy(t, GovernanceSetPolicyArgs(policy=None))
    assert "Cannot read properties of null" in info.value.message
    assert calls.governance_purge_all_policies(t, GovernancePurgeAllPoliciesArgs()) == {
        "deleted": 0
    }


@pytest.mark.parametrize(
    ("kind", "model", "args", "field"),
    [
        ("mutation", GovernanceSetPolicyArgs, {}, "policy"),
        ("query", GovernanceGetTemplateArgs, {"template": "CCPA"}, None),
        (
            "query",
            GovernanceGetComplianceReportArgs,
            {"options": {"organizationId": "o"}},
            "options.period",
        ),
        ("mutation", GovernanceEnforceArgs, {"options": {"layers": "vector"}}, None),
        ("mutation", GovernanceSetAgentOverrideArgs, {"memorySpaceId": "m"}, "overrides"),
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
    assert calls.governance_purge_all_policies(t, GovernancePurgeAllPoliciesArgs()) == {
        "deleted": 0
    }
