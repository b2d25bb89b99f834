"""Registers the hand-written ``memory`` and ``facts`` namespaces (async and their generated sync twins).

Importing this module makes ``Cortex().memory`` an ``AsyncMemory`` and ``SyncCortex().memory`` a ``SyncMemory``
(likewise ``facts``). ``cortex.namespaces`` imports it so that every client gets them.
"""

from __future__ import annotations

from cortex._async.facts import AsyncFacts
from cortex._async.memory import AsyncMemory
from cortex._sync.facts import SyncFacts
from cortex._sync.memory import SyncMemory
from cortex.namespaces import register

register("memory", AsyncMemory, SyncMemory)
register("facts", AsyncFacts, SyncFacts)

__all__ = ["AsyncFacts", "AsyncMemory", "SyncFacts", "SyncMemory"]
