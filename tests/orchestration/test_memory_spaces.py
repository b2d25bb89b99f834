"""``memory_spaces.delete`` (cascade) on the embedded backend (async, sync, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, CortexError, SyncCortex, ValidationError
from cortex.types import DeleteMemorySpaceOptions, DeleteMemorySpaceResult

from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

DELETE = {"cascade": True, "reason": "GDPR request"}

BAD_IDS: list[tuple[Any, str]] = [
    ("", "MISSING_MEMORYSPACE_ID"),
    ("  ", "MISSING_MEMORYSPACE_ID"),
    (None, "MISSING_MEMORYSPACE_ID"),
    ("has space", "INVALID_MEMORYSPACE_ID"),
    ("dots.not.allowed", "INVALID_MEMORYSPACE_ID"),
    ("s" * 129, "INVALID_MEMORYSPACE_ID"),
]
BAD_OPTIONS: list[tuple[Any, str]] = [
    (None, "CASCADE_REQUIRED"),
    ({"reason": "r"}, "CASCADE_REQUIRED"),
    ({"cascade": False, "reason": "r"}, "CASCADE_REQUIRED"),
    ({"cascade": True}, "MISSING_REASON"),
    ({"cascade": True, "reason": "   "}, "MISSING_REASON"),
    ({"cascade": True, "reason": "r", "confirmId": "other-space"}, "CONFIRM_ID_MISMATCH"),
    ({"cascade": True, "reason": "r", "confirm_id": "other-space"}, "CONFIRM_ID_MISMATCH"),
]


async def _populate(client: Any, space: str) -> None:
    # vector.store takes the tenant from its input only (as upstream), not from the auth context
    tenant = client.context.auth.get("tenantId")
    await client.memory_spaces.register({"memorySpaceId": space, "type": "personal", "name": space})
    for n in range(2):
        await client.conversations.create(
            {
                "memorySpaceId": space,
                "type": "user-agent",
                "participants": {"userId": f"user-{n}", "agentId": "bot"},
            }
        )
    for n in range(3):
        await client.vector.store(
            space,
            {
                "content": f"memory {n}",
                "contentType": "raw",
                "tenantId": tenant,
                "source": {"type": "system"},
                "metadata": {"importance": 50, "tags": []},
            },
        )
    await client.facts.store(
        {
            "memorySpaceId": space,
            "fact": "Alice likes tea",
            "factType": "preference",
            "confidence": 90,
            "sourceType": "manual",
        }
    )


async def _counts(client: Any, space: str) -> tuple[float, float, float]:
    return (
        await client.conversations.count({"memorySpaceId": space}),
        await client.vector.count({"memorySpaceId": space}),
        await client.facts.count({"memorySpaceId": space}),
    )


async def test_delete_cascades_over_the_space() -> None:
    async with embedded() as client:
        await _populate(client, "doomed")
        await _populate(client, "kept")
        result = await client.memory_spaces.delete("doomed", {**DELETE, "confirmId": "doomed"})
        assert isinstance(result, DeleteMemorySpaceResult)
        assert result.memory_space_id == "doomed"
        assert result.deleted is True
        assert result.reason == "GDPR request"
        assert result.deleted_at > 0
        cascade = result.cascade
        assert (cascade.conversations_deleted, cascade.memories_deleted, cascade.facts_deleted) == (
            2,
            3,
            1,
        )
        assert await client.memory_spaces.get("doomed") is None
        assert await _counts(client, "doomed") == (0, 0, 0)
        assert await client.memory_spaces.get("kept") is not None
        assert await _counts(client, "kept") == (2, 3, 1)


async def test_delete_of_an_empty_space_with_a_typed_options_model() -> None:
    async with embedded() as client:
        await client.memory_spaces.register({"memorySpaceId": "empty", "type": "team"})
        result = await client.memory_spaces.delete(
            "empty", DeleteMemorySpaceOptions(cascade=True, reason="cleanup")
        )
        assert result.cascade.conversations_deleted == 0
        assert await client.memory_spaces.get("empty") is None


async def test_delete_of_a_missing_space_sends_no_delete() -> None:
    async with embedded() as client:
        with pytest.raises(CortexError) as info:
            await client.memory_spaces.delete("ghost", DELETE)
        assert info.value.code == "MEMORYSPACE_NOT_FOUND"
        assert client.transport.paths == ["memorySpaces:get"]


async def test_delete_is_scoped_to_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        await _populate(t1, "space")
        with pytest.raises(CortexError) as info:
            await t2.memory_spaces.delete("space", DELETE)
        assert info.value.code == "MEMORYSPACE_NOT_FOUND"
        assert await _counts(t1, "space") == (2, 3, 1)
        await _populate(t2, "space")
        result = await t2.memory_spaces.delete("space", DELETE)
        assert result.cascade.memories_deleted == 3
        assert await t2.memory_spaces.get("space") is None
        assert await t1.memory_spaces.get("space") is not None
        assert await _counts(t1, "space") == (2, 3, 1)


@pytest.mark.parametrize(("bad", "code"), BAD_IDS)
async def test_delete_rejects_bad_ids_before_sending(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.memory_spaces.delete(bad, DELETE)
        assert info.value.code == code
        assert client.transport.paths == []


@pytest.mark.parametrize(("options", "code"), BAD_OPTIONS)
async def test_delete_rejects_bad_options_before_sending(options: Any, code: str) -> None:
    async with embedded() as client:
        await client.memory_spaces.register({"memorySpaceId": "space", "type": "team"})
        client.transport.paths.clear()
        with pytest.raises(ValidationError) as info:
            await client.memory_spaces.delete("space", options)
        assert info.value.code == code
        assert client.transport.paths == []
        assert await client.memory_spaces.get("space") is not None


def test_sync_delete() -> None:
    with embedded_sync() as client:
        client.memory_spaces.register({"memorySpaceId": "s1", "type": "project"})
        client.vector.store(
            "s1",
            {
                "content": "x",
                "contentType": "raw",
                "source": {"type": "system"},
                "metadata": {"importance": 50, "tags": []},
            },
        )
        result = client.memory_spaces.delete("s1", {**DELETE, "confirm_id": "s1"})
        assert result.cascade.memories_deleted == 1
        assert client.memory_spaces.get("s1") is None
        assert client.vector.count({"memorySpaceId": "s1"}) == 0
        with pytest.raises(CortexError) as info:
            client.memory_spaces.delete("s1", DELETE)
        assert info.value.code == "MEMORYSPACE_NOT_FOUND"
        with pytest.raises(ValidationError) as vinfo:
            client.memory_spaces.delete("s1", {"cascade": False, "reason": "x"})
        assert vinfo.value.code == "CASCADE_REQUIRED"


async def test_over_http_async() -> None:
    space = unique("http-space")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        await _populate(client, space)
        result = await client.memory_spaces.delete(space, {**DELETE, "confirmId": space})
        assert result.cascade.facts_deleted == 1
        assert result.cascade.conversations_deleted == 2
        assert await _counts(client, space) == (0, 0, 0)


def test_over_http_sync() -> None:
    space = unique("http-space")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        client.memory_spaces.register({"memorySpaceId": space, "type": "custom"})
        assert client.memory_spaces.delete(space, DELETE).memory_space_id == space
        with pytest.raises(CortexError) as info:
            client.memory_spaces.delete(space, DELETE)
        assert info.value.code == "MEMORYSPACE_NOT_FOUND"
