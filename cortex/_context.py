"""What a namespace object needs from its client: a transport, the auth context, call options, the graph hook.

Generated namespace bases and hand-written subclasses receive one of these; the client (``cortex.client``) builds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from cortex._transport.base import AsyncTransport, CallOptions, SyncTransport


class AsyncGraphSyncHook(Protocol):
    """Called by ``thin+graph`` methods after their Convex call when ``sync_to_graph`` is requested."""

    async def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None: ...


class SyncGraphSyncHook(Protocol):
    def after_call(self, method: str, args: Mapping[str, Any], result: Any) -> None: ...


TransportT = TypeVar("TransportT", AsyncTransport, SyncTransport)
HookT = TypeVar("HookT", AsyncGraphSyncHook, SyncGraphSyncHook)


@dataclass(frozen=True)
class ClientContext(Generic[TransportT, HookT]):
    """Shared, immutable per-client state handed to every namespace.

    ``auth`` holds the auth/tenant context by wire (camelCase) name, e.g. ``{"tenantId": "t-1", "userId": "u-1"}``;
    generated code reads it for ``{"auth": ...}`` argument mappings.
    """

    transport: TransportT
    auth: Mapping[str, Any] = field(default_factory=dict)
    options: CallOptions | None = None
    graph: HookT | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def with_options(self, options: CallOptions) -> ClientContext[TransportT, HookT]:
        return replace(self, options=options)


AsyncContext = ClientContext[AsyncTransport, AsyncGraphSyncHook]
SyncContext = ClientContext[SyncTransport, SyncGraphSyncHook]
