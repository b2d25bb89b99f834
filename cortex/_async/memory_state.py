"""Per-client state shared by the ``memory`` and ``facts`` namespaces of one client.

Namespaces are built per client with one shared context; their mutable state (the configured embedder, LLM,
fact extractor, reranker, belief-revision settings, caches of what is known to exist, background work) lives
here, keyed by the client's transport so that ``with_options`` views share it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from cortex._context import AsyncContext

__all__ = ["AsyncMemoryState", "state_of"]


@dataclass
class AsyncMemoryState:
    """What ``memory``/``facts`` of one client share (see ``memory.configure``)."""

    embedder: Any = None
    llm: Any = None
    fact_extractor: Any = None
    reranker: Any = None
    belief_revision_llm: Any = None
    belief_revision_config: Any = None
    belief_revision_enabled: bool = True
    known: set[tuple[str, str]] = field(default_factory=set)
    fact_vectors: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    pending: set[Any] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)

    def remember_known(self, kind: str, key: str) -> None:
        """Note that ``kind``/``key`` (a memory space, user, agent or conversation) exists."""
        if len(self.known) > 100_000:
            self.known.clear()
        self.known.add((kind, key))

    def forget_known(self, kind: str, key: str) -> None:
        self.known.discard((kind, key))


_STATES: weakref.WeakKeyDictionary[Any, AsyncMemoryState] = weakref.WeakKeyDictionary()


def state_of(ctx: AsyncContext) -> AsyncMemoryState:
    """The state of the client that ``ctx`` belongs to (created on first use from its configuration)."""
    found = _STATES.get(ctx.transport)
    if found is None:
        found = AsyncMemoryState()
        config = ctx.extras.get("config")
        found.embedder = getattr(config, "embedder", None)
        found.llm = getattr(config, "llm", None)
        _STATES[ctx.transport] = found
    return found
