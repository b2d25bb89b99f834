"""``cortex.sessions``: the generated thin methods plus ``get``, ``get_active``, ``get_or_create`` and ``end``.

Tenant isolation is done on the client as upstream does: with a ``tenantId`` in the auth context, a session of
another tenant reads as absent and cannot be ended.
"""

from __future__ import annotations

import builtins
from typing import Any

from cortex._generated.args.sessions import SessionsEndArgs, SessionsGetArgs
from cortex._generated.calls import sessions as _calls
from cortex._generated.models import CreateSessionParams, Session, SessionFilters, SessionMetadata
from cortex._generated.namespaces.sessions import SessionsBase
from cortex._input_checks import build, check_text
from cortex._mapping import LazyAdapter, validate_param
from cortex.errors import CortexError, ValidationError

__all__ = ["AsyncSessions"]

PAGE = 500
_SESSION: LazyAdapter[Session | None] = LazyAdapter(lambda: Session | None)


def _check_session_id(value: Any) -> str:
    return check_text(
        value,
        "sessionId",
        missing="EMPTY_SESSION_ID",
        invalid="INVALID_SESSION_ID",
        max_len=256,
        too_long="SESSION_ID_TOO_LONG",
    )


def _check_user_id(value: Any) -> str:
    return check_text(
        value,
        "userId",
        missing="EMPTY_USER_ID",
        invalid="INVALID_USER_ID",
        max_len=256,
        too_long="USER_ID_TOO_LONG",
    )


class AsyncSessions(SessionsBase):
    """Sessions of users: lifecycle and lookups."""

    async def get(self, session_id: str) -> Session | None:
        """The session ``session_id``, or ``None`` when it does not exist or belongs to another tenant than the
        client's auth context."""
        _check_session_id(session_id)
        raw = await _calls.sessions_get(
            self._ctx.transport,
            build(SessionsGetArgs, session_id=session_id),
            options=self._ctx.options,
        )
        session = _SESSION.parse(raw, "sessions.get")
        tenant = self._ctx.auth.get("tenantId")
        if session is not None and session.tenant_id and tenant and session.tenant_id != tenant:
            return None
        return session

    async def get_active(self, user_id: str) -> builtins.list[Session]:
        """Every active session of ``user_id`` (all pages), in the backend's order."""
        _check_user_id(user_id)
        found: builtins.list[Session] = []
        offset = 0
        while True:
            page = await self.list(
                SessionFilters(user_id=user_id, status="active", limit=PAGE, offset=offset)
            )
            found.extend(s for s in page if s.status == "active")
            if len(page) < PAGE:
                return found
            offset += PAGE

    async def get_or_create(
        self, user_id: str, metadata: SessionMetadata | dict[str, Any] | None = None
    ) -> Session:
        """The most recently active session of ``user_id``, else a new one with ``metadata``."""
        _check_user_id(user_id)
        if metadata is not None and not isinstance(metadata, (dict, SessionMetadata)):
            raise ValidationError(
                "metadata must be an object", code="INVALID_METADATA", field="metadata"
            )
        active = await self.get_active(user_id)
        if active:
            return max(active, key=lambda s: s.last_active_at)
        return await self.create(
            validate_param(
                CreateSessionParams, {"user_id": user_id, "metadata": metadata}, "metadata"
            )
        )

    async def end(self, session_id: str) -> None:
        """End the session ``session_id`` (status ``ended``). With a tenant in the auth context, a session that
        is missing or belongs to another tenant raises ``CortexError`` with code ``SESSION_NOT_FOUND``."""
        _check_session_id(session_id)
        if self._ctx.auth.get("tenantId") and await self.get(session_id) is None:
            raise CortexError(f"Session not found: {session_id}", code="SESSION_NOT_FOUND")
        await _calls.sessions_end(
            self._ctx.transport,
            build(SessionsEndArgs, session_id=session_id),
            options=self._ctx.options,
        )
