"""The generator on the hand-written fixture schema: every expression kind, method class and type marker."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cortex._context import ClientContext

from ._gen import FIXTURE, generate_package


class Transport:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def call(self, kind: Any, path: str, args: dict[str, Any], *, options: Any = None) -> Any:
        self.calls.append((kind, path, args))
        return self.result

    async def aclose(self) -> None:
        return None


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root: Path = tmp_path_factory.mktemp("fixture_gen")
    return generate_package(FIXTURE, root, "fixture_generated")


def test_fixture_package_layout(pkg: Any) -> None:
    ns = importlib.import_module(f"{pkg.__name__}.namespaces")
    assert sorted(ns.BASES) == ["conversations", "memory"]
    memory = ns.BASES["memory"]
    assert memory.__name__ == "MemoryBase"
    assert memory.__cortex_not_implemented__ == frozenset({"remember", "configure"})
    conv = ns.BASES["conversations"]
    assert conv.__cortex_not_implemented__ == frozenset({"delete", "count"})


async def test_result_map_transform_and_default_param(pkg: Any) -> None:
    memory = importlib.import_module(f"{pkg.__name__}.namespaces.memory").MemoryBase
    t = Transport([{"content": "a"}, {"content": "b"}])
    api = memory(ClientContext(transport=t))
    assert await api.list_contents("s") == ["a", "b"]
    t.result = []
    assert await api.list("s") == []
    assert t.calls[-1] == ("query", "memories:list", {"memorySpaceId": "s", "limit": 50})


async def test_cond_const_and_nullish_default(pkg: Any) -> None:
    memory = importlib.import_module(f"{pkg.__name__}.namespaces.memory").MemoryBase
    t = Transport(4.0)
    api = memory(ClientContext(transport=t))
    assert await api.count_user("s", only_tools=True) == 4
    assert t.calls[-1][2] == {"memorySpaceId": "s", "sourceType": "tool"}
    await api.count_user("s", "u")  # cond false -> const null -> optional arg dropped
    assert t.calls[-1][2] == {"memorySpaceId": "s", "userId": "u"}
    t.result = []
    await api.search("s", "q")
    assert t.calls[-1][2] == {"memorySpaceId": "s", "query": "q", "limit": 20}


async def test_graph_hook_on_thin_graph_method(pkg: Any) -> None:
    memory = importlib.import_module(f"{pkg.__name__}.namespaces.memory").MemoryBase
    seen: list[str] = []

    class Graph:
        async def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None:
            seen.append(method)

    api = memory(ClientContext(transport=Transport([]), graph=Graph()))
    await api.search("s", "q", {"limit": 3})
    assert seen == []
    await api.search("s", "q", {"limit": 3, "syncToGraph": True})
    assert seen == ["memory.search"]


def test_models_markers(pkg: Any) -> None:
    models = importlib.import_module(f"{pkg.__name__}.models")
    params = models.RememberParams(
        memory_space_id="s",
        conversation_id="c",
        user_message="u",
        agent_response="a",
        generate_embedding=lambda text: [0.0],
        graph=object(),
        position=(1.0, 2.0),
        created_at=1.0,
    )
    wire = params.to_wire()
    assert (
        "generateEmbedding" not in wire and "graph" not in wire
    )  # client-side objects never serialised
    assert wire["createdAt"] == 1 and wire["position"] == [1.0, 2.0]

    async def chunks() -> Any:
        yield "a"

    stream = models.StreamOptions(stream=chunks())
    assert stream.to_wire() == {}
    assert "AsyncIterable[str]" in str(models.StreamOptions.model_fields["stream"].annotation)
    part = models.ImagePart(type="image", url="u")
    assert part.to_wire() == {"type": "image", "url": "u"}


def test_untagged_union_resolution_prefers_the_better_fitting_member(pkg: Any) -> None:
    from pydantic import TypeAdapter

    models = importlib.import_module(f"{pkg.__name__}.models")
    entry = {
        "_id": "x",
        "memoryId": "m",
        "memorySpaceId": "s",
        "content": "c",
        "importance": 1,
        "version": 1,
        "tags": [],
        "sourceType": "tool",
        "createdAt": 1,
        "updatedAt": 1,
    }
    adapter = TypeAdapter(models.SearchResult)
    assert type(adapter.validate_python(entry)).__name__ == "MemoryEntry"
    assert (
        type(adapter.validate_python({"memory": entry, "score": 0.3})).__name__ == "EnrichedMemory"
    )
    content = TypeAdapter(models.ContentPart)
    assert type(content.validate_python({"type": "text", "text": "t"})).__name__ == "TextPart"
