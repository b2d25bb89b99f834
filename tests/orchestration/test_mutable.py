"""``mutable.update`` (updater callback) and ``mutable.purge`` on the embedded backend (async, sync, HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, CortexError, SyncCortex, ValidationError

from .rest_support import embedded, embedded_sync, served_url, tenant_of, unique

BAD_NAMESPACES = [
    ("", "MISSING_NAMESPACE"),
    (None, "MISSING_NAMESPACE"),
    (3, "INVALID_NAMESPACE"),
    ("has space", "INVALID_NAMESPACE"),
    ("n" * 101, "NAMESPACE_TOO_LONG"),
]
BAD_KEYS = [
    ("", "MISSING_KEY"),
    (None, "MISSING_KEY"),
    (3, "INVALID_KEY"),
    ("bad key!", "INVALID_KEY"),
    ("k" * 256, "KEY_TOO_LONG"),
]


# -- update ----------------------------------------------------------------------------------------------------


async def test_update_applies_the_updater_to_the_current_value() -> None:
    async with embedded() as client:
        await client.mutable.set("inventory", "widget-qty", 100)
        seen: list[Any] = []

        def take_ten(qty: Any) -> Any:
            seen.append(qty)
            return qty - 10

        record = await client.mutable.update("inventory", "widget-qty", take_ten)
        assert seen == [100]
        assert record.namespace == "inventory" and record.key == "widget-qty"
        assert record.value == 90
        assert await client.mutable.get("inventory", "widget-qty") == 90


async def test_update_with_structured_values_and_an_async_updater() -> None:
    async with embedded() as client:
        await client.mutable.set("carts", "user@x/1", {"items": ["a"], "total": 1})

        async def add_item(cart: Any) -> Any:
            return {"items": [*cart["items"], "b"], "total": cart["total"] + 1}

        record = await client.mutable.update("carts", "user@x/1", add_item)
        assert record.value == {"items": ["a", "b"], "total": 2}
        assert await client.mutable.get("carts", "user@x/1") == {"items": ["a", "b"], "total": 2}


async def test_update_to_none_stores_null() -> None:
    async with embedded() as client:
        await client.mutable.set("ns", "k", "something")
        record = await client.mutable.update("ns", "k", lambda _: None)
        assert record.value is None
        assert await client.mutable.exists("ns", "k") is True
        stored = await client.mutable.get_record("ns", "k")
        assert stored is not None and stored.value is None


async def test_update_of_a_missing_key_fails_without_calling_the_updater() -> None:
    async with embedded() as client:
        calls: list[Any] = []
        with pytest.raises(CortexError) as info:
            await client.mutable.update("ns", "missing", calls.append)
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"
        assert calls == []
        assert await client.mutable.exists("ns", "missing") is False


async def test_update_error_in_the_updater_changes_nothing() -> None:
    async with embedded() as client:
        await client.mutable.set("ns", "k", 1)

        def broken(_: Any) -> Any:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await client.mutable.update("ns", "k", broken)
        assert await client.mutable.get("ns", "k") == 1


async def test_update_is_scoped_to_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        await t1.mutable.set("ns", "k", 1)
        with pytest.raises(CortexError) as info:
            await t2.mutable.update("ns", "k", lambda v: v + 1)
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"
        assert (await t1.mutable.update("ns", "k", lambda v: v + 1)).value == 2
        assert (await t1.mutable.get_record("ns", "k")).tenant_id == "t1"  # type: ignore[union-attr]


@pytest.mark.parametrize("updater", [None, 5, "x + 1"])
async def test_update_rejects_a_non_callable_updater(updater: Any) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.mutable.update("ns", "k", updater)
        assert info.value.code == "INVALID_UPDATER_TYPE"
        assert info.value.field == "updater"
        assert client.transport.paths == []


@pytest.mark.parametrize(("bad", "code"), BAD_NAMESPACES)
async def test_update_rejects_bad_namespaces(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.mutable.update(bad, "k", lambda v: v)
        assert info.value.code == code
        assert client.transport.paths == []


@pytest.mark.parametrize(("bad", "code"), BAD_KEYS)
async def test_update_rejects_bad_keys(bad: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.mutable.update("ns", bad, lambda v: v)
        assert info.value.code == code
        assert client.transport.paths == []


# -- purge -----------------------------------------------------------------------------------------------------


async def test_purge_deletes_the_key() -> None:
    async with embedded() as client:
        await client.mutable.set("ns", "gone", 1)
        await client.mutable.set("ns", "kept", 2)
        result = await client.mutable.purge("ns", "gone")
        assert (result.deleted, result.namespace, result.key) == (True, "ns", "gone")
        assert await client.mutable.exists("ns", "gone") is False
        assert await client.mutable.get("ns", "kept") == 2


async def test_purge_of_a_missing_key_fails() -> None:
    async with embedded() as client:
        with pytest.raises(CortexError) as info:
            await client.mutable.purge("ns", "missing")
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"


async def test_purge_is_scoped_to_the_auth_tenant() -> None:
    async with embedded() as client:
        t1, t2 = tenant_of(client, "t1"), tenant_of(client, "t2")
        await t1.mutable.set("ns", "k", 1)
        with pytest.raises(CortexError):
            await t2.mutable.purge("ns", "k")
        assert await t1.mutable.get("ns", "k") == 1
        assert (await t1.mutable.purge("ns", "k")).deleted is True


@pytest.mark.parametrize(
    ("ns", "key", "code"),
    [*((b, "k", c) for b, c in BAD_NAMESPACES), *(("ns", b, c) for b, c in BAD_KEYS)],
)
async def test_purge_rejects_bad_input(ns: Any, key: Any, code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.mutable.purge(ns, key)
        assert info.value.code == code
        assert client.transport.paths == []


# -- sync client -----------------------------------------------------------------------------------------------


def test_sync_update_and_purge() -> None:
    with embedded_sync() as client:
        client.mutable.set("counters", "hits", 1)
        assert client.mutable.update("counters", "hits", lambda v: v * 5).value == 5
        assert client.mutable.get("counters", "hits") == 5
        with pytest.raises(CortexError) as info:
            client.mutable.update("counters", "missing", lambda v: v)
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"
        assert client.mutable.purge("counters", "hits").deleted is True
        assert client.mutable.exists("counters", "hits") is False
        with pytest.raises(ValidationError):
            client.mutable.purge("counters", "")


def test_sync_update_refuses_an_async_updater() -> None:
    with embedded_sync() as client:
        client.mutable.set("ns", "k", 1)

        async def later(v: Any) -> Any:
            return v + 1

        with pytest.raises(ValidationError) as info:
            client.mutable.update("ns", "k", later)
        assert info.value.code == "INVALID_UPDATER_TYPE"
        assert client.mutable.get("ns", "k") == 1


# -- real HTTP (cortex serve) ----------------------------------------------------------------------------------


async def test_over_http_async() -> None:
    ns = unique("http-ns")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        await client.mutable.set(ns, "stock", 10)
        assert (await client.mutable.update(ns, "stock", lambda v: v - 3)).value == 7
        assert (await client.mutable.purge(ns, "stock")).deleted is True
        with pytest.raises(CortexError) as info:
            await client.mutable.update(ns, "stock", lambda v: v)
        assert info.value.code == "MUTABLE_KEY_NOT_FOUND"


def test_over_http_sync() -> None:
    ns = unique("http-ns")
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        client.mutable.set(ns, "list", [1])
        assert client.mutable.update(ns, "list", lambda v: [*v, 2]).value == [1, 2]
        assert client.mutable.purge(ns, "list").key == "list"
        assert client.mutable.exists(ns, "list") is False
