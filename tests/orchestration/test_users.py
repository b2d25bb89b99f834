"""``cortex.users`` orchestration on the embedded backend (async, sync) and over HTTP against ``cortex serve``.

The GDPR cascade is exercised phase by phase: collection (``collect``, dry run), deletion with verification, and a
deletion that fails for real in the middle (a context the user owns has a child owned by someone else, so the
backend refuses to delete it) and is rolled back from the backup.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from cortex import Cortex, CortexConfig, SyncCortex, ValidationError
from cortex.errors import CascadeDeletionError, CortexError

from .people_support import EMPTY, IdThief, seed_user, seed_user_sync, snapshot, snapshot_sync
from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

SPACE = "space-users"


# -- profiles --------------------------------------------------------------------------------------------------


async def test_update_merges_deeply_and_versions() -> None:
    async with embedded() as client:
        first = await client.users.update(
            "alex", {"displayName": "Alex", "prefs": {"theme": "dark"}}
        )
        assert (first.id, first.version, first.data) == (
            "alex",
            1,
            {"displayName": "Alex", "prefs": {"theme": "dark"}},
        )
        second = await client.users.update("alex", {"prefs": {"lang": "en"}, "tags": ["a"]})
        assert second.version == 2
        assert second.data == {
            "displayName": "Alex",
            "prefs": {"theme": "dark", "lang": "en"},
            "tags": ["a"],
        }
        third = await client.users.merge("alex", {"prefs": {"theme": "light"}, "tags": ["b"]})
        assert third.data == {
            "displayName": "Alex",
            "prefs": {"theme": "light", "lang": "en"},
            "tags": ["b"],
        }
        got = await client.users.get("alex")
        assert got is not None and got.version == 3 and got.data == third.data
        assert [v.version for v in await client.users.get_history("alex")] == [1, 2, 3]


async def test_get_exists_and_get_or_create() -> None:
    async with embedded() as client:
        assert await client.users.get("nobody") is None
        assert await client.users.exists("nobody") is False
        created = await client.users.get_or_create("nobody", {"displayName": "Guest"})
        assert created.data == {"displayName": "Guest"} and created.version == 1
        again = await client.users.get_or_create("nobody", {"displayName": "Other"})
        assert again.data == {"displayName": "Guest"} and again.version == 1
        assert await client.users.exists("nobody") is True
        empty = await client.users.get_or_create("blank")
        assert empty.data == {}
        merged = await client.users.merge("fresh", {"a": {"b": 1}})
        assert merged.data == {"a": {"b": 1}} and merged.version == 1


async def test_versions_and_timestamps() -> None:
    async with embedded() as client:
        v1 = await client.users.update("tim", {"n": 1})
        await asyncio.sleep(0.005)  # the two versions get distinct millisecond timestamps
        v2 = await client.users.update("tim", {"n": 2})
        one = await client.users.get_version("tim", 1)
        assert one is not None and one.data == {"n": 1} and one.version == 1
        two = await client.users.get_version("tim", 2)
        assert two is not None and two.data == {"n": 2}
        assert await client.users.get_version("tim", 3) is None
        at = await client.users.get_at_timestamp("tim", v2.updated_at)
        assert at is not None and at.version == 2
        as_dt = datetime.fromtimestamp(v1.created_at / 1000, tz=timezone.utc)
        early = await client.users.get_at_timestamp("tim", as_dt)
        assert early is not None and early.version == 1
        assert await client.users.get_at_timestamp("tim", 1) is None


async def test_tenant_isolation_of_profiles() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        mine = await t1.users.update("tenant-user", {"x": 1})
        assert mine.tenant_id == "t1"
        assert await t1.users.get("tenant-user") is not None
        assert await t2.users.get("tenant-user") is None
        assert await t2.users.exists("tenant-user") is False


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda u: u.get(""), "INVALID_USER_ID_FORMAT"),
        (lambda u: u.get(None), "MISSING_USER_ID"),
        (lambda u: u.get(5), "INVALID_USER_ID_FORMAT"),
        (lambda u: u.update("x", None), "MISSING_DATA"),
        (lambda u: u.update("x", [1]), "INVALID_DATA_TYPE"),
        (lambda u: u.merge("x", "text"), "INVALID_DATA_TYPE"),
        (lambda u: u.get_or_create("x", [1]), "INVALID_DATA_TYPE"),
        (lambda u: u.get_version("x", 0), "INVALID_VERSION_RANGE"),
        (lambda u: u.get_version("x", 1.5), "INVALID_VERSION_NUMBER"),
        (lambda u: u.get_at_timestamp("x", -5), "INVALID_TIMESTAMP"),
        (lambda u: u.list({"limit": 0}), "INVALID_LIMIT"),
        (lambda u: u.list({"limit": 1001}), "INVALID_LIMIT"),
        (lambda u: u.list({"offset": -1}), "INVALID_OFFSET"),
        (lambda u: u.list({"createdAfter": 10, "createdBefore": 5}), "INVALID_DATE_RANGE"),
        (lambda u: u.search({"displayName": "x" * 201}), "INVALID_DISPLAY_NAME_FILTER"),
        (lambda u: u.search({"email": "x" * 255}), "INVALID_EMAIL_FILTER"),
        (lambda u: u.export(), "MISSING_REQUIRED_PARAMETER"),
        (lambda u: u.export({"format": "xml"}), "INVALID_EXPORT_FORMAT"),
        (lambda u: u.update_many(["a"], {}), "MISSING_DATA"),
        (lambda u: u.update_many([], {"data": {}}), "EMPTY_USER_IDS_ARRAY"),
        (lambda u: u.update_many(["a", "a"], {"data": {}}), "INVALID_DATA_TYPE"),
        (
            lambda u: u.update_many([f"u{i}" for i in range(101)], {"data": {}}),
            "USER_ID_ARRAY_TOO_LARGE",
        ),
        (lambda u: u.update_many(["a", ""], {"data": {}}), "INVALID_USER_ID_FORMAT"),
        (lambda u: u.update_many(["a"], {"data": {}}, {"dryRun": "yes"}), "INVALID_DATA_TYPE"),
        (lambda u: u.delete_many(["a"], {"cascade": 1}), "INVALID_DATA_TYPE"),
        (lambda u: u.delete("x", {"cascade": "yes"}), "INVALID_DELETE_OPTIONS"),
        (lambda u: u.delete("x", {"verify": "no"}), "INVALID_DELETE_OPTIONS"),
        (lambda u: u.delete(" "), "INVALID_USER_ID_FORMAT"),
    ],
)
async def test_bad_input_raises_before_sending(call: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await call(client.users)
        assert info.value.code == code
        assert client.transport.paths == []


# -- list, search, export ------------------------------------------------------------------------------------


async def _three_users(client: Any) -> None:
    """Three profiles, created in this order at distinct milliseconds."""
    await client.users.update("u-ann", {"displayName": "Ann Smith", "email": "ann@corp.example"})
    await asyncio.sleep(0.005)
    await client.users.update("u-bob", {"displayName": "Bob", "email": "bob@home.example"})
    await asyncio.sleep(0.005)
    await client.users.update("u-cid", {"displayName": "Annabel", "email": "cid@corp.example"})


async def test_list_filters_pages_and_sorts() -> None:
    async with embedded() as client:
        await _three_users(client)
        everyone = await client.users.list()
        assert (everyone.total, everyone.limit, everyone.offset, everyone.has_more) == (
            3,
            50,
            0,
            False,
        )
        assert {u.id for u in everyone.users} == {"u-ann", "u-bob", "u-cid"}
        page = await client.users.list({"limit": 2, "sortBy": "createdAt", "sortOrder": "asc"})
        assert (
            [u.id for u in page.users] == ["u-ann", "u-bob"] and page.has_more and page.limit == 2
        )
        rest = await client.users.list(
            {"limit": 2, "offset": 2, "sortBy": "createdAt", "sortOrder": "asc"}
        )
        assert [u.id for u in rest.users] == ["u-cid"] and not rest.has_more and rest.offset == 2
        named = await client.users.list({"displayName": "ANN"})
        assert sorted(u.id for u in named.users) == ["u-ann", "u-cid"]
        corp = await client.users.search({"email": "corp", "displayName": "smith"})
        assert [u.id for u in corp] == ["u-ann"]
        assert await client.users.search({"displayName": "nobody"}) == []
        assert await client.users.count() == 3


async def test_export_json_and_csv() -> None:
    async with embedded() as client:
        await _three_users(client)
        await client.users.update("u-bob", {"age": 40})
        await seed_user(client, "u-ann", SPACE)
        data = json.loads(
            await client.users.export({"format": "json", "filters": {"displayName": "bob"}})
        )
        assert [(u["id"], u["version"], u["data"]["age"]) for u in data] == [("u-bob", 2, 40)]
        assert "versionHistory" not in data[0]
        full = json.loads(
            await client.users.export(
                {
                    "format": "json",
                    "filters": {"email": "ann@"},
                    "includeVersionHistory": True,
                    "includeConversations": True,
                    "includeMemories": True,
                }
            )
        )
        (ann,) = full
        assert [v["version"] for v in ann["versionHistory"]] == [1, 2]
        assert [len(c["messages"]) for c in ann["conversations"]] == [2]
        assert sorted(m["content"] for m in ann["memories"]) == ["likes tea", "lives in Lyon"]
        text = await client.users.export({"format": "csv", "includeVersionHistory": True})
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["id", "version", "createdAt", "updatedAt", "data", "versionHistoryCount"]
        by_id = {r[0]: r for r in rows[1:]}
        assert set(by_id) == {"u-ann", "u-bob", "u-cid"}
        assert by_id["u-bob"][1] == "2" and by_id["u-bob"][5] == "2"
        assert by_id["u-bob"][2].endswith("Z") and "T" in by_id["u-bob"][2]


# -- bulk ------------------------------------------------------------------------------------------------------


async def test_update_many_by_ids_filters_and_dry_run() -> None:
    async with embedded() as client:
        await _three_users(client)
        preview = await client.users.update_many(
            {"displayName": "ann"}, {"data": {"vip": True}}, {"dryRun": True}
        )
        assert sorted(preview.user_ids) == ["u-ann", "u-cid"] and preview.updated == 0
        assert "vip" not in (await client.users.get("u-ann")).data  # type: ignore[union-attr]
        done = await client.users.update_many({"displayName": "ann"}, {"data": {"vip": True}})
        assert sorted(done.user_ids) == ["u-ann", "u-cid"] and done.updated == 2
        assert (await client.users.get("u-cid")).data["vip"] is True  # type: ignore[union-attr]
        by_ids = await client.users.update_many(["u-bob", "u-missing"], {"data": {"tier": "gold"}})
        assert by_ids.user_ids == ["u-bob"] and by_ids.updated == 1
        assert await client.users.get("u-missing") is None
        bob = await client.users.get("u-bob")
        assert bob is not None and bob.data["tier"] == "gold" and bob.data["displayName"] == "Bob"


async def test_delete_many_by_ids_filters_and_cascade() -> None:
    async with embedded() as client:
        await _three_users(client)
        await seed_user(client, "u-bob", SPACE)
        preview = await client.users.delete_many({"email": "corp"}, {"dryRun": True})
        assert sorted(preview.user_ids) == ["u-ann", "u-cid"] and preview.deleted == 0
        assert await client.users.count() == 3
        gone = await client.users.delete_many({"email": "corp"})
        assert sorted(gone.user_ids) == ["u-ann", "u-cid"] and gone.deleted == 2
        assert await client.users.count() == 1
        # the cascade removes bob's data too (a cascade over a user without records deletes nothing, quietly)
        result = await client.users.delete_many(["u-bob", "u-ghost"], {"cascade": True})
        assert result.user_ids == ["u-bob", "u-ghost"] and result.deleted == 2
        assert await snapshot(client, "u-bob", SPACE) == EMPTY
        # a plain delete of a missing profile fails, and the user is left out
        missing = await client.users.delete_many(["u-ghost", "u-gone"])
        assert missing.user_ids == [] and missing.deleted == 0


# -- delete and the cascade ------------------------------------------------------------------------------------


async def test_plain_delete_removes_only_the_profile() -> None:
    async with embedded() as client:
        await seed_user(client, "plain", SPACE)
        preview = await client.users.delete("plain", {"dryRun": True})
        assert preview.total_deleted == 0 and preview.deleted_layers == []
        assert await client.users.exists("plain")
        result = await client.users.delete("plain")
        assert result.total_deleted == 1 and result.deleted_layers == ["user-profile"]
        assert result.verification.complete is True
        left = await snapshot(client, "plain", SPACE)
        assert left["profile"] is None
        assert left["memories"] == ["likes tea", "lives in Lyon"] and left["mutable"] == "dark"
        with pytest.raises(CortexError):
            await client.users.delete("plain")


async def test_cascade_phase_one_collects_every_layer() -> None:
    async with embedded() as client:
        ids = await seed_user(client, "gdpr", SPACE)
        await seed_user(client, "bystander", SPACE)
        plan = await client.users.collect("gdpr")
        assert [c["conversationId"] for c in plan.layers["conversations"]] == [ids["conversation"]]
        assert [len(c["messages"]) for c in plan.layers["conversations"]] == [2]
        assert sorted(m["content"] for m in plan.layers["memories"]) == [
            "likes tea",
            "lives in Lyon",
        ]
        assert [f["factId"] for f in plan.layers["facts"]] == [ids["fact"]]
        assert [s["sessionId"] for s in plan.layers["sessions"]] == [ids["session"]]
        assert [c["contextId"] for c in plan.layers["contexts"]] == [ids["context"]]
        assert [(r["type"], r["id"]) for r in plan.layers["immutable"]] == [("note", "note-gdpr")]
        assert [(r["namespace"], r["key"]) for r in plan.layers["mutable"]] == [
            ("user-preferences", "theme-gdpr")
        ]
        assert [p["id"] for p in plan.layers["user-profile"]] == ["gdpr"]
        assert SPACE in plan.spaces
        # a backup is a deep copy, independent of the plan
        backup = plan.backup()
        backup.layers["memories"][0]["content"] = "changed"
        assert plan.layers["memories"][0]["content"] != "changed"


async def test_cascade_dry_run_reports_and_keeps_everything() -> None:
    async with embedded() as client:
        await seed_user(client, "dry", SPACE)
        before = await snapshot(client, "dry", SPACE)
        result = await client.users.delete("dry", {"cascade": True, "dryRun": True})
        assert result.total_deleted == 9
        assert (result.conversations_deleted, result.conversation_messages_deleted) == (1, 2)
        assert (result.vector_memories_deleted, result.facts_deleted) == (2, 1)
        assert (result.immutable_records_deleted, result.mutable_keys_deleted) == (1, 1)
        assert result.verification.issues == ["DRY RUN: Would delete 9 total records"]
        assert "vector" in result.deleted_layers and "user-profile" in result.deleted_layers
        assert await snapshot(client, "dry", SPACE) == before


async def test_cascade_deletes_every_layer_and_verifies() -> None:
    async with embedded() as client:
        await seed_user(client, "gdpr", SPACE)
        await seed_user(client, "bystander", SPACE)
        other = await snapshot(client, "bystander", SPACE)
        result = await client.users.delete("gdpr", {"cascade": True})
        assert result.user_id == "gdpr"
        assert result.total_deleted == 9
        assert result.conversations_deleted == 1 and result.conversation_messages_deleted == 2
        assert result.vector_memories_deleted == 2 and result.facts_deleted == 1
        assert result.immutable_records_deleted == 1 and result.mutable_keys_deleted == 1
        assert result.model_extra == {"sessionsDeleted": 1, "contextsDeleted": 1}
        assert result.deleted_layers == [
            "vector",
            "facts",
            "mutable",
            "immutable",
            "sessions",
            "conversations",
            "contexts",
            "user-profile",
        ]
        assert result.verification.complete is True and result.verification.issues == []
        assert await snapshot(client, "gdpr", SPACE) == EMPTY
        assert await snapshot(client, "bystander", SPACE) == other
        assert await client.users.remaining("gdpr", [SPACE]) == []


async def test_cascade_without_verify_reports_unverified() -> None:
    async with embedded() as client:
        await seed_user(client, "quick", SPACE)
        result = await client.users.delete("quick", {"cascade": True, "verify": False})
        assert result.total_deleted == 9
        assert result.verification.complete is False and result.verification.issues == []
        assert await snapshot(client, "quick", SPACE) == EMPTY


async def test_verification_names_what_remains() -> None:
    async with embedded() as client:
        await seed_user(client, "rest", SPACE)
        issues = await client.users.remaining("rest", [SPACE])
        assert "2 memories still reference userId" in issues
        assert "1 conversations still reference userId" in issues
        assert "User profile still exists" in issues


async def test_cascade_failure_in_the_middle_is_rolled_back() -> None:
    async with embedded() as client:
        ids = await seed_user(client, "victim", SPACE)
        # someone else's context hangs below the user's: the backend refuses to delete the user's context
        foreign = await client.contexts.create(
            {
                "purpose": "their sub-task",
                "memorySpaceId": SPACE,
                "userId": "someone-else",
                "parentId": ids["context"],
            }
        )
        before = await snapshot(client, "victim", SPACE)
        with pytest.raises(CascadeDeletionError) as info:
            await client.users.delete("victim", {"cascade": True})
        err = info.value
        assert err.code == "CASCADE_DELETION_FAILED"
        assert (err.owner_id, err.layer, err.record_id) == ("victim", "contexts", ids["context"])
        assert getattr(err.cause, "code", None) == "HAS_CHILDREN"
        assert err.rollback_errors == []
        assert "contexts" in str(err) and "restored" in str(err)
        # memories, facts, mutable, immutable, sessions and conversations had been deleted: all are back,
        # conversations with their ids and message ids
        assert await snapshot(client, "victim", SPACE) == before
        assert (await client.conversations.get(ids["conversation"])) is not None
        child = await client.contexts.get(foreign.context_id)
        assert child is not None and child.parent_id == ids["context"]
        # once the foreign child is gone the cascade succeeds
        await client.contexts.delete(foreign.context_id)
        done = await client.users.delete("victim", {"cascade": True})
        assert done.verification.complete is True
        assert await snapshot(client, "victim", SPACE) == EMPTY


async def test_cascade_rollback_restores_child_contexts_under_their_parent() -> None:
    async with embedded() as client:
        ids = await seed_user(client, "tree", SPACE)
        mine = await client.contexts.create(
            {
                "purpose": "my sub-task",
                "memorySpaceId": SPACE,
                "userId": "tree",
                "parentId": ids["context"],
            }
        )
        await client.contexts.create(
            {
                "purpose": "foreign leaf",
                "memorySpaceId": SPACE,
                "userId": "stranger",
                "parentId": ids["context"],
            }
        )
        with pytest.raises(CascadeDeletionError) as info:
            await client.users.delete("tree", {"cascade": True})
        assert info.value.record_id == ids["context"]
        # the user's own child was deleted first (deepest first), then restored under the surviving parent
        assert await client.contexts.get(mine.context_id) is None
        mine_now = [
            c for c in await client.contexts.list({"userId": "tree"}) if c.purpose == "my sub-task"
        ]
        assert len(mine_now) == 1 and mine_now[0].parent_id == ids["context"]


# -- sync ------------------------------------------------------------------------------------------------------


def test_sync_profiles_and_bulk() -> None:
    with embedded_sync() as client:
        client.users.update("s1", {"displayName": "Sam", "prefs": {"a": 1}})
        assert client.users.merge("s1", {"prefs": {"b": 2}}).data == {
            "displayName": "Sam",
            "prefs": {"a": 1, "b": 2},
        }
        assert client.users.get_or_create("s2", {"displayName": "Sue"}).version == 1
        assert client.users.exists("s2")
        assert client.users.get_version("s1", 1).data == {"displayName": "Sam", "prefs": {"a": 1}}  # type: ignore[union-attr]
        assert [u.id for u in client.users.search({"displayName": "su"})] == ["s2"]
        assert client.users.list({"limit": 1}).has_more is True
        assert client.users.update_many(["s1", "s2"], {"data": {"x": 1}}).updated == 2
        assert json.loads(client.users.export({"format": "json"}))[0]["data"]["x"] == 1
        assert client.users.delete_many({"displayName": "s"}).deleted == 2
        with pytest.raises(ValidationError) as info:
            client.users.get_version("s1", -1)
        assert info.value.code == "INVALID_VERSION_RANGE"


def test_sync_cascade_and_rollback() -> None:
    with embedded_sync() as client:
        ids = seed_user_sync(client, "sync-user", SPACE)
        blocker = client.contexts.create(
            {
                "purpose": "blocker",
                "memorySpaceId": SPACE,
                "userId": "x",
                "parentId": ids["context"],
            }
        )
        before = snapshot_sync(client, "sync-user", SPACE)
        with pytest.raises(CascadeDeletionError) as info:
            client.users.delete("sync-user", {"cascade": True})
        assert info.value.layer == "contexts"
        assert snapshot_sync(client, "sync-user", SPACE) == before
        client.contexts.delete(blocker.context_id)
        assert (
            client.users.delete("sync-user", {"cascade": True, "dryRun": True}).total_deleted == 9
        )
        result = client.users.delete("sync-user", {"cascade": True})
        assert result.total_deleted == 9 and result.verification.complete
        assert snapshot_sync(client, "sync-user", SPACE) == EMPTY


# -- over HTTP -------------------------------------------------------------------------------------------------


async def test_over_http_async_cascade() -> None:
    user, space = unique("http-gdpr"), unique("http-space")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        await seed_user(client, user, space)
        assert (await client.users.merge(user, {"extra": {"k": 1}})).version == 2
        result = await client.users.delete(user, {"cascade": True})
        assert result.total_deleted == 9 and result.verification.complete is True
        assert await snapshot(client, user, space) == EMPTY


def test_over_http_sync_rollback() -> None:
    user, space = unique("http-sync"), unique("http-space")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        ids = seed_user_sync(client, user, space)
        client.contexts.create(
            {"purpose": "b", "memorySpaceId": space, "userId": "x", "parentId": ids["context"]}
        )
        before = snapshot_sync(client, user, space)
        with pytest.raises(CascadeDeletionError):
            client.users.delete(user, {"cascade": True})
        assert snapshot_sync(client, user, space) == before


async def test_cascade_reaches_agent_to_agent_memories_about_the_user() -> None:
    async with embedded() as client:
        await client.agents.register({"id": "a2a-sender", "name": "Sender"})
        await client.agents.register({"id": "a2a-receiver", "name": "Receiver"})
        await client.users.update("a2a-user", {"displayName": "Subject"})
        await client.a2a.send(
            {
                "from": "a2a-sender",
                "to": "a2a-receiver",
                "message": "the user asked for a refund",
                "userId": "a2a-user",
            }
        )
        await client.a2a.send(
            {"from": "a2a-sender", "to": "a2a-receiver", "message": "unrelated chatter"}
        )
        plan = await client.users.collect("a2a-user")
        assert sorted(m["memorySpaceId"] for m in plan.layers["memories"]) == [
            "a2a-receiver",
            "a2a-sender",
        ]
        result = await client.users.delete("a2a-user", {"cascade": True})
        assert result.vector_memories_deleted == 2 and result.verification.complete is True
        for space in ("a2a-sender", "a2a-receiver"):
            left = await client.vector.list({"memorySpaceId": space})
            assert len(left) == 1 and left[0].content.endswith("unrelated chatter")


async def test_cascade_of_a_tenant_client_stays_in_its_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "tenant-1"), tenant_of(client, "tenant-2")
        for tenant_client in (t1, t2):
            await tenant_client.users.update("shared-id", {"displayName": "same id"})
            await tenant_client.sessions.create({"userId": "shared-id"})
            await tenant_client.conversations.create(
                {
                    "memorySpaceId": SPACE,
                    "type": "user-agent",
                    "participants": {"userId": "shared-id", "agentId": "ag"},
                }
            )
        result = await t1.users.delete("shared-id", {"cascade": True})
        assert (result.conversations_deleted, result.model_extra["sessionsDeleted"]) == (1, 1)
        assert result.verification.complete is True
        assert await t1.users.get("shared-id") is None
        assert (await t2.users.get("shared-id")) is not None
        assert len(await t2.sessions.list({"userId": "shared-id"})) == 1
        assert (await t2.conversations.list({"userId": "shared-id"})).total == 1


async def test_cascade_reports_what_the_rollback_could_not_restore() -> None:
    base = Cortex(CortexConfig(local_path=":memory:"))
    try:
        ids = await seed_user(base, "unlucky", SPACE)
        await base.contexts.create(
            {
                "purpose": "blocker",
                "memorySpaceId": SPACE,
                "userId": "other",
                "parentId": ids["context"],
            }
        )
        client = Cortex(CortexConfig(), transport=IdThief(base.transport, ids["conversation"]))  # type: ignore[arg-type]
        with pytest.raises(CascadeDeletionError) as info:
            await client.users.delete("unlucky", {"cascade": True})
        err = info.value
        assert err.layer == "contexts"
        assert len(err.rollback_errors) == 1
        assert err.rollback_errors[0].startswith(f"conversations {ids['conversation']}:")
        assert "CONVERSATION_ALREADY_EXISTS" in err.rollback_errors[0]
        assert "restore incomplete" in str(err)
        # everything else was restored
        left = await snapshot(base, "unlucky", SPACE)
        assert left["conversations"] == []
        assert left["memories"] == ["likes tea", "lives in Lyon"] and left["facts"] == [
            "unlucky prefers tea"
        ]
        assert left["mutable"] == "dark" and left["immutable"] == {"text": "private"}
        assert left["profile"] is not None and len(left["sessions"]) == 1
    finally:
        await base.close()


async def test_cascade_covers_several_spaces() -> None:
    async with embedded() as client:
        await seed_user(client, "roamer", SPACE)
        await seed_user(client, "roamer", "space-two")
        result = await client.users.delete("roamer", {"cascade": True})
        assert (result.conversations_deleted, result.conversation_messages_deleted) == (2, 4)
        assert (result.vector_memories_deleted, result.facts_deleted) == (4, 2)
        assert result.total_deleted == 15 and result.verification.complete is True
        assert await snapshot(client, "roamer", SPACE) == EMPTY
        assert await snapshot(client, "roamer", "space-two") == EMPTY
