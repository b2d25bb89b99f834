"""The GDPR cascade's less travelled paths (``cortex/_async/cascade.py``), each produced for real:

* every reader pages: more than one page (100) of memory spaces, conversations, facts, immutable records and
  sessions are all collected and deleted;
* a record deleted by someone else while the cascade runs is skipped, not an error;
* the rollback restores an ended session as ended;
* a backend that disappears mid-cascade (a real ``cortex serve`` process, stopped between two calls) fails the
  cascade on the record being deleted, and what could not be restored is named record by record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cortex import Cortex, CortexConfig
from cortex._async.http_transport import AsyncConvexTransport
from cortex.errors import CascadeDeletionError
from tests.conformance.embedded_server import start_server, unavailable_reason

from .people_support import PREFS, seed_user, snapshot
from .rest_support import embedded

SPACE = "space-cascade"
MANY = 101  # one more than the cascade's page size


class Racing:
    """A real transport; before the first call to ``path`` goes out, ``action`` runs (with the inner transport)."""

    def __init__(self, inner: Any, path: str, action: Callable[[Any], Awaitable[None]]) -> None:
        self.inner = inner
        self.path = path
        self.action = action
        self.fired = False

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        if path == self.path and not self.fired:
            self.fired = True
            await self.action(self.inner)
        return await self.inner.call(kind, path, args, options=options)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _second_client(inner: Any) -> Cortex:
    return Cortex(CortexConfig(), transport=inner)


async def test_more_than_a_page_of_every_layer_is_deleted() -> None:
    async with embedded() as client:
        for i in range(MANY):
            await client.memory_spaces.register({"memorySpaceId": f"s-{i:03}", "type": "custom"})
        await client.users.update("pager", {"displayName": "Pager"})
        for i in range(MANY):
            await client.conversations.create(
                {
                    "memorySpaceId": SPACE,
                    "type": "user-agent",
                    "participants": {"userId": "pager", "agentId": "agent-p"},
                }
            )
            await client.facts.store(
                {
                    "memorySpaceId": SPACE,
                    "userId": "pager",
                    "fact": f"pager fact {i}",
                    "factType": "knowledge",
                    "subject": "pager",
                    "confidence": 70,
                    "sourceType": "manual",
                }
            )
            await client.immutable.store(
                {"type": "note", "id": f"note-{i}", "data": {"n": i}, "userId": "pager"}
            )
            await client.sessions.create({"userId": "pager", "memorySpaceId": SPACE})
        # a memory in the first and in the last registered space: one of them is on the second page of spaces
        for space in (f"s-{0:03}", f"s-{MANY - 1:03}"):
            await client.vector.store(
                space,
                {
                    "content": "one of pager's memories",
                    "contentType": "raw",
                    "userId": "pager",
                    "source": {"type": "system"},
                    "metadata": {"importance": 50, "tags": []},
                },
            )
        plan = await client.users.collect("pager")
        assert len(plan.spaces) >= MANY
        result = await client.users.delete("pager", {"cascade": True})
        counts = result.model_dump(by_alias=True)
        assert counts["conversationsDeleted"] == MANY
        assert counts["factsDeleted"] == MANY
        assert counts["immutableRecordsDeleted"] == MANY  # the notes (the profile is not counted)
        assert counts["sessionsDeleted"] == MANY
        assert counts["vectorMemoriesDeleted"] == 2
        assert result.verification.complete is True
        assert (
            await client.conversations.list({"userId": "pager", "limit": 1000})
        ).conversations == []
        assert await client.sessions.list({"userId": "pager", "limit": 1000}) == []
        assert await client.facts.list({"memorySpaceId": SPACE, "userId": "pager"}) == []
        for space in (f"s-{0:03}", f"s-{MANY - 1:03}"):
            assert await client.memory.count({"memory_space_id": space}) == 0


async def test_a_record_deleted_meanwhile_is_skipped() -> None:
    base = Cortex(CortexConfig(local_path=":memory:"))

    async def delete_the_key_first(inner: Any) -> None:
        await _second_client(inner).mutable.delete(PREFS, "theme-gone")

    racing = Racing(base.transport, "mutable:deleteKey", delete_the_key_first)
    client = Cortex(CortexConfig(), transport=racing)  # type: ignore[arg-type]
    try:
        await seed_user(client, "gone", SPACE)
        result = await client.users.delete("gone", {"cascade": True})
        assert racing.fired
        assert result.mutable_keys_deleted == 0  # someone else's deletion, not ours
        assert result.verification.complete is True
        assert await client.mutable.get(PREFS, "theme-gone") is None
        assert await client.users.get("gone") is None
    finally:
        await client.close()


async def test_rollback_restores_an_ended_session_as_ended() -> None:
    async with embedded() as client:
        ids = await seed_user(client, "ender", SPACE)
        await client.sessions.end(ids["session"])
        await client.contexts.create(
            {
                "purpose": "their sub-task",
                "memorySpaceId": SPACE,
                "userId": "someone-else",
                "parentId": ids["context"],
            }
        )
        before = await snapshot(client, "ender", SPACE)
        with pytest.raises(CascadeDeletionError) as info:
            await client.users.delete("ender", {"cascade": True})
        assert info.value.layer == "contexts" and info.value.rollback_errors == []
        restored = await client.sessions.get(ids["session"])
        assert restored is not None and restored.status == "ended"
        assert await snapshot(client, "ender", SPACE) == before


async def test_backend_gone_mid_cascade_names_the_record_and_what_was_not_restored() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    server = start_server()
    try:
        server.wait_ready()

        async def stop_the_backend(inner: Any) -> None:
            server.stop()

        inner = AsyncConvexTransport(server.base_url, max_retries=0)
        racing = Racing(inner, "immutable:purge", stop_the_backend)
        client = Cortex(CortexConfig(), transport=racing)  # type: ignore[arg-type]
        try:
            await seed_user(client, "lost", SPACE)
            with pytest.raises(CascadeDeletionError) as info:
                await client.users.delete("lost", {"cascade": True})
        finally:
            await client.close()
        err = info.value
        assert racing.fired
        assert (err.layer, err.record_id) == ("immutable", "note:note-lost")
        assert getattr(err.cause, "code", None) == "CONNECTION_ERROR"
        # memories, facts and the mutable key had been deleted; none could be re-created
        problems = err.rollback_errors
        assert [p.split(" ", 1)[0] for p in problems] == [
            "mutable",
            "facts",
            "memories",
            "memories",
        ]
        assert problems[0].startswith(f"mutable {PREFS}:theme-lost: ")
        assert all("CONNECTION_ERROR" in p or "connect" in p.lower() for p in problems)
        assert "restore incomplete" in str(err)
    finally:
        server.stop()
