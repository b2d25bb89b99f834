"""``contexts.search`` on the embedded backend (async, sync, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, SyncCortex, ValidationError
from cortex.types import ListContextsFilter

from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

BAD_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"memorySpaceId": ""}, "MISSING_REQUIRED_FIELD"),
    ({"memory_space_id": "  "}, "MISSING_REQUIRED_FIELD"),
    ({"userId": ""}, "MISSING_REQUIRED_FIELD"),
    ({"status": "done"}, "INVALID_STATUS"),
    ({"parentId": "not-a-context"}, "INVALID_CONTEXT_ID_FORMAT"),
    ({"rootId": "ctx-abc-1"}, "INVALID_CONTEXT_ID_FORMAT"),
    ({"depth": -1}, "INVALID_RANGE"),
    ({"limit": 0}, "INVALID_RANGE"),
    ({"limit": 1001}, "INVALID_RANGE"),
]


async def _tree(client: Any, space: str) -> dict[str, Any]:
    root = await client.contexts.create(
        {"purpose": "Handle refund", "memorySpaceId": space, "userId": "alice"}
    )
    child = await client.contexts.create(
        {
            "purpose": "Approve",
            "memorySpaceId": space,
            "parentId": root.context_id,
            "status": "blocked",
        }
    )
    grandchild = await client.contexts.create(
        {"purpose": "Sign", "memorySpaceId": space, "parentId": child.context_id, "userId": "bob"}
    )
    return {"root": root, "child": child, "grandchild": grandchild}


def _ids(contexts: list[Any]) -> set[str]:
    return {c.context_id for c in contexts}


async def test_search_filters_like_list() -> None:
    async with embedded() as client:
        t = await _tree(client, "space-a")
        other = await client.contexts.create({"purpose": "Elsewhere", "memorySpaceId": "space-b"})
        root_id, child_id = t["root"].context_id, t["child"].context_id
        every = _ids([t["root"], t["child"], t["grandchild"]])
        assert _ids(await client.contexts.search()) == every | {other.context_id}
        assert _ids(await client.contexts.search({"memorySpaceId": "space-a"})) == every
        assert _ids(await client.contexts.search({"status": "blocked"})) == {child_id}
        assert _ids(await client.contexts.search({"userId": "bob"})) == {t["grandchild"].context_id}
        assert _ids(await client.contexts.search({"parentId": root_id})) == {child_id}
        assert _ids(await client.contexts.search({"rootId": root_id})) == every
        assert _ids(await client.contexts.search({"depth": 2})) == {t["grandchild"].context_id}
        assert len(await client.contexts.search({"memorySpaceId": "space-a", "limit": 2})) == 2
        typed = ListContextsFilter(memory_space_id="space-b")
        assert _ids(await client.contexts.search(typed)) == {other.context_id}
        assert await client.contexts.search(
            {"memorySpaceId": "space-a"}
        ) == await client.contexts.list({"memorySpaceId": "space-a"})


async def test_search_is_scoped_to_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        mine = await t1.contexts.create({"purpose": "Mine", "memorySpaceId": "shared"})
        theirs = await t2.contexts.create({"purpose": "Theirs", "memorySpaceId": "shared"})
        assert _ids(await t1.contexts.search({"memorySpaceId": "shared"})) == {mine.context_id}
        assert _ids(await t2.contexts.search()) == {theirs.context_id}


@pytest.mark.parametrize(("bad", "code"), BAD_FILTERS)
async def test_search_rejects_bad_filters_before_sending(bad: dict[str, Any], code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.contexts.search(bad)
        assert info.value.code == code
        assert client.transport.paths == []


async def test_search_rejects_unknown_shapes() -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError):
            await client.contexts.search({"depth": "deep"})
        assert client.transport.paths == []


def test_sync_search() -> None:
    with embedded_sync() as client:
        root = client.contexts.create({"purpose": "Root", "memorySpaceId": "s"})
        child = client.contexts.create(
            {"purpose": "Child", "memorySpaceId": "s", "parentId": root.context_id}
        )
        assert _ids(client.contexts.search({"parentId": root.context_id})) == {child.context_id}
        assert _ids(client.contexts.search({"memorySpaceId": "s", "depth": 0})) == {root.context_id}
        with pytest.raises(ValidationError) as info:
            client.contexts.search({"status": "nope"})
        assert info.value.code == "INVALID_STATUS"


async def test_over_http_async() -> None:
    space = unique("ctx-space")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        t = await _tree(client, space)
        found = await client.contexts.search({"memorySpaceId": space, "status": "blocked"})
        assert _ids(found) == {t["child"].context_id}


def test_over_http_sync() -> None:
    space = unique("ctx-space")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        made = client.contexts.create({"purpose": "p", "memorySpaceId": space, "userId": "carol"})
        assert _ids(client.contexts.search({"memorySpaceId": space, "userId": "carol"})) == {
            made.context_id
        }
