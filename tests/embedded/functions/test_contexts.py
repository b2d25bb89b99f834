"""The ``contexts`` module through the in-process transport: chains, versions, tenants, bulk operations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.contexts import (
    ContextsAddParticipantArgs,
    ContextsCountArgs,
    ContextsCreateArgs,
    ContextsDeleteContextArgs,
    ContextsDeleteManyArgs,
    ContextsExportContextsArgs,
    ContextsFindOrphanedArgs,
    ContextsGetArgs,
    ContextsGetAtTimestampArgs,
    ContextsGetByConversationArgs,
    ContextsGetChainArgs,
    ContextsGetChildrenArgs,
    ContextsGetHistoryArgs,
    ContextsGetRootArgs,
    ContextsGetVersionArgs,
    ContextsGrantAccessArgs,
    ContextsListArgs,
    ContextsPurgeAllArgs,
    ContextsRemoveParticipantArgs,
    ContextsSearchArgs,
    ContextsUpdateArgs,
    ContextsUpdateManyArgs,
)
from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsCreateArgs,
)
from cortex._generated.calls_sync import contexts as calls
from cortex._generated.calls_sync import conversations as conv
from cortex.embedded.registry import path_of
from cortex.embedded.transport import SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError


@pytest.fixture
def t() -> Iterator[SyncEmbeddedTransport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _new(t: SyncEmbeddedTransport, purpose: str, space: str = "s1", **kw: Any) -> Any:
    doc = calls.contexts_create(t, ContextsCreateArgs(purpose=purpose, memory_space_id=space, **kw))
    time.sleep(0.002)
    return doc


def _get(t: SyncEmbeddedTransport, cid: str, **kw: Any) -> Any:
    return calls.contexts_get(t, ContextsGetArgs(context_id=cid, **kw))


def _data(exc: pytest.ExceptionInfo[FunctionError]) -> Any:
    return exc.value.data


def _tree(t: SyncEmbeddedTransport) -> tuple[Any, Any, Any, Any]:
    root = _new(t, "root", user_id="u1")
    a = _new(t, "a", parent_id=root["contextId"], status="blocked")
    b = _new(t, "b", "s2", parent_id=root["contextId"], user_id="u2")
    g = _new(t, "g", parent_id=a["contextId"])
    return root, a, b, g


def test_create_builds_the_tree(t: SyncEmbeddedTransport) -> None:
    root, a, b, g = _tree(t)
    assert root["contextId"].startswith("ctx-") and root["rootId"] == root["contextId"]
    assert (root["depth"], a["depth"], g["depth"]) == (0, 1, 2)
    assert g["rootId"] == root["contextId"] and g["parentId"] == a["contextId"]
    assert root["status"] == "active" and a["status"] == "blocked"
    assert root["participants"] == ["s1"] and root["version"] == 1 and root["metadata"] == {}
    assert _get(t, root["contextId"])["childIds"] == [a["contextId"], b["contextId"]]
    with pytest.raises(FunctionError) as info:
        _new(t, "x", parent_id="ctx-missing")
    assert _data(info) == "PARENT_NOT_FOUND"


def test_chain_root_children(t: SyncEmbeddedTransport) -> None:
    root, a, b, g = _tree(t)
    chain = calls.contexts_get_chain(t, ContextsGetChainArgs(context_id=a["contextId"]))
    assert chain["current"]["contextId"] == a["contextId"]
    assert chain["parent"]["contextId"] == root["contextId"]
    assert chain["root"]["contextId"] == root["contextId"]
    assert [c["contextId"] for c in chain["children"]] == [g["contextId"]]
    assert [c["contextId"] for c in chain["siblings"]] == [b["contextId"]]
    assert [c["contextId"] for c in chain["ancestors"]] == [root["contextId"]]
    assert [c["contextId"] for c in chain["descendants"]] == [g["contextId"]]
    assert chain["depth"] == 1 and chain["totalNodes"] == 5
    assert _get(t, g["contextId"], include_chain=True)["ancestors"][0]["purpose"] == "root"
    got_root = calls.contexts_get_root(t, ContextsGetRootArgs(context_id=g["contextId"]))
    assert got_root["_id"] == root["_id"]
    kids = calls.contexts_get_children(
        t, ContextsGetChildrenArgs(context_id=root["contextId"], recursive=True)
    )
    assert [c["purpose"] for c in kids] == ["a", "b", "g"]
    active = calls.contexts_get_children(
        t, ContextsGetChildrenArgs(context_id=root["contextId"], status="active")
    )
    assert [c["purpose"] for c in active] == ["b"]
    assert calls.contexts_get_children(t, ContextsGetChildrenArgs(context_id="nope")) == []
    with pytest.raises(FunctionError) as info:
        calls.contexts_get_chain(t, ContextsGetChainArgs(context_id="nope"))
    assert _data(info) == "CONTEXT_NOT_FOUND"


def test_conversation_link(t: SyncEmbeddedTransport) -> None:
    conv.conversations_create(
        t,
        ConversationsCreateArgs(
            conversation_id="c1",
            memory_space_id="s1",
            type="user-agent",
            participants={"userId": "u1", "agentId": "a1"},
        ),
    )
    for mid in ("m1", "m2"):
        conv.conversations_add_message(
            t,
            ConversationsAddMessageArgs(
                conversation_id="c1", message={"id": mid, "role": "user", "content": mid}
            ),
        )
    ctx = _new(t, "from chat", conversation_ref={"conversationId": "c1", "messageIds": ["m2"]})
    full = _get(t, ctx["contextId"], include_chain=True, include_conversation=True)
    assert full["conversation"]["conversationId"] == "c1"
    assert [m["id"] for m in full["triggerMessages"]] == ["m2"]
    linked = calls.contexts_get_by_conversation(
        t, ContextsGetByConversationArgs(conversation_id="c1")
    )
    assert [c["_id"] for c in linked] == [ctx["_id"]]


def test_update_versions_and_time_travel(t: SyncEmbeddedTransport) -> None:
    c = _new(t, "task", data={"a": 1})
    time.sleep(0.002)
    u1 = calls.contexts_update(t, ContextsUpdateArgs(context_id=c["contextId"], data={"b": 2}))
    assert u1["data"] == {"a": 1, "b": 2} and u1["version"] == 2
    time.sleep(0.002)
    u2 = calls.contexts_update(
        t, ContextsUpdateArgs(context_id=c["contextId"], status="completed", description="done")
    )
    assert u2["status"] == "completed" and u2["completedAt"] == u2["updatedAt"]
    assert u2["description"] == "done" and u2["version"] == 3
    history = calls.contexts_get_history(t, ContextsGetHistoryArgs(context_id=c["contextId"]))
    assert [(h["version"], h["status"]) for h in history] == [
        (1, "active"),
        (2, "active"),
        (3, "completed"),
    ]
    assert history[0] == {
        "version": 1,
        "status": "active",
        "data": {"a": 1},
        "timestamp": c["updatedAt"],
        "updatedBy": "s1",
    }
    v2 = calls.contexts_get_version(t, ContextsGetVersionArgs(context_id=c["contextId"], version=2))
    assert v2["data"] == {"a": 1, "b": 2}
    assert (
        calls.contexts_get_version(t, ContextsGetVersionArgs(context_id=c["contextId"], version=7))
        is None
    )

    def at(ts: float) -> Any:
        return calls.contexts_get_at_timestamp(
            t, ContextsGetAtTimestampArgs(context_id=c["contextId"], timestamp=ts)
        )

    assert at(c["createdAt"] - 1) is None
    assert at(u1["updatedAt"])["version"] == 2
    assert at(u2["updatedAt"] + 5)["version"] == 3
    with pytest.raises(FunctionError) as info:
        calls.contexts_update(t, ContextsUpdateArgs(context_id="nope"))
    assert _data(info) == "CONTEXT_NOT_FOUND"


def test_tenant_scoping(t: SyncEmbeddedTransport) -> None:
    mine = _new(t, "tenant task", tenant_id="t1")
    assert mine["tenantId"] == "t1"
    _new(t, "global task")
    assert _get(t, mine["contextId"]) is None
    assert _get(t, mine["contextId"], tenant_id="t1")["_id"] == mine["_id"]
    with pytest.raises(FunctionError):
        calls.contexts_update(t, ContextsUpdateArgs(context_id=mine["contextId"], status="blocked"))
    assert [c["purpose"] for c in calls.contexts_list(t, ContextsListArgs(tenant_id="t1"))] == [
        "tenant task"
    ]
    # without a tenant, tenant contexts are skipped before the limit applies
    assert [c["purpose"] for c in calls.contexts_list(t, ContextsListArgs(limit=1))] == [
        "global task"
    ]


def test_participants_and_access(t: SyncEmbeddedTransport) -> None:
    c = _new(t, "shared")
    cid = c["contextId"]
    added = calls.contexts_add_participant(
        t, ContextsAddParticipantArgs(context_id=cid, participant_id="s2")
    )
    assert added["participants"] == ["s1", "s2"]
    again = calls.contexts_add_participant(
        t, ContextsAddParticipantArgs(context_id=cid, participant_id="s2")
    )
    assert again["participants"] == ["s1", "s2"]
    removed = calls.contexts_remove_participant(
        t, ContextsRemoveParticipantArgs(context_id=cid, participant_id="s1")
    )
    assert removed["participants"] == ["s2"]
    calls.contexts_grant_access(
        t, ContextsGrantAccessArgs(context_id=cid, target_memory_space_id="s9", scope="read-only")
    )
    granted = calls.contexts_grant_access(
        t, ContextsGrantAccessArgs(context_id=cid, target_memory_space_id="s9", scope="full")
    )
    assert [(g["memorySpaceId"], g["scope"]) for g in granted["grantedAccess"]] == [("s9", "full")]
    with pytest.raises(FunctionError) as info:
        calls.contexts_grant_access(
            t, ContextsGrantAccessArgs(context_id="x", target_memory_space_id="s", scope="r")
        )
    assert _data(info) == "CONTEXT_NOT_FOUND"


def test_delete_children_rules(t: SyncEmbeddedTransport) -> None:
    root, a, b, g = _tree(t)
    with pytest.raises(FunctionError) as info:
        calls.contexts_delete_context(t, ContextsDeleteContextArgs(context_id=root["contextId"]))
    assert _data(info) == "HAS_CHILDREN"
    orphaned = calls.contexts_delete_context(
        t, ContextsDeleteContextArgs(context_id=a["contextId"], orphan_children=True)
    )
    assert orphaned == {
        "deleted": True,
        "contextId": a["contextId"],
        "descendantsDeleted": 0,
        "orphanedChildren": [g["contextId"]],
    }
    moved = _get(t, g["contextId"])
    assert moved["parentId"] == root["contextId"] and moved["depth"] == 1
    assert _get(t, root["contextId"])["childIds"] == [b["contextId"], g["contextId"]]
    gone = calls.contexts_delete_context(
        t, ContextsDeleteContextArgs(context_id=root["contextId"], cascade_children=True)
    )
    assert gone == {"deleted": True, "contextId": root["contextId"], "descendantsDeleted": 2}
    assert calls.contexts_count(t, ContextsCountArgs()) == 0


def test_orphans_found(t: SyncEmbeddedTransport) -> None:
    root, a, _b, g = _tree(t)
    calls.contexts_delete_many(t, ContextsDeleteManyArgs(memory_space_id="s1", status="blocked"))
    assert _get(t, a["contextId"]) is not None  # has a child: skipped without cascade
    out = calls.contexts_delete_many(
        t, ContextsDeleteManyArgs(memory_space_id="s1", status="blocked", cascade_children=True)
    )
    assert out == {"deleted": 2, "contextIds": [a["contextId"]]}
    orphans = calls.contexts_find_orphaned(t, ContextsFindOrphanedArgs())
    assert orphans == []  # the cascade removed the grandchild as well
    calls.contexts_delete_context(
        t, ContextsDeleteContextArgs(context_id=root["contextId"], orphan_children=True)
    )
    assert calls.contexts_find_orphaned(t, ContextsFindOrphanedArgs()) == []
    stray = {**_new(t, "stray"), "parentId": "ctx-gone"}
    t.engine.run_mutation(
        lambda ctx: ctx.db.replace(
            stray["_id"], {k: v for k, v in stray.items() if not k.startswith("_")}
        )
    )
    orphans = calls.contexts_find_orphaned(t, ContextsFindOrphanedArgs())
    assert [c["purpose"] for c in orphans] == ["stray"]
    assert g["contextId"] not in [
        c["contextId"] for c in calls.contexts_list(t, ContextsListArgs())
    ]


def test_list_count_search_update_many(t: SyncEmbeddedTransport) -> None:
    _root, a, b, g = _tree(t)
    assert calls.contexts_count(t, ContextsCountArgs(memory_space_id="s1")) == 3
    assert calls.contexts_count(t, ContextsCountArgs(status="blocked")) == 1
    assert calls.contexts_count(t, ContextsCountArgs(user_id="u2")) == 1
    newest = calls.contexts_list(t, ContextsListArgs())
    assert [c["purpose"] for c in newest] == ["g", "b", "a", "root"]
    assert [c["purpose"] for c in calls.contexts_list(t, ContextsListArgs(depth=1))] == ["b", "a"]
    assert [
        c["purpose"] for c in calls.contexts_list(t, ContextsListArgs(parent_id=a["contextId"]))
    ] == ["g"]
    space = calls.contexts_search(t, ContextsSearchArgs(memory_space_id="s1", status="active"))
    assert [c["purpose"] for c in space] == ["root", "g"]
    result = calls.contexts_update_many(
        t,
        ContextsUpdateManyArgs(
            memory_space_id="s1", status="active", updates={"status": "cancelled", "data": {"x": 1}}
        ),
    )
    assert result["updated"] == 2 and set(result["contextIds"]) == {
        _root["contextId"],
        g["contextId"],
    }
    after = _get(t, g["contextId"])
    assert after["status"] == "cancelled" and after["data"] == {"x": 1} and after["version"] == 2
    assert _get(t, b["contextId"])["version"] == 1


def test_export(t: SyncEmbeddedTransport) -> None:
    root, _a, _b, _g = _tree(t)
    out = calls.contexts_export_contexts(
        t,
        ContextsExportContextsArgs(
            format="json", memory_space_id="s1", include_version_history=True
        ),
    )
    items = json.loads(out["data"])
    assert out["count"] == 3 and [i["purpose"] for i in items] == ["root", "a", "g"]
    assert list(items[1]) == [
        "contextId",
        "memorySpaceId",
        "purpose",
        "status",
        "depth",
        "parentId",
        "rootId",
        "createdAt",
        "updatedAt",
        "version",
        "previousVersions",
    ]
    csv = calls.contexts_export_contexts(t, ContextsExportContextsArgs(format="csv", user_id="u1"))
    header, row = csv["data"].split("\n")
    assert (
        header == "contextId,memorySpaceId,purpose,status,depth,parentId,userId,createdAt,updatedAt"
    )
    assert row.startswith(f"{root['contextId']},s1,root,active,0,,u1,") and row.endswith("Z")


def test_purge_all_needs_allow_purge() -> None:
    with SyncEmbeddedTransport(":memory:") as locked:
        _new(locked, "x")
        with pytest.raises(FunctionError) as info:
            calls.contexts_purge_all(locked, ContextsPurgeAllArgs())
        assert info.value.code == "PURGE_DISABLED_IN_PRODUCTION"
        assert calls.contexts_count(locked, ContextsCountArgs()) == 1
    with SyncEmbeddedTransport(":memory:", allow_purge=True) as open_:
        _new(open_, "x")
        _new(open_, "y", tenant_id="t")
        assert calls.contexts_purge_all(open_, ContextsPurgeAllArgs()) == {"deleted": 2}


def test_bad_arguments_write_nothing(t: SyncEmbeddedTransport) -> None:
    create = path_of(ContextsCreateArgs)
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", create, {"memorySpaceId": "s"})
    assert info.value.field == "purpose"
    with pytest.raises(BackendValidationError):
        t.call("mutation", create, {"purpose": "p", "memorySpaceId": "s", "status": "paused"})
    with pytest.raises(BackendValidationError):
        t.call("mutation", create, {"purpose": "p", "memorySpaceId": "s", "conversationRef": {}})
    with pytest.raises(BackendValidationError):
        t.call("mutation", create, {"purpose": 1, "memorySpaceId": "s"})
    assert calls.contexts_count(t, ContextsCountArgs()) == 0


def test_public_sdk_namespace_round_trip() -> None:
    from cortex import CortexConfig, SyncCortex

    client = SyncCortex(CortexConfig(local_path=":memory:"))
    try:
        root = client.contexts.create({"purpose": "p", "memorySpaceId": "s"})
        child = client.contexts.create(
            {"purpose": "c", "memorySpaceId": "s", "parentId": root.context_id}
        )
        assert child.root_id == root.context_id and child.depth == 1
        assert [c.context_id for c in client.contexts.list()] == [child.context_id, root.context_id]
        assert client.contexts.count() == 2
    finally:
        client.close()
