"""The embedded backend: Cortex's Convex functions served from a local SQLite store.

Handler authors use ``handler``, ``QueryCtx``/``MutationCtx``, ``UNDEFINED``, ``field``, ``ConvexError`` and
``FunctionError`` (see docs/embedded.md).
"""

from cortex.embedded.context import MutationCtx, QueryCtx
from cortex.embedded.errors import ConvexError, FunctionError
from cortex.embedded.query import field
from cortex.embedded.registry import handler
from cortex.embedded.values import UNDEFINED

__all__ = [
    "UNDEFINED",
    "ConvexError",
    "FunctionError",
    "MutationCtx",
    "QueryCtx",
    "field",
    "handler",
]
