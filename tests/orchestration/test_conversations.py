"""``conversations.list`` on the embedded backend (async, sync, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, SyncCortex, ValidationError
from cortex.types import ListConversationsFilter, ListConversationsResult

from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

BAD_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"type": "user-user"}, "INVALID_TYPE"),
    ({"limit": 0}, "INVALID_RANGE"),
    ({"limit": 1001}, "INVALID_RANGE"),
    ({"limit": 2.5}, "INVALID_RANGE"),
    ({"offset": -1}, "INVALID_RANGE"),
    ({"sortOrder": "up"}, "INVALID_SORT_ORDER"),
    ({"sort_order": "down"}, "INVALID_SORT_ORDER"),
]


async def _conversation(
    client: Any, space: str, messages: int, *, kind: str = "user-agent", user: str = "alice"
) -> Any:
    participants = (
        {"userId": user, "agentId": "bot"}
        if kind == "user-agent"
        else {"memorySpaceIds": [space, "other-space"]}
    )
    conv = await client.conversations.create(
        {"memorySpaceId": space, "type": kind, "participants": participants}
    )
    for i in range(messages):
        conv = await client.conversations.add_message(
            {
                "conversationId": conv.conversation_id,
                "message": {"role": "user", "content": f"m{i}"},
            }
        )
    return conv


def _ids(result: ListConversationsResult) -> list[str]:
    return [c.conversation_id for c in result.conversations]


async def test_list_filters_by_message_count_exact_and_range() -> None:
    async with embedded() as client:
        none = await _conversation(client, "s", 0)
        one = await _conversation(client, "s", 1)
        three = await _conversation(client, "s", 3)
        exact = await client.conversations.list({"memorySpaceId": "s", "messageCount": 1})
        assert _ids(exact) == [one.conversation_id]
        assert exact.total == 1
        ranged = await client.conversations.list(
            {
                "memorySpaceId": "s",
                "messageCount": {"min": 1},
                "sortBy": "messageCount",
                "sortOrder": "asc",
            }
        )
        assert _ids(ranged) == [one.conversation_id, three.conversation_id]
        at_most = await client.conversations.list({"messageCount": {"max": 1}})
        assert set(_ids(at_most)) == {none.conversation_id, one.conversation_id}
        between = await client.conversations.list({"messageCount": {"min": 2, "max": 5}})
        assert _ids(between) == [three.conversation_id]


async def test_list_pages_sorts_and_filters() -> None:
    async with embedded() as client:
        made = [await _conversation(client, "s", n) for n in (2, 0, 1)]
        agent = await _conversation(client, "s", 0, kind="agent-agent")
        await _conversation(client, "elsewhere", 0, user="bob")
        page = await client.conversations.list(
            ListConversationsFilter(
                memory_space_id="s", sort_by="messageCount", sort_order="desc", limit=2
            )
        )
        assert isinstance(page, ListConversationsResult)
        assert _ids(page) == [made[0].conversation_id, made[2].conversation_id]
        assert (page.total, page.limit, page.offset, page.has_more) == (4, 2, 0, True)
        rest = await client.conversations.list(
            {
                "memorySpaceId": "s",
                "sortBy": "messageCount",
                "sortOrder": "desc",
                "limit": 2,
                "offset": 2,
            }
        )
        assert rest.has_more is False
        assert set(_ids(rest)) == {made[1].conversation_id, agent.conversation_id}
        assert _ids(await client.conversations.list({"type": "agent-agent"})) == [
            agent.conversation_id
        ]
        assert len((await client.conversations.list({"userId": "bob"})).conversations) == 1
        assert (await client.conversations.list()).total == 5


async def test_list_leaves_out_messages_when_asked() -> None:
    async with embedded() as client:
        await _conversation(client, "s", 2)
        full = await client.conversations.list({"memorySpaceId": "s"})
        bare = await client.conversations.list({"memorySpaceId": "s", "includeMessages": False})
        assert [m.content for m in full.conversations[0].messages] == ["m0", "m1"]
        assert bare.conversations[0].message_count == 2
        assert bare.conversations[0].messages == []


async def test_list_uses_the_auth_tenant_unless_one_is_given() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        mine = await _conversation(t1, "s", 0)
        theirs = await _conversation(t2, "s", 0)
        assert _ids(await t1.conversations.list({"memorySpaceId": "s"})) == [mine.conversation_id]
        assert _ids(await t2.conversations.list()) == [theirs.conversation_id]
        explicit = await client.conversations.list({"tenantId": "t2"})
        assert _ids(explicit) == [theirs.conversation_id]


@pytest.mark.parametrize(("bad", "code"), BAD_FILTERS)
async def test_list_rejects_bad_filters_before_sending(bad: dict[str, Any], code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.conversations.list(bad)
        assert info.value.code == code
        assert client.transport.paths == []


async def test_list_rejects_a_bad_message_count() -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.conversations.list({"messageCount": "many"})
        assert info.value.field == "filter"
        assert client.transport.paths == []


def test_sync_list() -> None:
    with embedded_sync() as client:
        conv = client.conversations.create(
            {
                "memorySpaceId": "s",
                "type": "user-agent",
                "participants": {"userId": "u", "agentId": "bot"},
            }
        )
        client.conversations.add_message(
            {"conversationId": conv.conversation_id, "message": {"role": "user", "content": "hi"}}
        )
        result = client.conversations.list({"messageCount": 1})
        assert _ids(result) == [conv.conversation_id]
        assert client.conversations.list({"messageCount": {"min": 2}}).total == 0
        with pytest.raises(ValidationError) as info:
            client.conversations.list({"type": "bad"})
        assert info.value.code == "INVALID_TYPE"


async def test_over_http_async() -> None:
    space = unique("conv-space")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        two = await _conversation(client, space, 2)
        await _conversation(client, space, 0)
        result = await client.conversations.list(
            {"memorySpaceId": space, "messageCount": {"min": 1}}
        )
        assert _ids(result) == [two.conversation_id]


def test_over_http_sync() -> None:
    space = unique("conv-space")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        conv = client.conversations.create(
            {
                "memorySpaceId": space,
                "type": "user-agent",
                "participants": {"userId": "u", "agentId": "bot"},
            }
        )
        result = client.conversations.list({"memorySpaceId": space, "messageCount": 0})
        assert _ids(result) == [conv.conversation_id]
