"""Typed errors. Every error the SDK raises is a ``CortexError`` with a machine-readable ``.code``.

The tree, from the caller's point of view:

* ``ValidationError``: bad input, caught before sending or reported by the backend's argument validation.
* ``PayloadTooLargeError``: arguments over Convex's size limit (client-side, nothing sent) or HTTP 413.
* ``FunctionError``: the Convex function ran and threw; ``.code`` comes from the error data or the message.
  ``BackendVersionMismatchError`` is the special case of a function the backend does not have.
* ``APIStatusError`` and subclasses: the HTTP API answered with an error status (400, 401, 403, 404, 429, 5xx).
* ``APIConnectionError`` / ``APITimeoutError``: no usable answer at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class CortexError(Exception):
    """Base of every SDK error. ``code`` is stable and machine-readable; ``details`` carries structured data."""

    default_code = "CORTEX_ERROR"

    def __init__(self, message: str = "", *, code: str | None = None, details: Any = None) -> None:
        self.code: str = code or self.default_code
        self.details = details
        self.message: str = message or self.code
        super().__init__(self.message)


class ValidationError(CortexError):
    """Bad input, caught before anything is sent (or reported by the backend's argument validation)."""

    default_code = "VALIDATION_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        field: str | None = None,
        details: Any = None,
    ) -> None:
        self.field = field
        super().__init__(message, code=code, details=details)


class ConfigurationError(ValidationError):
    """The client configuration is inconsistent (e.g. both an admin key and a JWT)."""

    default_code = "INVALID_CONFIG"


class BackendUnavailableError(CortexError):
    """The requested backend cannot be used (e.g. the embedded backend is not installed)."""

    default_code = "BACKEND_UNAVAILABLE"


class APIError(CortexError):
    """Base of errors that come from talking to a backend (HTTP status, function error, transport failure)."""

    default_code = "API_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        details: Any = None,
        function: str | None = None,
    ) -> None:
        self.function = function
        super().__init__(message, code=code, details=details)


class FunctionError(APIError):
    """The Convex function ran and failed.

    ``code`` is taken from ``errorData`` (a string code, or an object with ``code``) when the backend threw a
    ``ConvexError``, else parsed from a ``CODE: text`` message, else ``FUNCTION_ERROR``. ``raw_message`` keeps the
    backend's message untouched; ``data`` is the decoded ``errorData`` (``None`` when absent).
    """

    default_code = "FUNCTION_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        details: Any = None,
        function: str | None = None,
        raw_message: str | None = None,
        data: Any = None,
    ) -> None:
        self.raw_message = raw_message if raw_message is not None else message
        self.data = data
        super().__init__(message, code=code, details=details, function=function)


class BackendVersionMismatchError(FunctionError):
    """The backend has no public function by this name: it was deployed from another Cortex version."""

    default_code = "BACKEND_VERSION_MISMATCH"

    def __init__(
        self,
        message: str = "",
        *,
        function: str | None = None,
        schema_version: str | None = None,
        raw_message: str | None = None,
    ) -> None:
        self.schema_version = schema_version
        super().__init__(
            message,
            function=function,
            raw_message=raw_message,
            details={"function": function, "schema_version": schema_version},
        )


class BackendValidationError(ValidationError):
    """The backend rejected the arguments (Convex ``ArgumentValidationError``); ``field`` names the offending path."""

    default_code = "ARGUMENT_VALIDATION_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        function: str | None = None,
        raw_message: str | None = None,
    ) -> None:
        self.function = function
        self.raw_message = raw_message if raw_message is not None else message
        super().__init__(message, field=field, details={"function": function})


class APIStatusError(APIError):
    """The HTTP API answered with an error status; ``status_code`` is that status."""

    default_code = "API_STATUS_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        details: Any = None,
        function: str | None = None,
        status_code: int | None = None,
        server_code: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.server_code = server_code
        super().__init__(message, code=code, details=details, function=function)


class BadRequestError(APIStatusError):
    """HTTP 400: the backend could not accept the request as sent."""

    default_code = "BAD_REQUEST"


class AuthenticationError(APIStatusError):
    """HTTP 401: missing, expired or wrong admin key / JWT."""

    default_code = "AUTHENTICATION_ERROR"


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials are valid but not allowed to do this."""

    default_code = "PERMISSION_DENIED"


class NotFoundError(APIStatusError):
    """HTTP 404: the endpoint (usually the deployment URL) does not exist."""

    default_code = "NOT_FOUND"


class PayloadTooLargeError(APIStatusError):
    """Arguments too large: rejected before sending (``status_code`` is ``None``) or by the server (HTTP 413)."""

    default_code = "PAYLOAD_TOO_LARGE"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        function: str | None = None,
        status_code: int | None = None,
        server_code: str | None = None,
        size: int | None = None,
        limit: int | None = None,
    ) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            message,
            code=code,
            function=function,
            status_code=status_code,
            server_code=server_code,
            details={"size": size, "limit": limit},
        )


class RateLimitedError(APIStatusError):
    """HTTP 429. ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one."""

    default_code = "RATE_LIMITED"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        function: str | None = None,
        status_code: int | None = 429,
        server_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(
            message,
            code=code,
            function=function,
            status_code=status_code,
            server_code=server_code,
            details={"retry_after": retry_after},
        )


class ServerError(APIStatusError):
    """HTTP 5xx (other than a function error)."""

    default_code = "SERVER_ERROR"


class OverloadedError(ServerError):
    """HTTP 503: the backend is overloaded or hit a write conflict; safe to retry later."""

    default_code = "OVERLOADED"


class UnexpectedResponseError(APIError):
    """The backend answered something that is not Convex's wire format (not JSON, unknown status, bad value)."""

    default_code = "UNEXPECTED_RESPONSE"


class APIConnectionError(APIError):
    """No answer: the connection failed or was dropped. ``sent`` says whether the request may have reached it."""

    default_code = "CONNECTION_ERROR"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        function: str | None = None,
        sent: bool = True,
    ) -> None:
        self.sent = sent
        super().__init__(message, code=code, function=function, details={"sent": sent})


class APITimeoutError(APIConnectionError):
    """No answer in time (connect, write, read or pool timeout)."""

    default_code = "TIMEOUT"


class A2ATimeoutError(CortexError):
    """``a2a.request`` got no response: the recipient did not answer within ``timeout`` ms, or the backend has no
    pub/sub to deliver one (``code == "PUBSUB_NOT_CONFIGURED"``). ``message_id`` names the stored request."""

    default_code = "A2A_TIMEOUT"

    def __init__(
        self, message: str, *, message_id: str, timeout: int, code: str | None = None
    ) -> None:
        self.message_id = message_id
        self.timeout = timeout
        super().__init__(message, code=code, details={"messageId": message_id, "timeout": timeout})


class CascadeDeletionError(CortexError):
    """A cascade deletion failed part-way and what had been deleted was restored from the backup.

    ``layer`` names the layer whose deletion failed (``"contexts"``, ``"conversations"``, ...), ``record_id`` the
    record, ``cause`` the original error; ``rollback_errors`` lists what could not be restored (empty when the
    rollback was complete).
    """

    default_code = "CASCADE_DELETION_FAILED"

    def __init__(
        self,
        message: str,
        *,
        owner_id: str,
        layer: str,
        record_id: str | None,
        cause: BaseException,
        rollback_errors: Sequence[str] = (),
    ) -> None:
        self.owner_id = owner_id
        self.layer = layer
        self.record_id = record_id
        self.cause = cause
        self.rollback_errors = list(rollback_errors)
        super().__init__(
            message,
            details={
                "ownerId": owner_id,
                "layer": layer,
                "recordId": record_id,
                "cause": str(cause),
                "rollbackErrors": self.rollback_errors,
            },
        )


class AgentCascadeDeletionError(CascadeDeletionError):
    """``agents.unregister(cascade=True)`` failed part-way; what it had deleted was restored."""

    default_code = "AGENT_CASCADE_DELETION_FAILED"


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
    "CortexError",
    "FunctionError",
    "NotFoundError",
    "OverloadedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "UnexpectedResponseError",
    "ValidationError",
]


class GraphDatabaseError(CortexError):
    """The graph database (``cortex.graph``) failed an operation; the primary write is never undone by it."""

    default_code = "GRAPH_DATABASE_ERROR"


class GraphConnectionError(GraphDatabaseError):
    """The graph database cannot be reached (not running, wrong URI, refused credentials)."""

    default_code = "GRAPH_CONNECTION_ERROR"


class GraphQueryError(GraphDatabaseError):
    """The graph database rejected a query; ``details`` holds the query text (never its parameters)."""

    default_code = "GRAPH_QUERY_ERROR"


class GraphSyncError(GraphDatabaseError):
    """Syncing an entity to the graph failed. The entity is stored and queued for the sync worker."""

    default_code = "GRAPH_SYNC_ERROR"
