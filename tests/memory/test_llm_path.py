"""The SDK's LLM path against a local OpenAI-compatible server answering from recordings: fact extraction in
``remember``, belief revision through the LLM, embeddings through the OpenAI-compatible embedder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cortex import Cortex, SyncCortex
from cortex.embeddings import OpenAIEmbedder
from cortex.llm import LLMFactExtractor, OpenAIChat

from .conftest import free_port
from .openai_server import RecordedOpenAI, recorded_openai


@pytest.fixture(scope="module")
def openai() -> Iterator[tuple[str, RecordedOpenAI]]:
    with recorded_openai(free_port()) as served:
        yield served


@pytest.fixture
def env(openai: tuple[str, RecordedOpenAI], monkeypatch: pytest.MonkeyPatch) -> RecordedOpenAI:
    url, server = openai
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-recorded")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    server.requests.clear()
    return server


def exchange(space: str, message: str, conversation: str = "c-llm") -> dict[str, str]:
    return {
        "memory_space_id": space,
        "conversation_id": conversation,
        "user_message": message,
        "agent_response": "Thanks for letting me know, I will keep that in mind for later.",
        "user_id": "user-llm",
        "user_name": "Sam",
        "agent_id": "agent-llm",
    }


async def test_llm_fact_extraction_in_remember(
    client: Cortex, space: str, env: RecordedOpenAI
) -> None:
    client.memory.configure(llm=OpenAIChat())
    result = await client.memory.remember(
        exchange(space, "I just moved to Berlin for a job at Spotify")
    )
    assert sorted(f.fact for f in result.facts) == [
        "The user lives in Berlin",
        "The user works at Spotify",
    ]
    request = env.requests[0]
    assert request["auth"] == "Bearer sk-test-recorded"
    assert request["body"]["response_format"] == {"type": "json_object"}
    assert request["body"]["model"] == "gpt-4o-mini"
    assert request["body"]["messages"][0]["role"] == "system"


async def test_nothing_to_extract(client: Cortex, space: str, env: RecordedOpenAI) -> None:
    client.memory.configure(llm=OpenAIChat())
    result = await client.memory.remember(exchange(space, "Hi there!"))
    assert result.facts == [] and len(result.memories) == 2


async def test_llm_belief_revision_supersedes(
    client: Cortex, space: str, env: RecordedOpenAI
) -> None:
    client.memory.configure(llm=OpenAIChat())
    await client.memory.remember(exchange(space, "I just moved to Berlin for a job at Spotify"))
    moved = await client.memory.remember(exchange(space, "I live in Lisbon these days"))
    revisions = moved.fact_revisions or []
    assert [r.action for r in revisions] == ["SUPERSEDE"]
    assert revisions[0].reason == "The user moved: the new city replaces the old one."
    assert [f.object for f in revisions[0].superseded or []] == ["Berlin"]
    assert moved.facts[0].confidence == 90  # 0.9 in the recording, read as a fraction
    conflict_prompts = [
        r for r in env.requests if "NEW fact:" in r["body"]["messages"][-1]["content"]
    ]
    # Spotify (same subject and type as Berlin) was put to the model too; the recording says ADD.
    assert [
        r["body"]["messages"][-1]["content"].split('"fact": "')[1].split('"')[0]
        for r in conflict_prompts
    ] == [
        "The user works at Spotify",
        "The user lives in Lisbon",
    ]
    current = sorted(f.fact for f in await client.facts.list({"memory_space_id": space}))
    assert current == ["The user lives in Lisbon", "The user works at Spotify"]
    history = await client.facts.history(moved.facts[0].fact_id)
    assert history[0].pipeline is not None and history[0].pipeline.llm_resolution is True


async def test_unreachable_llm_still_remembers(client: Cortex, space: str) -> None:
    client.memory.configure(
        llm=OpenAIChat(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x")
    )
    result = await client.memory.remember(
        exchange(space, "I just moved to Berlin for a job at Spotify")
    )
    assert len(result.memories) == 2 and result.facts == []


async def test_openai_embedder(client: Cortex, space: str, env: RecordedOpenAI) -> None:
    client.memory.configure(embedder=OpenAIEmbedder(model="text-embedding-3-small"))
    result = await client.memory.remember(exchange(space, "Hi there!"))
    assert [len(m.embedding or []) for m in result.memories] == [8, 8]
    # answers come back out of order; the embedder puts them back by index
    first = OpenAIEmbedder().embed([result.memories[0].content])[0]
    assert result.memories[0].embedding == pytest.approx(first)
    assert env.requests[0]["body"]["input"] == [m.content for m in result.memories]


def test_sync_client_uses_the_blocking_path(openai: tuple[str, RecordedOpenAI], space: str) -> None:
    url, _ = openai
    llm = OpenAIChat(base_url=url, api_key="sk-sync")
    with SyncCortex(local_path=":memory:") as c:
        c.memory.configure(fact_extractor=LLMFactExtractor(llm))
        result = c.memory.remember(exchange(space, "I just moved to Berlin for a job at Spotify"))
        assert len(result.facts) == 2
