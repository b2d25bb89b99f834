"""The less travelled paths of ``memory.remember`` and of forget/store/update: the default space, races with a
second client (space, agent or conversation created in between, a conversation deleted elsewhere or between the
two messages), facts stored without belief revision, facts that cannot be stored, extractor results of every
shape, observers that fail, a deployment that refuses a write.

Races are real: ``Racing`` is the client's own transport; before forwarding the nth call to a given function it
lets a second client, on the same store, do its conflicting write. In-process and over ``cortex serve``.
``Refusing`` is a Convex-wire proxy in front of ``cortex serve`` that answers one function with an error code of
its own, as a deployment with quotas or permissions would.
"""

from __future__ import annotations

import logging
import re
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cortex import Cortex, CortexConfig, CortexError, FunctionError, ValidationError
from cortex._async.http_transport import AsyncConvexTransport
from cortex._generated.models import RememberStreamParams
from tests.transport.wire_server import Reply, Seen, WireServer

from .conftest import WordHashEmbedder

Action = Callable[[Cortex], Awaitable[Any]]


class Racing:
    """A real transport; before the ``nth`` call to ``path`` goes out, ``action`` runs on a second client."""

    def __init__(self, inner: Any, path: str, action: Action, nth: int = 1) -> None:
        self.inner = inner
        self.path = path
        self.action = action
        self.nth = nth
        self.seen = 0
        self.fired = False

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        if path == self.path:
            self.seen += 1
            if self.seen == self.nth:
                self.fired = True
                await self.action(other_client(self.inner))
        return await self.inner.call(kind, path, args, options=options)

    async def aclose(self) -> None:
        """The inner transport belongs to the test's client, which closes it."""


class Shared:
    """The test client's transport, shared by a second client (which must not close it)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        return await self.inner.call(kind, path, args, options=options)

    async def aclose(self) -> None:
        """Left to the owner."""


def other_client(transport: Any) -> Cortex:
    """A second client on the same store (its own caches, the same backend)."""
    return Cortex(CortexConfig(), transport=Shared(transport))  # type: ignore[arg-type]


def racing(client: Cortex, path: str, action: Action, nth: int = 1) -> tuple[Cortex, Racing]:
    transport = Racing(client.transport, path, action, nth)
    return Cortex(CortexConfig(), transport=transport), transport  # type: ignore[arg-type]


def exchange(space: str | None, conversation: str, **extra: Any) -> dict[str, Any]:
    params = {
        "conversation_id": conversation,
        "user_message": "I keep bees on the roof of my flat",
        "agent_response": "Rooftop beekeeping sounds like a rewarding and unusual hobby.",
        "user_id": "user-1",
        "user_name": "Alex",
        "agent_id": "agent-1",
        **extra,
    }
    if space is not None:
        params["memory_space_id"] = space
    return params


def fact(text: str, **extra: Any) -> dict[str, Any]:
    return {"fact": text, "factType": "knowledge", "subject": "user-1", "confidence": 80, **extra}


async def live_facts(client: Cortex, space: str) -> list[str]:
    return sorted(
        f.fact
        for f in await client.facts.list({"memory_space_id": space, "include_superseded": False})
        if f.valid_until is None
    )


# -- memory space, owners, conversation ------------------------------------------------------------------------


async def test_no_memory_space_means_the_default_space(
    client: Cortex, space: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cortex"):
        result = await client.memory.remember(exchange(None, f"dflt-{space}"))
    assert "no memorySpaceId given" in caplog.text
    conversation = await client.conversations.get(f"dflt-{space}")
    assert conversation is not None and conversation.memory_space_id == "default"
    assert await client.memory_spaces.get("default") is not None
    assert all(m.memory_space_id == "default" for m in result.memories)


async def test_space_registered_by_someone_else_in_between(client: Cortex, space: str) -> None:
    async def register(other: Cortex) -> None:
        await other.memory_spaces.register(
            {"memory_space_id": space, "type": "team", "name": "registered by the other client"}
        )

    racer, transport = racing(client, "memorySpaces:register", register)
    result = await racer.memory.remember(exchange(space, f"c-{space}"))
    assert transport.fired and len(result.memories) == 2
    registered = await client.memory_spaces.get(space)
    assert registered is not None and registered.name == "registered by the other client"
    assert registered.type == "team"


async def test_agent_registered_by_someone_else_in_between(client: Cortex, space: str) -> None:
    agent = f"agent-{space}"

    async def register(other: Cortex) -> None:
        await other.agents.register({"id": agent, "name": "Their agent"})

    racer, transport = racing(client, "agents:register", register)
    result = await racer.memory.remember(exchange(space, f"c-{space}", agent_id=agent))
    assert transport.fired and len(result.conversation.message_ids) == 2
    registered = await client.agents.get(agent)
    assert registered is not None and registered.name == "Their agent"


async def test_conversation_created_by_someone_else_in_between(client: Cortex, space: str) -> None:
    conversation = f"c-{space}"

    async def create(other: Cortex) -> None:
        await other.conversations.create(
            {
                "conversation_id": conversation,
                "memory_space_id": space,
                "type": "user-agent",
                "participants": {"user_id": "user-1", "agent_id": "agent-1"},
                "metadata": {"createdBy": "other"},
            }
        )

    racer, transport = racing(client, "conversations:create", create)
    result = await racer.memory.remember(exchange(space, conversation))
    assert transport.fired
    stored = await client.conversations.get(conversation)
    assert stored is not None and stored.metadata == {"createdBy": "other"}
    assert [m.id for m in stored.messages] == result.conversation.message_ids


async def test_conversation_deleted_elsewhere_is_created_again(client: Cortex, space: str) -> None:
    conversation = f"c-{space}"
    await client.memory.remember(exchange(space, conversation))
    # another client deletes it; this client still believes it exists and goes straight to the messages
    await other_client(client.transport).conversations.delete(conversation)
    second = await client.memory.remember(
        exchange(space, conversation, user_message="The bees made twelve jars of honey")
    )
    stored = await client.conversations.get(conversation)
    assert stored is not None
    assert [m.content for m in stored.messages] == [
        "The bees made twelve jars of honey",
        "Rooftop beekeeping sounds like a rewarding and unusual hobby.",
    ]
    assert [m.id for m in stored.messages] == second.conversation.message_ids


async def test_conversation_deleted_between_the_two_messages_fails(
    client: Cortex, space: str
) -> None:
    conversation = f"c-{space}"
    calls: list[int] = []

    async def delete_after_first_message(other: Cortex) -> None:
        calls.append(1)
        await other.conversations.delete(conversation)

    racer, transport = racing(client, "conversations:addMessage", delete_after_first_message, nth=2)
    with pytest.raises(FunctionError) as info:
        await racer.memory.remember(exchange(space, conversation))
    assert info.value.code == "CONVERSATION_NOT_FOUND" and calls == [1] and transport.fired
    assert await client.conversations.get(conversation) is None
    assert await client.memory.count({"memory_space_id": space}) == 0  # nothing after the failure


# -- memories --------------------------------------------------------------------------------------------------


async def test_extract_content_replaces_the_users_text(client: Cortex, space: str) -> None:
    result = await client.memory.remember(
        exchange(space, f"c-{space}", extract_content=lambda user, agent: "Alex keeps bees")
    )
    user_memory, agent_memory = result.memories
    assert (user_memory.content, user_memory.content_type) == ("Alex keeps bees", "summarized")
    assert agent_memory.content_type == "raw"
    kept = await client.memory.remember(
        exchange(space, f"c2-{space}", extract_content=lambda user, agent: "")
    )
    assert kept.memories[0].content == "I keep bees on the roof of my flat"
    assert kept.memories[0].content_type == "raw"


# -- facts -----------------------------------------------------------------------------------------------------


class Counting:
    def __init__(self, found: list[Any]) -> None:
        self.found = found
        self.calls = 0

    def __call__(self, user_message: str, agent_response: str) -> list[Any]:
        self.calls += 1
        return self.found


async def test_options_extract_facts_false_skips_the_extractor(client: Cortex, space: str) -> None:
    extractor = Counting([fact("Alex keeps bees")])
    client.memory.configure(fact_extractor=extractor)
    skipped = await client.memory.remember(exchange(space, f"a-{space}"), {"extract_facts": False})
    inline = await client.memory.remember(
        exchange(space, f"b-{space}"), {"extract_facts": False}, extract="inline"
    )
    assert extractor.calls == 0 and skipped.facts == [] and inline.facts == []
    assert await live_facts(client, space) == []


async def test_unknown_extract_mode_is_rejected_before_anything_is_written(
    client: Cortex, space: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await client.memory.remember(exchange(space, f"c-{space}"), extract="sometimes")  # type: ignore[arg-type]
    assert info.value.field == "extract"
    assert await client.conversations.get(f"c-{space}") is None
    assert await client.memory_spaces.get(space) is None


async def test_without_deduplication_every_fact_is_stored(client: Cortex, space: str) -> None:
    same = [fact("Alex keeps bees", predicate="keeps", object="bees")]
    first = await client.memory.remember(
        exchange(space, f"c-{space}", fact_deduplication=False), facts=same
    )
    second = await client.memory.remember(
        exchange(space, f"c-{space}", fact_deduplication=False), facts=same
    )
    assert first.fact_revisions is None and second.fact_revisions is None  # no belief revision
    assert first.facts[0].fact_id != second.facts[0].fact_id
    assert await live_facts(client, space) == ["Alex keeps bees", "Alex keeps bees"]


async def test_without_belief_revision_facts_are_deduplicated(client: Cortex, space: str) -> None:
    low = [fact("Alex keeps bees", predicate="keeps", object="bees", confidence=60)]
    high = [fact("Alex keeps bees", predicate="keeps", object="bees", confidence=90)]
    off = {"belief_revision": False}
    first = await client.memory.remember(exchange(space, f"c-{space}"), off, facts=low)
    second = await client.memory.remember(exchange(space, f"c-{space}"), off, facts=high)
    assert first.fact_revisions is None and second.fact_revisions is None
    assert (
        first.facts[0].confidence == 60 and second.facts[0].confidence == 90
    )  # the duplicate, raised
    current = await client.facts.list({"memory_space_id": space, "include_superseded": False})
    assert [(f.fact, f.confidence) for f in current if f.valid_until is None] == [
        ("Alex keeps bees", 90)
    ]
    exact = await client.memory.remember(
        exchange(space, f"c-{space}", fact_deduplication="exact"), off, facts=high
    )
    assert exact.facts[0].fact == "Alex keeps bees"
    assert await live_facts(client, space) == ["Alex keeps bees"]


async def test_a_fact_that_cannot_be_stored_is_logged_and_skipped(
    client: Cortex, space: str, caplog: pytest.LogCaptureFixture
) -> None:
    broken = [{"subject": "user-1"}, fact("Alex keeps bees"), fact("Bad type", factType=3)]
    for options in (None, {"belief_revision": False}):
        with caplog.at_level(logging.WARNING, logger="cortex"):
            result = await client.memory.remember(
                exchange(space, f"c-{space}", fact_deduplication=False if options else None),
                options,
                facts=broken,
            )
        assert [f.fact for f in result.facts] == ["Alex keeps bees"]
    assert caplog.text.count("remember: could not store fact") == 4
    assert await live_facts(client, space) == ["Alex keeps bees", "Alex keeps bees"]


class Extracted(BaseModel):
    """An extractor's own result model (aliases and unset fields as a model would have them)."""

    model_config = ConfigDict(populate_by_name=True)
    fact: str
    fact_type: str = Field(alias="factType")
    subject: str | None = None
    confidence: float = 70


async def test_extractor_results_may_be_models_or_plain_objects(client: Cortex, space: str) -> None:
    extractor = Counting(
        [
            Extracted(fact="Alex keeps bees", fact_type="observation"),
            types.SimpleNamespace(fact="Alex lives in a flat", factType="identity", confidence=95),
            {"fact": "Alex sells honey", "factType": "event"},
        ]
    )
    result = await client.memory.remember(
        exchange(space, f"c-{space}", extract_facts=extractor, fact_deduplication=False)
    )
    stored = {f.fact: (f.fact_type, f.confidence, f.subject) for f in result.facts}
    assert stored == {
        "Alex keeps bees": ("observation", 70, "user-1"),
        "Alex lives in a flat": ("identity", 95, "user-1"),
        "Alex sells honey": ("event", 80, "user-1"),
    }


async def test_supplied_facts_inline_and_extracted_ones_in_the_background(
    client: Cortex, space: str
) -> None:
    extractor = Counting([fact("Alex sells honey")])
    result = await client.memory.remember(
        exchange(space, f"c-{space}", extract_facts=extractor),
        extract="background",
        facts=[fact("Alex keeps bees")],
    )
    assert [f.fact for f in result.facts] == ["Alex keeps bees"]
    assert await client.memory.wait_background() == []
    assert extractor.calls == 1
    assert await live_facts(client, space) == ["Alex keeps bees", "Alex sells honey"]


# -- observers -------------------------------------------------------------------------------------------------


async def test_observer_hooks_may_be_missing_or_fail(
    client: Cortex, space: str, caplog: pytest.LogCaptureFixture
) -> None:
    done: list[Any] = []

    def broken(event: Any) -> None:
        raise RuntimeError("observer bug")

    observer = {"on_layer_update": broken, "on_orchestration_complete": done.append}
    with caplog.at_level(logging.WARNING, logger="cortex"):
        result = await client.memory.remember(exchange(space, f"c-{space}", observer=observer))
    assert len(result.memories) == 2 and len(done) == 1
    assert caplog.text.count("observer on_layer_update failed: observer bug") == 4
    assert done[0]["createdIds"]["memoryIds"] == [m.memory_id for m in result.memories]


# -- configure, remember_stream, store, update, forget ---------------------------------------------------------


async def test_configured_embedder_and_reranker(
    client: Cortex, space: str, embedder: WordHashEmbedder
) -> None:
    calls: list[str] = []

    def prefer_short(query: str, texts: list[str]) -> list[float]:
        calls.append(query)
        return [-float(len(t)) for t in texts]

    client.memory.configure(embedder=embedder, reranker=prefer_short)
    assert client.memory.embedder is embedder
    await client.memory.remember(exchange(space, f"c-{space}"))
    result = await client.memory.recall({"memory_space_id": space, "query": "bees roof"})
    lengths = [len(i.content) for i in result.items]
    assert calls == ["bees roof"] and len(lengths) == 2 and lengths == sorted(lengths)
    client.memory.configure(embedder=None, reranker=None)
    assert client.memory.embedder is None
    await client.memory.recall({"memory_space_id": space, "query": "bees roof"})
    assert calls == ["bees roof"]


async def test_remember_stream_takes_a_params_model(client: Cortex, space: str) -> None:
    async def chunks() -> AsyncIterator[str]:
        for part in ("Rooftop bees ", "need water ", "in summer."):
            yield part

    params = RememberStreamParams(
        memory_space_id=space,
        conversation_id=f"c-{space}",
        user_message="What do my bees need?",
        response_stream=chunks(),
        user_id="user-1",
        user_name="Alex",
        agent_id="agent-1",
    )
    result = await client.memory.remember_stream(params)
    assert result.full_response == "Rooftop bees need water in summer."
    stored = await client.conversations.get(f"c-{space}")
    assert stored is not None
    assert [m.content for m in stored.messages][-1] == "Rooftop bees need water in summer."


@pytest.fixture
async def small_payloads(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Cortex]:
    """A client over ``cortex serve`` whose transport refuses arguments over 4 KiB (the real size check)."""
    url, key = request.getfixturevalue("served")
    transport = AsyncConvexTransport(url, admin_key=SecretStr(key), max_args_bytes=4096)
    client = Cortex(CortexConfig(), transport=transport)
    try:
        yield client
    finally:
        await transport.aclose()


async def test_store_and_update_skip_facts_that_cannot_be_stored(
    small_payloads: Cortex, space: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = small_payloads
    huge = fact("bees " * 2000)
    with caplog.at_level(logging.WARNING, logger="cortex"):
        stored = await client.memory.store(
            space,
            {
                "content": "Hive inspection every nine days",
                "content_type": "raw",
                "source": {"type": "system"},
                "metadata": {"importance": 60, "tags": []},
                "extract_facts": lambda content: [huge, fact("Hives are inspected")],
            },
        )
        assert [f.fact for f in stored.facts] == ["Hives are inspected"]
        updated = await client.memory.update(
            space,
            stored.memory.memory_id,
            {"content": "Hive inspection every week"},
            {
                "reextract_facts": True,
                "extract_facts": lambda content: [huge, fact("Hives are inspected weekly")],
            },
        )
    assert [f.fact for f in updated.facts_reextracted or []] == ["Hives are inspected weekly"]
    assert "store: could not store fact" in caplog.text
    assert "update: could not re-extract fact" in caplog.text
    assert (
        len(
            re.findall(
                r"facts:store are \d+ bytes encoded; Convex accepts at most 4096", caplog.text
            )
        )
        == 2
    )
    assert await live_facts(client, space) == ["Hives are inspected weekly"]


async def test_forget_a_missing_memory(client: Cortex, space: str) -> None:
    with pytest.raises(CortexError) as info:
        await client.memory.forget(space, "mem-does-not-exist")
    assert info.value.code == "MEMORY_NOT_FOUND"


async def test_forget_with_its_messages_keeps_the_conversation(client: Cortex, space: str) -> None:
    result = await client.memory.remember(
        exchange(space, f"c-{space}"), facts=[fact("Alex keeps bees")]
    )
    memory = result.memories[0]
    forgotten = await client.memory.forget(space, memory.memory_id, {"delete_conversation": True})
    assert forgotten.memory_deleted and not forgotten.conversation_deleted
    assert forgotten.messages_deleted == 1 and not forgotten.restorable
    assert forgotten.facts_deleted == 1 and forgotten.fact_ids == [result.facts[0].fact_id]
    assert await client.memory.get(space, memory.memory_id) is None
    assert await client.conversations.get(f"c-{space}") is not None
    assert await live_facts(client, space) == []


# -- a deployment that refuses ---------------------------------------------------------------------------------


class Refusing(WireServer):
    """A Convex-wire proxy in front of ``cortex serve`` that refuses one function with ``code``, as a deployment
    with rules of its own (quotas, permissions) would; every other call is forwarded as is."""

    def __init__(self, upstream: str, key: str, refuse: str, code: str) -> None:
        super().__init__()
        self.upstream, self.key, self.refuse, self.code = upstream, key, refuse, code

    def answer(self, seen: Seen) -> Reply:
        if seen.path == self.refuse:
            return Reply.error(f"Uncaught Error: {self.code}: refused by this deployment")
        forwarded = httpx.post(
            f"{self.upstream}/api/{seen.kind}",
            content=seen.body,
            headers={"Authorization": f"Convex {self.key}", "Content-Type": "application/json"},
            timeout=30,
        )
        return Reply(status=forwarded.status_code, body=forwarded.content)


@pytest.mark.parametrize(
    ("refuse", "code"),
    [
        ("memorySpaces:register", "MEMORYSPACE_QUOTA_EXCEEDED"),
        ("agents:register", "AGENT_LIMIT_REACHED"),
        ("conversations:create", "PERMISSION_DENIED"),
    ],
)
async def test_a_refusal_other_than_already_exists_propagates(
    served: tuple[str, str], space: str, refuse: str, code: str
) -> None:
    url, key = served
    conversation = f"c-{space}"
    with Refusing(url, key, refuse, code) as proxy:
        async with Cortex(convex_url=proxy.url, admin_key=key, max_retries=0) as client:
            with pytest.raises(FunctionError) as info:
                await client.memory.remember(
                    exchange(space, conversation, agent_id=f"agent-{space}")
                )
        assert info.value.code == code and info.value.function == refuse
        assert refuse in [seen.path for seen in proxy.requests]
    async with Cortex(convex_url=url, admin_key=key) as direct:
        assert await direct.conversations.get(conversation) is None
        assert await direct.memory.count({"memory_space_id": space}) == 0
