"""The ``facts`` module through the in-process transport (generated call helpers, real SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.facts import (
    FactsConsolidateArgs,
    FactsCountArgs,
    FactsDeleteByIdsArgs,
    FactsDeleteFactArgs,
    FactsDeleteManyArgs,
    FactsExportFactsArgs,
    FactsFindByStructureArgs,
    FactsGetArgs,
    FactsGetHistoryArgs,
    FactsListArgs,
    FactsPurgeAllArgs,
    FactsQueryByRelationshipArgs,
    FactsQueryBySubjectArgs,
    FactsSearchArgs,
    FactsStoreArgs,
    FactsSupersedeArgs,
    FactsUpdateArgs,
    FactsUpdateInPlaceArgs,
)
from cortex._generated.calls_sync import facts as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError

Transport = SyncEmbeddedTransport


@pytest.fixture
def t() -> Iterator[Transport]:
    transport = SyncEmbeddedTransport(":memory:", allow_purge=True)
    yield transport
    transport.close()


def _store(t: Transport, fact: str, space: str = "s1", **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "memory_space_id": space,
        "fact": fact,
        "fact_type": "preference",
        "confidence": 80,
        "source_type": "manual",
        "tags": [],
    }
    fields.update(kw)
    result: dict[str, Any] = calls.facts_store(t, FactsStoreArgs(**fields))
    return result


def _ids(facts: list[dict[str, Any]]) -> list[str]:
    return [f["factId"] for f in facts]


def test_store_and_get_with_tenant_isolation(t: Transport) -> None:
    f = _store(t, "Alice likes tea", subject="alice", tenant_id="t1", metadata={"k": "v"})
    assert f["factId"].startswith("fact-") and f["version"] == 1
    assert f["validFrom"] == f["createdAt"] == f["updatedAt"]
    assert "supersededBy" not in f and "supersedes" not in f
    get = calls.facts_get
    assert get(t, FactsGetArgs(memory_space_id="s1", fact_id=f["factId"])) == f
    assert get(t, FactsGetArgs(memory_space_id="s1", fact_id=f["factId"], tenant_id="t1")) == f
    assert get(t, FactsGetArgs(memory_space_id="s1", fact_id=f["factId"], tenant_id="t2")) is None
    assert get(t, FactsGetArgs(memory_space_id="s2", fact_id=f["factId"])) is None
    assert _store(t, "x", valid_from=5)["validFrom"] == 5


def test_update_creates_a_version_chain(t: Transport) -> None:
    v1 = _store(t, "Alice likes tea", subject="alice", user_id="u1", tenant_id="t1")
    v2 = calls.facts_update(
        t, FactsUpdateArgs(memory_space_id="s1", fact_id=v1["factId"], fact="", confidence=90)
    )
    assert v2["fact"] == "Alice likes tea"  # "" is falsy upstream: the old text is kept
    assert v2["version"] == 2 and v2["supersedes"] == v1["factId"] and v2["confidence"] == 90
    assert v2["createdAt"] == v1["createdAt"] and v2["userId"] == "u1" and v2["tenantId"] == "t1"
    v3 = calls.facts_update(
        t, FactsUpdateArgs(memory_space_id="s1", fact_id=v2["factId"], fact="Alice likes coffee")
    )
    old = calls.facts_get(t, FactsGetArgs(memory_space_id="s1", fact_id=v1["factId"]))
    assert old["supersededBy"] == v2["factId"] and old["validUntil"] == v2["updatedAt"]
    for start in (v1, v2, v3):
        chain = calls.facts_get_history(
            t, FactsGetHistoryArgs(memory_space_id="s1", fact_id=start["factId"])
        )
        assert _ids(chain) == [v1["factId"], v2["factId"], v3["factId"]]
    assert _ids(calls.facts_list(t, FactsListArgs(memory_space_id="s1"))) == [v3["factId"]]
    everything = calls.facts_list(t, FactsListArgs(memory_space_id="s1", include_superseded=True))
    assert len(everything) == 3
    with pytest.raises(FunctionError) as info:
        calls.facts_update(t, FactsUpdateArgs(memory_space_id="s2", fact_id=v3["factId"]))
    assert info.value.code == "PERMISSION_DENIED"
    with pytest.raises(FunctionError) as info:
        calls.facts_update(t, FactsUpdateArgs(memory_space_id="s1", fact_id="fact-none"))
    assert info.value.code == "FACT_NOT_FOUND"
    assert calls.facts_count(t, FactsCountArgs(memory_space_id="s1", include_superseded=True)) == 3


def test_supersede_update_in_place_delete(t: Transport) -> None:
    a = _store(t, "a")
    b = _store(t, "b")
    other = _store(t, "c", space="s2")
    out = calls.facts_supersede(
        t,
        FactsSupersedeArgs(
            memory_space_id="s1", old_fact_id=a["factId"], new_fact_id=b["factId"], reason="r"
        ),
    )
    assert out == {
        "superseded": True,
        "oldFactId": a["factId"],
        "newFactId": b["factId"],
        "reason": "r",
    }
    got_b = calls.facts_get(t, FactsGetArgs(memory_space_id="s1", fact_id=b["factId"]))
    assert got_b["supersedes"] == a["factId"]
    with pytest.raises(FunctionError) as info:
        calls.facts_supersede(
            t,
            FactsSupersedeArgs(
                memory_space_id="s1", old_fact_id=b["factId"], new_fact_id=other["factId"]
            ),
        )
    assert info.value.code == "FACTS_MUST_BE_IN_SAME_SPACE"
    with pytest.raises(FunctionError) as info:
        calls.facts_supersede(
            t, FactsSupersedeArgs(memory_space_id="s1", old_fact_id="x", new_fact_id="y")
        )
    assert info.value.code == "OLD_FACT_NOT_FOUND"
    same = calls.facts_update_in_place(
        t,
        FactsUpdateInPlaceArgs(
            memory_space_id="s1", fact_id=b["factId"], confidence=10, metadata=None, category="c"
        ),
    )
    assert same["version"] == 1 and same["confidence"] == 10 and same["metadata"] is None
    assert same["category"] == "c" and same["fact"] == "b"
    deleted = calls.facts_delete_fact(
        t, FactsDeleteFactArgs(memory_space_id="s1", fact_id=b["factId"])
    )
    assert deleted == {"deleted": True, "factId": b["factId"]}
    soft = calls.facts_get(t, FactsGetArgs(memory_space_id="s1", fact_id=b["factId"]))
    assert soft is not None and soft["validUntil"] == soft["updatedAt"]


def test_list_filters_sorting_paging_and_tenant_index(t: Transport) -> None:
    tea = _store(
        t,
        "Alice likes tea",
        subject="alice",
        predicate="likes",
        object="tea",
        confidence=90,
        tags=["a", "b"],
        metadata={"k": "v", "n": 1},
        user_id="alice",
    )
    coffee = _store(
        t,
        "Alice likes coffee",
        subject="alice",
        predicate="likes",
        object="coffee",
        confidence=60,
        tags=["b"],
        source_type="conversation",
    )
    eng = _store(t, "Alice is an engineer", subject="alice", fact_type="identity", confidence=75)
    tenant = _store(t, "tenant fact", tenant_id="t1", confidence=70)

    def listed(**kw: Any) -> list[str]:
        return _ids(calls.facts_list(t, FactsListArgs(memory_space_id="s1", **kw)))

    assert listed() == _ids([tea, coffee, eng, tenant])
    assert listed(tenant_id="t1") == [tenant["factId"]]
    assert listed(fact_type="identity") == [eng["factId"]]
    assert listed(tags=["a", "b"], tag_match="all") == [tea["factId"]]
    assert listed(tags=["a", "b"]) == _ids([tea, coffee])
    assert listed(min_confidence=75) == _ids([tea, eng])
    assert listed(metadata={"k": "v"}) == [tea["factId"]]
    assert listed(metadata={"k": "other"}) == []
    assert listed(source_type="conversation") == [coffee["factId"]]
    assert listed(sort_by="confidence") == _ids([tea, eng, tenant, coffee])
    assert listed(sort_by="confidence", sort_order="asc", offset=1, limit=2) == _ids([tenant, eng])
    assert listed(sort_by="nonsense") == _ids([tea, coffee, eng, tenant])
    assert listed(valid_at=tea["validFrom"] - 1) == []
    assert calls.facts_count(t, FactsCountArgs(memory_space_id="s1", subject="alice")) == 3
    by_subject = calls.facts_query_by_subject(
        t, FactsQueryBySubjectArgs(memory_space_id="s1", subject="alice", predicate="likes")
    )
    assert _ids(by_subject) == _ids([tea, coffee])
    rel = calls.facts_query_by_relationship(
        t,
        FactsQueryByRelationshipArgs(
            memory_space_id="s1", subject="alice", predicate="likes", object="coffee"
        ),
    )
    assert _ids(rel) == [coffee["factId"]]
    found = calls.facts_find_by_structure(
        t, FactsFindByStructureArgs(memory_space_id="s1", subject="alice", limit=2)
    )
    assert _ids(found) == _ids([tea, coffee])


def test_search_is_scoped_to_space_and_tenant(t: Transport) -> None:
    a = _store(t, "Bob drinks green tea", tenant_id="t1")
    b = _store(t, "Carol drinks tea")
    _store(t, "Tea elsewhere", space="s2")
    found = calls.facts_search(t, FactsSearchArgs(memory_space_id="s1", query="tea"))
    assert set(_ids(found)) == {a["factId"], b["factId"]}
    scoped = calls.facts_search(
        t, FactsSearchArgs(memory_space_id="s1", query="tea", tenant_id="t1")
    )
    assert _ids(scoped) == [a["factId"]]
    assert calls.facts_search(t, FactsSearchArgs(memory_space_id="s1", query="zebra")) == []


def test_consolidate_and_bulk_deletes(t: Transport) -> None:
    a = _store(t, "a", confidence=80)
    b = _store(t, "b", confidence=91, user_id="u1")
    out = calls.facts_consolidate(
        t,
        FactsConsolidateArgs(
            memory_space_id="s1",
            fact_ids=[a["factId"], b["factId"], "fact-none"],
            keep_fact_id=a["factId"],
        ),
    )
    assert out == {"consolidated": True, "keptFactId": a["factId"], "mergedCount": 2}
    kept = calls.facts_get(t, FactsGetArgs(memory_space_id="s1", fact_id=a["factId"]))
    assert kept["confidence"] == 86  # Math.round(85.5)
    merged = calls.facts_get(t, FactsGetArgs(memory_space_id="s1", fact_id=b["factId"]))
    assert merged["supersededBy"] == a["factId"]
    with pytest.raises(FunctionError) as info:
        calls.facts_consolidate(
            t, FactsConsolidateArgs(memory_space_id="s1", fact_ids=[b["factId"]], keep_fact_id="z")
        )
    assert info.value.code == "KEEP_FACT_NOT_IN_LIST" and info.value.data is None
    soft = calls.facts_delete_by_ids(t, FactsDeleteByIdsArgs(fact_ids=[a["factId"], "nope"]))
    assert soft == {"deleted": 1, "factIds": [a["factId"]]}
    hard = calls.facts_delete_many(t, FactsDeleteManyArgs(memory_space_id="s1", user_id="u1"))
    assert hard == {"deleted": 1, "memorySpaceId": "s1"}
    assert calls.facts_count(t, FactsCountArgs(memory_space_id="s1", include_superseded=True)) == 1
    assert calls.facts_purge_all(t, FactsPurgeAllArgs()) == {"deleted": 1}
    with SyncEmbeddedTransport(":memory:") as locked:
        with pytest.raises(FunctionError) as info:
            calls.facts_purge_all(locked, FactsPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"


def test_exports(t: Transport) -> None:
    _store(t, 'Say "hi"', subject="s", predicate="p", object="o", tags=["x", "y"], valid_until=1e12)
    _store(t, "other", fact_type="identity")
    js = calls.facts_export_facts(t, FactsExportFactsArgs(memory_space_id="s1", format="json"))
    data = json.loads(js["data"])
    assert js["count"] == 2 and list(data[0]) == sorted(data[0])
    assert '"version": 1' in js["data"]
    ld = calls.facts_export_facts(
        t, FactsExportFactsArgs(memory_space_id="s1", format="jsonld", fact_type="identity")
    )
    graph = json.loads(ld["data"])["@graph"]
    assert (
        graph[0]["@type"] == "Fact" and "subject" not in graph[0] and "validThrough" not in graph[0]
    )
    csv = calls.facts_export_facts(
        t, FactsExportFactsArgs(memory_space_id="s1", format="csv", fact_type="preference")
    )
    row = csv["data"].split("\n")[1].split(",")
    assert row[1:9] == ['"Say ""hi"""', "preference", "s", "p", "o", "80", "manual", "x;y"]


def test_bad_arguments(t: Transport) -> None:
    with pytest.raises(BackendValidationError):
        t.call("query", path_of(FactsExportFactsArgs), {"memorySpaceId": "s1", "format": "xml"})
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", path_of(FactsStoreArgs), {"memorySpaceId": "s1", "fact": "x"})
    assert info.value.code == "ARGUMENT_VALIDATION_ERROR"
    assert calls.facts_count(t, FactsCountArgs(memory_space_id="s1")) == 0


def test_sdk_facts_namespace_isolates_tenants(tmp_path: Any) -> None:
    from cortex import CortexConfig, SyncCortex

    db = str(tmp_path / "cortex.db")
    params = {
        "memorySpaceId": "s",
        "fact": "Alice likes tea",
        "factType": "preference",
        "confidence": 90,
        "sourceType": "manual",
    }
    with SyncCortex(CortexConfig(local_path=db, auth={"tenant_id": "t1"})) as tenant:
        mine = tenant.facts.store(params)
        assert mine.tenant_id == "t1"
    with SyncCortex(CortexConfig(local_path=db)) as plain:
        shared = plain.facts.store({**params, "fact": "Bob likes tea"})
        assert {f.fact_id for f in plain.facts.list({"memorySpaceId": "s"})} == {
            mine.fact_id,
            shared.fact_id,
        }
    with SyncCortex(CortexConfig(local_path=db, auth={"tenant_id": "t1"})) as tenant:
        assert [f.fact_id for f in tenant.facts.list({"memorySpaceId": "s"})] == [mine.fact_id]
        assert tenant.facts.get("s", shared.fact_id) is None
        assert tenant.facts.get("s", mine.fact_id) is not None
