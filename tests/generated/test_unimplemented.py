"""Counting of generated methods that still raise NotImplementedError, and the registry of subclasses."""

from __future__ import annotations

import pytest

from cortex import namespaces
from cortex._context import ClientContext
from cortex._generated.namespaces import BASES
from cortex._generated.namespaces_sync import BASES as SYNC_BASES


def test_every_namespace_has_an_async_and_a_sync_base() -> None:
    assert sorted(BASES) == sorted(SYNC_BASES)
    assert "memory_spaces" in BASES and BASES["memory_spaces"].__name__ == "MemorySpacesBase"
    public = sum(
        1
        for cls in BASES.values()
        for n, v in vars(cls).items()
        if not n.startswith("_") and callable(v)
    )
    assert public == 180  # upstream v0.28.0 has 180 public namespace methods


def test_registering_a_subclass_removes_its_overrides_from_the_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(namespaces, "ASYNC_NAMESPACES", dict(BASES))
    monkeypatch.setattr(namespaces, "SYNC_NAMESPACES", dict(SYNC_BASES))
    before = namespaces.unimplemented()
    assert before and all(item.count(".") == 1 for item in before)
    name, method = before[0].split(".")

    async def done(self: object, *args: object, **kwargs: object) -> str:
        return "hand-written"

    sub = type("Sub", (BASES[name],), {method: done})
    sync_sub = type("SyncSub", (SYNC_BASES[name],), {})
    namespaces.register(name, sub, sync_sub)
    after = namespaces.unimplemented()
    assert after == [x for x in before if x != f"{name}.{method}"]
    assert namespaces.unimplemented(sync=True) == before  # the sync subclass overrides nothing
    built = namespaces.build_async(ClientContext(transport=object()))  # type: ignore[type-var]
    assert type(built[name]) is sub and set(built) == set(BASES)


def test_register_rejects_unrelated_classes() -> None:
    with pytest.raises(TypeError):
        namespaces.register("memory", object, SYNC_BASES["memory"])
    with pytest.raises(KeyError):
        namespaces.register("nope", object, object)
