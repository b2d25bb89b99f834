"""The ``mutable`` module's behaviour through the embedded transports (the same calls the SDK makes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cortex._generated.args.mutable import (
    MutableCountArgs,
    MutableDeleteKeyArgs,
    MutableExistsArgs,
    MutableGetArgs,
    MutableListArgs,
    MutablePurgeManyArgs,
    MutablePurgeNamespaceArgs,
    MutableSetArgs,
    MutableTransactionArgs,
    MutableUpdateArgs,
)
from cortex._generated.calls_sync import mutable as calls
from cortex.embedded.registry import path_of
from cortex.embedded.transport import AsyncEmbeddedTransport, SyncEmbeddedTransport
from cortex.errors import BackendValidationError, FunctionError


@pytest.fixture
def t() -> Iterator[SyncEmbeddedTransport]:
    transport = SyncEmbeddedTransport(":memory:")
    yield transport
    transport.close()


def _set(t: SyncEmbeddedTransport, key: str, value: Any, **kw: Any) -> Any:
    return calls.mutable_set(t, MutableSetArgs(namespace="ns", key=key, value=value, **kw))


def test_set_get_overwrite(t: SyncEmbeddedTransport) -> None:
    first = _set(t, "k", 1, user_id="u1", metadata={"a": 1})
    second = _set(t, "k", 2)
    assert second["_id"] == first["_id"]
    assert second["value"] == 2
    assert second["userId"] == "u1" and second["metadata"] == {"a": 1}  # kept when not given
    got = calls.mutable_get(t, MutableGetArgs(namespace="ns", key="k"))
    assert got == second
    assert calls.mutable_get(t, MutableGetArgs(namespace="ns", key="missing")) is None


def test_tenant_isolation(t: SyncEmbeddedTransport) -> None:
    _set(t, "k", "tenant value", tenant_id="t1")
    assert calls.mutable_get(t, MutableGetArgs(namespace="ns", key="k")) is None
    assert (
        calls.mutable_exists(t, MutableExistsArgs(namespace="ns", key="k", tenant_id="t1")) is True
    )
    assert calls.mutable_exists(t, MutableExistsArgs(namespace="ns", key="k")) is False
    global_entry = _set(t, "k", "global value")
    assert "tenantId" not in global_entry


def test_update_operations(t: SyncEmbeddedTransport) -> None:
    _set(t, "n", 10)
    up = calls.mutable_update(t, MutableUpdateArgs(namespace="ns", key="n", operation="increment"))
    assert up["value"] == 11
    up = calls.mutable_update(
        t, MutableUpdateArgs(namespace="ns", key="n", operation="decrement", operand=5)
    )
    assert up["value"] == 6
    _set(t, "s", "ab")
    assert (
        calls.mutable_update(t, MutableUpdateArgs(namespace="ns", key="s", operation="increment"))[
            "value"
        ]
        == "ab1"
    )
    _set(t, "l", [1])
    assert calls.mutable_update(
        t, MutableUpdateArgs(namespace="ns", key="l", operation="append", operand="x")
    )["value"] == [1, "x"]
    with pytest.raises(FunctionError) as info:
        calls.mutable_update(
            t, MutableUpdateArgs(namespace="ns", key="n", operation="append", operand=1)
        )
    assert info.value.code == "MUTABLE_VALUE_NOT_ARRAY"
    with pytest.raises(FunctionError) as info:
        calls.mutable_update(t, MutableUpdateArgs(namespace="ns", key="zz", operation="increment"))
    assert info.value.code == "MUTABLE_KEY_NOT_FOUND"


def test_list_count_purge(t: SyncEmbeddedTransport) -> None:
    for key in ["b", "A", "a", "c-1", "c-2"]:
        _set(t, key, key, user_id="u1" if key.startswith("c") else "u2")
    listed = calls.mutable_list(t, MutableListArgs(namespace="ns"))
    assert [e["key"] for e in listed] == ["a", "A", "b", "c-1", "c-2"]
    listed = calls.mutable_list(
        t, MutableListArgs(namespace="ns", sort_order="desc", limit=2, offset=1)
    )
    assert [e["key"] for e in listed] == ["c-1", "b"]
    assert calls.mutable_count(t, MutableCountArgs(namespace="ns", key_prefix="c-")) == 2
    assert calls.mutable_count(t, MutableCountArgs(namespace="ns", user_id="u2")) == 3
    purged = calls.mutable_purge_many(t, MutablePurgeManyArgs(namespace="ns", key_prefix="c-"))
    assert purged == {"deleted": 2, "namespace": "ns", "keys": ["c-1", "c-2"]}
    dry = calls.mutable_purge_namespace(t, MutablePurgeNamespaceArgs(namespace="ns", dry_run=True))
    assert dry["deleted"] == 3 and dry["dryRun"] is True
    assert calls.mutable_count(t, MutableCountArgs(namespace="ns")) == 3
    assert (
        calls.mutable_purge_namespace(t, MutablePurgeNamespaceArgs(namespace="ns"))["deleted"] == 3
    )
    assert calls.mutable_count(t, MutableCountArgs(namespace="ns")) == 0


def test_delete_key(t: SyncEmbeddedTransport) -> None:
    _set(t, "k", 1)
    assert calls.mutable_delete_key(t, MutableDeleteKeyArgs(namespace="ns", key="k")) == {
        "deleted": True,
        "namespace": "ns",
        "key": "k",
    }
    with pytest.raises(FunctionError) as info:
        calls.mutable_delete_key(t, MutableDeleteKeyArgs(namespace="ns", key="k"))
    assert info.value.code == "MUTABLE_KEY_NOT_FOUND"


def test_transaction_is_all_or_nothing(t: SyncEmbeddedTransport) -> None:
    _set(t, "counter", 1)
    ok = calls.mutable_transaction(
        t,
        MutableTransactionArgs(
            operations=[
                {"op": "increment", "namespace": "ns", "key": "counter", "amount": 2},
                {"op": "set", "namespace": "ns", "key": "new", "value": "v"},
            ]
        ),
    )
    assert ok["success"] is True and ok["operationsExecuted"] == 2
    assert ok["results"][0]["value"] == 3
    with pytest.raises(FunctionError) as info:
        calls.mutable_transaction(
            t,
            MutableTransactionArgs(
                operations=[
                    {"op": "increment", "namespace": "ns", "key": "counter"},
                    {"op": "delete", "namespace": "ns", "key": "absent"},
                ]
            ),
        )
    assert info.value.code == "MUTABLE_KEY_NOT_FOUND"
    assert (
        calls.mutable_get(t, MutableGetArgs(namespace="ns", key="counter"))["value"] == 3
    )  # rolled back


def test_argument_validation_wording(t: SyncEmbeddedTransport) -> None:
    with pytest.raises(BackendValidationError) as info:
        t.call("mutation", path_of(MutableSetArgs), {"namespace": "ns", "value": 1})
    assert info.value.field == "key"
    assert "Object is missing the required field `key`" in str(info.value)


async def test_async_transport_does_not_block_the_loop() -> None:
    import asyncio

    from cortex._generated.calls import mutable as acalls

    transport = AsyncEmbeddedTransport(":memory:")
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        task = asyncio.create_task(ticker())
        results = await asyncio.gather(
            *(
                acalls.mutable_set(transport, MutableSetArgs(namespace="a", key=f"k{i}", value=i))
                for i in range(50)
            )
        )
        task.cancel()
        assert len({r["_id"] for r in results}) == 50
        assert ticks > 0
        assert await acalls.mutable_count(transport, MutableCountArgs(namespace="a")) == 50
    finally:
        await transport.aclose()


async def test_public_async_client_uses_the_embedded_backend() -> None:
    from cortex import Cortex, CortexConfig

    async with Cortex(CortexConfig(local_path=":memory:")) as cortex:
        assert isinstance(cortex._transport, AsyncEmbeddedTransport)
        await cortex.mutable.set("prefs", "theme", {"dark": True})
        assert await cortex.mutable.get("prefs", "theme") == {"dark": True}
