"""Cortex: memory for AI agents.

``Cortex`` is the async client, ``SyncCortex`` the blocking one; both take a ``CortexConfig``. Every error raised
is a ``CortexError`` subclass with a machine-readable ``.code`` (see ``cortex.errors``).
"""

from cortex._transport.wire import client_version as _client_version
from cortex.client import Cortex, SyncCortex
from cortex.config import CortexConfig, RetryPolicy
from cortex.errors import (
    A2ATimeoutError,
    AgentCascadeDeletionError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BackendUnavailableError,
    BackendValidationError,
    BackendVersionMismatchError,
    BadRequestError,
    CascadeDeletionError,
    ConfigurationError,
    CortexError,
    FunctionError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)

__version__ = _client_version()

__all__ = [
    "A2ATimeoutError",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AgentCascadeDeletionError",
    "AuthenticationError",
    "BackendUnavailableError",
    "BackendValidationError",
    "BackendVersionMismatchError",
    "BadRequestError",
    "CascadeDeletionError",
    "ConfigurationError",
    "Cortex",
    "CortexConfig",
    "CortexError",
    "FunctionError",
    "NotFoundError",
    "OverloadedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "SyncCortex",
    "UnexpectedResponseError",
    "ValidationError",
    "__version__",
]
