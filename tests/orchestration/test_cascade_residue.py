"""The GDPR cascade leaves nothing: after ``users.delete(cascade=True)`` no document of any table mentions the user.

The user's data is planted where the cascade used to miss it: fact history events, a mutable namespace nobody
lists, A2A messages sent on the user's behalf to agents that never registered, memories older than a busy space's
newest ones, more contexts than one page. Residue is measured by reading every table in full (``admin:listTable``)
and counting documents whose JSON names the user or the user's secret marker. A cascade that cannot remove
everything (someone keeps writing the user's data) raises ``CascadeDeletionError`` and keeps the profile.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cortex import Cortex, CortexConfig
from cortex._generated.args.admin import AdminListTableArgs
from cortex._generated.args.fact_history import FactHistoryLogEventArgs
from cortex._generated.calls import admin as _admin
from cortex._generated.calls import fact_history as _history
from cortex.embedded.functions.admin import TABLES
from cortex.errors import CascadeDeletionError

from .rest_support import embedded

USER = "resident"
MARKER = "SECRET-resident-7f3"
SPACE = "space-busy"


async def residue(client: Cortex, *needles: str) -> dict[str, int]:
    """Per table, how many documents mention one of ``needles`` (every table read in full)."""
    found: dict[str, int] = {}
    for table in TABLES:
        rows = await _admin.admin_list_table(
            client.transport, AdminListTableArgs(table=table, limit=1000)
        )
        assert len(rows) < 1000, "the test store must fit in one admin page"
        hits = sum(1 for r in rows if any(n in json.dumps(r) for n in needles))
        if hits:
            found[table] = hits
    return found


def _memory(user: str, text: str) -> dict[str, Any]:
    return {
        "content": text,
        "contentType": "raw",
        "userId": user,
        "source": {"type": "system"},
        "metadata": {"importance": 50, "tags": []},
    }


async def plant(client: Cortex) -> None:
    await client.users.update(USER, {"displayName": MARKER})
    await client.memory_spaces.register({"memorySpaceId": SPACE, "type": "custom"})
    for i in range(3):
        await client.vector.store(SPACE, _memory(USER, f"{MARKER} old memory {i}"))
    for i in range(150):  # newer memories of someone else: more than one default page of the space
        await client.vector.store(SPACE, _memory("neighbour", f"neighbour memory {i}"))
    for i in range(120):
        await client.contexts.create(
            {"purpose": f"{MARKER} task {i}", "memorySpaceId": SPACE, "userId": USER}
        )
    await client.mutable.set("odd-namespace", "k1", {"v": MARKER}, user_id=USER)
    for i in range(105):
        await client.mutable.set("user-data", f"k{i}", {"v": MARKER}, user_id=USER)
    fact = await client.facts.store(
        {
            "memorySpaceId": SPACE,
            "userId": USER,
            "fact": f"{MARKER} likes tea",
            "factType": "preference",
            "subject": USER,
            "confidence": 80,
            "sourceType": "manual",
        }
    )
    await _history.fact_history_log_event(
        client.transport,
        FactHistoryLogEventArgs(
            fact_id=fact.fact_id,
            memory_space_id=SPACE,
            action="CREATE",
            new_value=f"{MARKER} likes tea",
            user_id=USER,
        ),
    )
    await client.a2a.send(
        {"from": "agent-x", "to": "agent-y", "message": f"{MARKER} says hi", "userId": USER}
    )
    await client.a2a.send({"from": "agent-x", "to": "agent-y", "message": "someone else's note"})


async def test_nothing_of_the_user_is_left_anywhere() -> None:
    async with embedded() as client:
        await plant(client)
        before = await residue(client, USER, MARKER)
        assert set(before) >= {"memories", "contexts", "mutable", "facts", "factHistory"}
        assert before["conversations"] == 1  # the A2A conversation holds the user's message
        result = await client.users.delete(USER, {"cascade": True})
        assert result.verification.complete is True, result.verification.issues
        assert await residue(client, USER, MARKER) == {}
        counts = result.model_dump(by_alias=True)
        assert counts["contextsDeleted"] == 120
        assert counts["mutableKeysDeleted"] == 106
        assert (
            counts["vectorMemoriesDeleted"] == 5
        )  # 3 memories, the A2A outbound and inbound copies
        # what is not the user's stays: the neighbour's memories and the other A2A message
        assert await client.memory.count({"memory_space_id": SPACE}) == 150
        conversation = (await client.conversations.list({"type": "agent-agent"})).conversations[0]
        assert [m.content for m in conversation.messages] == ["someone else's note"]


async def test_dry_run_counts_every_layer() -> None:
    async with embedded() as client:
        await plant(client)
        plan = await client.users.collect(USER)
        assert len(plan.layers["fact-history"]) == 1
        assert len(plan.layers["a2a-messages"]) == 1
        assert len(plan.layers["mutable"]) == 106
        assert {"agent-x", "agent-y"} <= set(plan.spaces)  # never registered, found by their data


class Replanting:
    """A real transport on which, after every ``memories:deleteByIds``, the user's memory is written again."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.client = Cortex(CortexConfig(), transport=inner)

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        out = await self.inner.call(kind, path, args, options=options)
        if path == "memories:deleteByIds":
            await self.client.vector.store(SPACE, _memory(USER, f"{MARKER} again"))
        return out

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_cascade_that_cannot_finish_raises_and_keeps_the_profile() -> None:
    base = Cortex(CortexConfig(local_path=":memory:"))
    client = Cortex(CortexConfig(), transport=Replanting(base.transport))  # type: ignore[arg-type]
    try:
        await client.users.update(USER, {"displayName": MARKER})
        await client.memory_spaces.register({"memorySpaceId": SPACE, "type": "custom"})
        await client.vector.store(SPACE, _memory(USER, f"{MARKER} first"))
        await client.mutable.set("user-data", "k", {"v": 1}, user_id=USER)
        with pytest.raises(CascadeDeletionError) as caught:
            await client.users.delete(USER, {"cascade": True})
        assert caught.value.layer == "verification"
        assert caught.value.code == "CASCADE_DELETION_FAILED"
        assert "memories" in str(caught.value)
        assert (await client.users.get(USER)) is not None
        assert await client.mutable.get("user-data", "k") == {"v": 1}  # restored
    finally:
        await client.close()
