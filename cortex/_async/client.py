"""The client: chooses the backend from the configuration, holds the shared context, exposes the namespaces.

Written once here as ``AsyncCortex``; ``cortex/_sync/client.py`` (``SyncCortex``) is its generated blocking twin.
The public names are ``cortex.Cortex`` and ``cortex.SyncCortex`` (``cortex/client.py``).
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any

import httpx
from typing_extensions import Self

from cortex._async.http_transport import AsyncConvexTransport
from cortex._context import AsyncContext
from cortex._transport.base import AsyncTransport, CallOptions
from cortex.config import CortexConfig
from cortex.errors import BackendUnavailableError, ConfigurationError

EMBEDDED_MODULE = "cortex.embedded.transport"


class AsyncCortex:
    """A Cortex client. Pass a ``CortexConfig`` or its fields as keywords (``convex_url=...``).

    With a ``convex_url`` (or ``$CONVEX_URL``) it talks to Convex over HTTP; otherwise it runs the embedded backend
    on ``local_path``. Namespaces (``memory``, ``conversations``, ...) are attributes. Close it (``close()`` or a
    ``with`` block) to release connections.
    """

    _config: CortexConfig
    _transport: AsyncTransport
    _owns_transport: bool
    _ctx: AsyncContext
    _namespaces: dict[str, object]

    def __init__(
        self,
        config: CortexConfig | None = None,
        *,
        transport: AsyncTransport | None = None,
        **settings: Any,
    ) -> None:
        if config is None:
            config = CortexConfig(**settings)
        elif settings:
            raise ConfigurationError("pass either a CortexConfig or keyword settings, not both")
        owns = transport is None
        if transport is None:
            transport = _make_transport(config)
        graph = None
        if config.graph is not None:
            from cortex.graph.hook import AsyncGraphHook

            graph = AsyncGraphHook.of(config.graph)
            if hasattr(graph, "transport") and graph.transport is None:
                graph.transport = transport
        context = AsyncContext(
            transport=transport,
            auth=dict(config.auth or {}),
            graph=graph,
            extras={"config": config},
        )
        self._setup(config, transport, context, owns)

    def _setup(
        self, config: CortexConfig, transport: AsyncTransport, context: AsyncContext, owns: bool
    ) -> None:
        self._config = config
        self._transport = transport
        self._owns_transport = owns
        self._ctx = context
        self._namespaces = _build_namespaces(context)
        for name, namespace in self._namespaces.items():
            setattr(self, name, namespace)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"{type(self).__name__!r} has no attribute {name!r}"
            + ("" if name.startswith("_") else " (not a namespace of this SDK build)")
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(transport={self._transport!r})"

    @property
    def config(self) -> CortexConfig:
        """The configuration this client was built from."""
        return self._config

    @property
    def transport(self) -> AsyncTransport:
        """The transport every call goes through."""
        return self._transport

    @property
    def context(self) -> AsyncContext:
        """The context handed to the namespaces (transport, auth, call options, graph hook)."""
        return self._ctx

    @property
    def namespaces(self) -> dict[str, object]:
        """Namespace objects by attribute name."""
        return dict(self._namespaces)

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Self:
        """A view of this client whose calls use these settings; it shares the connection and needs no closing."""
        current = self._ctx.options or CallOptions()
        options = CallOptions(
            timeout=current.timeout if timeout is None else timeout,
            max_retries=current.max_retries if max_retries is None else max_retries,
        )
        view = object.__new__(type(self))
        view._setup(self._config, self._transport, self._ctx.with_options(options), False)
        return view

    async def close(self) -> None:
        """Finish namespace background work (deferred fact extraction), then release the transport (connections,
        embedded database) if this client created it."""
        if self._owns_transport:
            self._owns_transport = False
            for namespace in self._namespaces.values():
                closer = getattr(namespace, "aclose", None)
                if closer is not None:
                    await closer()
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _make_transport(config: CortexConfig) -> AsyncTransport:
    if config.convex_url is not None:
        client = config.http_client
        expected = httpx.AsyncClient
        if client is not None and not isinstance(client, expected):
            raise ConfigurationError(
                f"http_client must be an httpx.{expected.__name__} for this client",
                field="http_client",
            )
        return AsyncConvexTransport(
            config.convex_url,
            admin_key=config.admin_key,
            auth_token=config.auth_token,
            timeout=config.timeout,
            max_retries=config.max_retries,
            retry_policy=config.retry_policy,
            http_client=client,
        )
    try:
        module = importlib.import_module(EMBEDDED_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not EMBEDDED_MODULE.startswith(exc.name):
            raise
        raise BackendUnavailableError(
            "no convex_url (nor CONVEX_URL) is set and the embedded backend is not available in this"
            " installation; set convex_url to use a Convex deployment",
        ) from exc
    transport: AsyncTransport = module.AsyncEmbeddedTransport(
        config.local_path, allow_purge=config.allow_purge
    )
    return transport


def _build_namespaces(context: AsyncContext) -> dict[str, object]:
    module = importlib.import_module("cortex.namespaces")
    build = getattr(module, "build_async", None)
    if build is None:
        return {}
    return dict(build(context))
