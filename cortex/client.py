"""Public client classes: ``Cortex`` (async) and ``SyncCortex`` (blocking).

Both are thin names over one implementation written once in ``cortex/_async/client.py``; the blocking one is its
generated twin in ``cortex/_sync/client.py``.
"""

from __future__ import annotations

from cortex._async.client import AsyncCortex
from cortex._sync.client import SyncCortex as _GeneratedSyncCortex


class Cortex(AsyncCortex):
    """The async Cortex client: ``async with Cortex(CortexConfig(...)) as cortex: ...``.

    Every namespace method is a coroutine. ``await cortex.close()`` (or leaving the ``async with`` block) releases
    the connections or the embedded database.
    """


class SyncCortex(_GeneratedSyncCortex):
    """The blocking Cortex client: ``with SyncCortex(CortexConfig(...)) as cortex: ...``.

    Same namespaces and methods as ``Cortex``, without ``await``; no event loop and no threads involved.
    """


__all__ = ["Cortex", "SyncCortex"]
