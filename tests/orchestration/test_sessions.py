"""``sessions.get``, ``get_active``, ``get_or_create`` and ``end`` on the embedded backend (async, sync, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, CortexError, FunctionError, SyncCortex, ValidationError
from cortex._async.sessions import PAGE
from cortex.types import SessionMetadata

from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

BAD_SESSION_IDS = [
    ("", "EMPTY_SESSION_ID"),
    ("   ", "EMPTY_SESSION_ID"),
    (42, "INVALID_SESSION_ID"),
    ("s" * 257, "SESSION_ID_TOO_LONG"),
]
BAD_USER_IDS = [
    ("", "EMPTY_USER_ID"),
    (None, "EMPTY_USER_ID"),
    (7, "INVALID_USER_ID"),
    ("u" * 257, "USER_ID_TOO_LONG"),
]


# -- get -------------------------------------------------------------------------------------------------------


async def test_get_returns_the_session_or_none() -> None:
    async with embedded() as client:
        created = await client.sessions.create({"userId": "alice", "metadata": {"device": "phone"}})
        found = await client.sessions.get(created.session_id)
        assert found is not None
        assert found.session_id == created.session_id
        assert found.user_id == "alice"
        assert found.status == "active"
        assert found.metadata is not None and found.metadata.device == "phone"
        assert await client.sessions.get("sess-missing") is None


async def test_get_hides_sessions_of_another_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        mine = await t1.sessions.create({"userId": "alice"})
        assert mine.tenant_id == "t1"
        assert (await t1.sessions.get(mine.session_id)) is not None
        assert await t2.sessions.get(mine.session_id) is None
        # no tenant in the auth context: no isolation (as upstream)
        assert (await client.sessions.get(mine.session_id)) is not None
        # a legacy session without a tenant is visible to every tenant
        legacy = await client.sessions.create({"userId": "bob"})
        assert (await t2.sessions.get(legacy.session_id)) is not None


@pytest.mark.parametrize(("bad", "code"), BAD_SESSION_IDS)
async def test_get_rejects_bad_ids_before_sending(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.sessions.get(bad)
        assert info.value.code == code
        assert info.value.field == "sessionId"
        assert client.transport.paths == []


# -- get_active -----------------------------------------------------------------------------------------------


async def test_get_active_lists_only_active_sessions_of_the_user() -> None:
    async with embedded() as client:
        a = await client.sessions.create({"userId": "alice"})
        b = await client.sessions.create({"userId": "alice"})
        ended = await client.sessions.create({"userId": "alice"})
        await client.sessions.create({"userId": "bob"})
        await client.sessions.end(ended.session_id)
        active = await client.sessions.get_active("alice")
        assert sorted(s.session_id for s in active) == sorted([a.session_id, b.session_id])
        assert all(s.status == "active" for s in active)
        assert await client.sessions.get_active("nobody") == []


async def test_get_active_is_scoped_to_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        live = await t1.sessions.create({"userId": "alice"})
        done = await t1.sessions.create({"userId": "alice"})
        other = await t2.sessions.create({"userId": "alice"})
        await t1.sessions.end(done.session_id)
        assert [s.session_id for s in await t1.sessions.get_active("alice")] == [live.session_id]
        assert [s.session_id for s in await t2.sessions.get_active("alice")] == [other.session_id]


async def test_get_active_reads_every_page() -> None:
    async with embedded() as client:
        ids = {
            (await client.sessions.create({"userId": "busy"})).session_id for _ in range(PAGE + 3)
        }
        active = await client.sessions.get_active("busy")
        assert len(active) == PAGE + 3
        assert {s.session_id for s in active} == ids
        assert client.transport.paths.count("sessions:list") == 2


@pytest.mark.parametrize(("bad", "code"), BAD_USER_IDS)
async def test_get_active_rejects_bad_user_ids(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.sessions.get_active(bad)
        assert info.value.code == code
        assert client.transport.paths == []


# -- get_or_create ---------------------------------------------------------------------------------------------


async def test_get_or_create_creates_then_reuses() -> None:
    async with embedded() as client:
        first = await client.sessions.get_or_create("alice", {"device": "laptop", "custom": 1})
        assert first.status == "active"
        assert first.metadata is not None and first.metadata.device == "laptop"
        assert first.metadata.model_extra == {"custom": 1}
        again = await client.sessions.get_or_create("alice", {"device": "ignored"})
        assert again.session_id == first.session_id
        assert await client.sessions.count({"userId": "alice"}) == 1


async def test_get_or_create_accepts_a_metadata_model() -> None:
    async with embedded() as client:
        made = await client.sessions.get_or_create("alice", SessionMetadata(browser="Firefox"))
        assert made.metadata is not None and made.metadata.browser == "Firefox"


async def test_get_or_create_returns_the_most_recently_active_session() -> None:
    async with embedded() as client:
        older = await client.sessions.create({"userId": "alice"})
        newer = await client.sessions.create({"userId": "alice"})
        await client.sessions.touch(older.session_id)
        assert (await client.sessions.get_or_create("alice")).session_id == older.session_id
        await client.sessions.touch(newer.session_id)
        assert (await client.sessions.get_or_create("alice")).session_id == newer.session_id


async def test_get_or_create_ignores_ended_sessions() -> None:
    async with embedded() as client:
        old = await client.sessions.get_or_create("alice")
        await client.sessions.end(old.session_id)
        fresh = await client.sessions.get_or_create("alice")
        assert fresh.session_id != old.session_id
        assert fresh.status == "active"


async def test_get_or_create_uses_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        mine = await t1.sessions.get_or_create("alice")
        assert mine.tenant_id == "t1"
        theirs = await t2.sessions.get_or_create("alice")
        assert theirs.tenant_id == "t2"
        assert theirs.session_id != mine.session_id
        assert (await t1.sessions.get_or_create("alice")).session_id == mine.session_id


@pytest.mark.parametrize(("bad", "code"), BAD_USER_IDS)
async def test_get_or_create_rejects_bad_user_ids(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.sessions.get_or_create(bad)
        assert info.value.code == code
        assert client.transport.paths == []


async def test_get_or_create_rejects_bad_metadata() -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.sessions.get_or_create("alice", ["not", "a", "dict"])  # type: ignore[arg-type]
        assert info.value.code == "INVALID_METADATA"
        assert client.transport.paths == []


# -- end -------------------------------------------------------------------------------------------------------


async def test_end_marks_the_session_ended() -> None:
    async with embedded() as client:
        s = await client.sessions.create({"userId": "alice"})
        assert await client.sessions.end(s.session_id) is None
        ended = await client.sessions.get(s.session_id)
        assert ended is not None
        assert ended.status == "ended"
        assert ended.ended_at is not None and ended.ended_at >= s.started_at


async def test_end_of_a_missing_session_fails_in_the_backend() -> None:
    async with embedded() as client:
        with pytest.raises(FunctionError) as info:
            await client.sessions.end("sess-missing")
        assert "Session not found" in str(info.value)


async def test_end_cannot_touch_another_tenants_session() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        s = await t1.sessions.create({"userId": "alice"})
        client.transport.paths.clear()
        with pytest.raises(CortexError) as info:
            await t2.sessions.end(s.session_id)
        assert info.value.code == "SESSION_NOT_FOUND"
        assert client.transport.paths == ["sessions:get"]
        still = await t1.sessions.get(s.session_id)
        assert still is not None and still.status == "active"
        await t1.sessions.end(s.session_id)
        done = await t1.sessions.get(s.session_id)
        assert done is not None and done.status == "ended"


@pytest.mark.parametrize(("bad", "code"), BAD_SESSION_IDS)
async def test_end_rejects_bad_ids(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.sessions.end(bad)
        assert info.value.code == code
        assert client.transport.paths == []


# -- sync client -----------------------------------------------------------------------------------------------


def test_sync_lifecycle() -> None:
    with embedded_sync() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        s = t1.sessions.get_or_create("alice", {"device": "desk"})
        assert t1.sessions.get_or_create("alice").session_id == s.session_id
        assert [x.session_id for x in t1.sessions.get_active("alice")] == [s.session_id]
        assert t2.sessions.get(s.session_id) is None
        with pytest.raises(CortexError) as info:
            t2.sessions.end(s.session_id)
        assert info.value.code == "SESSION_NOT_FOUND"
        t1.sessions.end(s.session_id)
        got = t1.sessions.get(s.session_id)
        assert got is not None and got.status == "ended"
        assert t1.sessions.get_active("alice") == []
        assert t1.sessions.get_or_create("alice").session_id != s.session_id


def test_sync_validation() -> None:
    with embedded_sync() as client:
        for call in (
            lambda: client.sessions.get(""),
            lambda: client.sessions.end(" "),
            lambda: client.sessions.get_active(""),
            lambda: client.sessions.get_or_create(""),
        ):
            with pytest.raises(ValidationError):
                call()
        assert client.transport.paths == []


# -- real HTTP (cortex serve) ----------------------------------------------------------------------------------


async def test_over_http_async() -> None:
    user = unique("http-user")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        s = await client.sessions.get_or_create(user, {"device": "web"})
        assert (await client.sessions.get_or_create(user)).session_id == s.session_id
        assert [x.session_id for x in await client.sessions.get_active(user)] == [s.session_id]
        await client.sessions.end(s.session_id)
        got = await client.sessions.get(s.session_id)
        assert got is not None and got.status == "ended"
        assert await client.sessions.get_active(user) == []


def test_over_http_sync_tenant_isolation() -> None:
    user = unique("http-user")
    url = served_url()
    with (
        SyncCortex(CortexConfig(convex_url=url, auth={"tenant_id": unique("t")})) as t1,
        SyncCortex(CortexConfig(convex_url=url, auth={"tenant_id": unique("t")})) as t2,
    ):
        s = t1.sessions.get_or_create(user)
        assert t2.sessions.get(s.session_id) is None
        with pytest.raises(CortexError) as info:
            t2.sessions.end(s.session_id)
        assert info.value.code == "SESSION_NOT_FOUND"
        t1.sessions.end(s.session_id)
        assert t1.sessions.get_active(user) == []
