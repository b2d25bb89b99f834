"""``memory.remember_stream`` (chunks, hooks, partial storage, failures) and the blocking client's twins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from cortex import Cortex, CortexError, SyncCortex, ValidationError

from .conftest import WordHashEmbedder


def stream_params(space: str, stream: Any, conversation: str = "s-1") -> dict[str, Any]:
    return {
        "memory_space_id": space,
        "conversation_id": conversation,
        "user_message": "Tell me about tides",
        "response_stream": stream,
        "user_id": "user-1",
        "user_name": "Alex",
        "agent_id": "agent-1",
    }


CHUNKS = ["Tides are caused ", "mainly by the Moon's ", "gravity pulling on the oceans."]


async def chunks(parts: list[str], fail_after: int | None = None) -> AsyncIterator[str]:
    for i, part in enumerate(parts):
        if fail_after is not None and i == fail_after:
            raise RuntimeError("connection dropped")
        yield part


async def test_remember_stream_collects_and_reports(client: Cortex, space: str) -> None:
    seen: list[Any] = []
    hooks = {
        "on_chunk": lambda e: seen.append(("chunk", e.chunk_number, e.accumulated)),
        "on_progress": lambda e: seen.append(("progress", e.chunks)),
        "on_complete": lambda e: seen.append(("complete", e.total_chunks)),
    }
    result = await client.memory.remember_stream(
        stream_params(space, chunks(CHUNKS), f"s-{space}"),
        {"hooks": hooks, "store_partial_response": True},
    )
    assert result.full_response == "".join(CHUNKS)
    assert result.stream_metrics.total_chunks == 3 and result.stream_metrics.total_bytes == len(
        "".join(CHUNKS)
    )
    assert [m.content for m in result.memories] == ["Tell me about tides", "".join(CHUNKS)]
    assert seen[0] == ("chunk", 1, CHUNKS[0]) and seen[-1] == ("complete", 3)
    assert ("progress", 2) in seen
    assert result.progressive_processing is not None
    assert len(result.progressive_processing.partial_storage_history) >= 1
    # the partial memory is gone once the exchange is remembered
    assert [m.content for m in await client.memory.list({"memory_space_id": space})] == [
        "".join(CHUNKS),
        "Tell me about tides",
    ]


async def test_progressive_fact_extraction(client: Cortex, space: str) -> None:
    calls: list[str] = []

    def extract(user_message: str, text: str) -> list[dict[str, Any]]:
        calls.append(text)
        if "Moon" not in text:
            return []
        return [
            {
                "fact": "Tides are caused by the Moon",
                "factType": "knowledge",
                "subject": "tides",
                "predicate": "caused by",
                "object": "the Moon",
                "confidence": 90,
            }
        ]

    result = await client.memory.remember_stream(
        stream_params(space, chunks(CHUNKS)) | {"extract_facts": extract},
        {"progressive_fact_extraction": True, "fact_extraction_threshold": 20},
    )
    assert result.progressive_processing is not None
    found = result.progressive_processing.facts_extracted_during_stream
    assert [(f.fact, f.extracted_at_chunk, f.deduped) for f in found] == [
        ("Tides are caused by the Moon", 2, False),
        ("Tides are caused by the Moon", 3, True),
    ]
    # the final pass over the whole reply finds the fact already known
    assert [r.action for r in result.fact_revisions or []] == ["NONE"]
    assert len(await client.facts.list({"memory_space_id": space})) == 1
    assert calls[-1] == "".join(CHUNKS) and len(calls) >= 2


async def test_stream_failure_store_partial(client: Cortex, space: str) -> None:
    result = await client.memory.remember_stream(
        stream_params(space, chunks(CHUNKS, fail_after=2)),
        {"partial_failure_handling": "store-partial"},
    )
    assert result.full_response == "".join(CHUNKS[:2]) and result.recovered
    assert result.errors is not None and result.errors[0].message == "connection dropped"


async def test_stream_failure_propagates_by_default(client: Cortex, space: str) -> None:
    with pytest.raises(RuntimeError, match="connection dropped"):
        await client.memory.remember_stream(
            stream_params(space, chunks(CHUNKS, fail_after=1)), {"store_partial_response": True}
        )
    assert await client.memory.list({"memory_space_id": space}) == []


async def test_empty_stream_is_rejected(client: Cortex, space: str) -> None:
    with pytest.raises(ValidationError):
        await client.memory.remember_stream(stream_params(space, chunks([])))


def sync_chunks() -> Iterator[str]:
    yield from CHUNKS


def test_sync_client_full_cycle(
    sync_client: SyncCortex, space: str, embedder: WordHashEmbedder
) -> None:
    sync_client.memory.configure(embedder=embedder)
    result = sync_client.memory.remember(
        {
            "memory_space_id": space,
            "conversation_id": f"sy-{space}",
            "user_message": "I have a red bicycle",
            "agent_response": "Red bicycles are easy to spot in traffic, which keeps you safe.",
            "user_id": "user-1",
            "user_name": "Alex",
            "agent_id": "agent-1",
        },
        facts=[
            {
                "fact": "Alex has a red bicycle",
                "factType": "knowledge",
                "subject": "user-1",
                "predicate": "owns",
                "object": "red bicycle",
                "confidence": 80,
            }
        ],
        extract="background",
    )
    assert len(result.memories) == 2 and [f.fact for f in result.facts] == [
        "Alex has a red bicycle"
    ]
    recalled = sync_client.memory.recall({"memory_space_id": space, "query": "bicycle"})
    assert any(i.type == "fact" for i in recalled.items) and any(
        i.type == "memory" for i in recalled.items
    )
    streamed = sync_client.memory.remember_stream(
        stream_params(space, sync_chunks(), f"sy2-{space}")
    )
    assert streamed.full_response == "".join(CHUNKS)
    moved = sync_client.facts.revise(
        {
            "memory_space_id": space,
            "fact": {
                "fact": "Alex owns a blue bicycle",
                "subject": "user-1",
                "predicate": "owns",
                "object": "blue bicycle",
                "confidence": 90,
            },
        }
    )
    assert moved.action == "SUPERSEDE"
    assert sync_client.memory.wait_background() == []


def test_sync_client_rejects_async_callbacks(space: str) -> None:
    async def extractor(u: str, a: str) -> list[Any]:
        return []

    with SyncCortex(local_path=":memory:") as c, pytest.raises(CortexError):
        c.memory.remember(
            {
                "memory_space_id": space,
                "conversation_id": "c",
                "user_message": "hello there",
                "agent_response": "Hello! How can I help you today with your plans?",
                "agent_id": "a",
                "extract_facts": extractor,
            }
        )
