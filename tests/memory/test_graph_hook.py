"""``remember`` and ``forget`` reach the client's graph-sync hook through the generated thin+graph methods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortex import Cortex


class RecordingGraph:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None:
        self.calls.append(method)


async def test_remember_syncs_to_graph_when_configured(space: str) -> None:
    graph = RecordingGraph()
    async with Cortex(local_path=":memory:", graph=graph) as c:
        params = {
            "memory_space_id": space,
            "conversation_id": f"g-{space}",
            "user_message": "I sail on weekends",
            "agent_response": "Sailing is a lovely way to spend time on the water.",
            "user_id": "u",
            "user_name": "U",
            "agent_id": "a",
        }
        result = await c.memory.remember(params)
        assert graph.calls.count("vector.store") == 2
        assert "conversations.create" in graph.calls and "memory_spaces.register" in graph.calls
        graph.calls.clear()
        await c.memory.remember(
            {**params, "conversation_id": f"g2-{space}"}, {"sync_to_graph": False}
        )
        assert graph.calls == []
        await c.memory.forget(space, result.memories[0].memory_id)
        assert graph.calls == ["vector.delete"]


async def test_no_graph_no_calls(space: str) -> None:
    async with Cortex(local_path=":memory:") as c:
        result = await c.memory.remember(
            {
                "memory_space_id": space,
                "conversation_id": "c",
                "user_message": "hello there",
                "agent_response": "Hello! What would you like to talk about today?",
                "agent_id": "a",
            }
        )
        assert len(result.memories) == 2
