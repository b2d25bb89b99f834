"""The ``sessions`` Convex module: user sessions (active / idle / ended) with free-form metadata and counters."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.sessions import (
    SessionsCountArgs,
    SessionsCreateArgs,
    SessionsEndAllArgs,
    SessionsEndArgs,
    SessionsExpireIdleArgs,
    SessionsGetArgs,
    SessionsIncrementMemoryCountArgs,
    SessionsIncrementMessageCountArgs,
    SessionsListArgs,
    SessionsTouchArgs,
)
from cortex.embedded import UNDEFINED, FunctionError, MutationCtx, QueryCtx, field, handler, js
from cortex.embedded.functions._common import index_range, page

TABLE = "sessions"
DEFAULT_LIMIT = 50
Doc = dict[str, Any]


def _find(ctx: QueryCtx, session_id: str) -> Doc | None:
    return (
        ctx.db.query(TABLE)
        .with_index("by_sessionId", lambda q: q.eq("sessionId", session_id))
        .first()
    )


def _require(ctx: QueryCtx, session_id: str) -> Doc:
    session = _find(ctx, session_id)
    if session is None:
        raise FunctionError(f"Session not found: {session_id}")
    return session


def _by(ctx: QueryCtx, index: str, **equal: Any) -> list[Doc]:
    """Every session of an index range given by equalities on the index's leading fields (in order)."""
    return ctx.db.query(TABLE).with_index(index, index_range(**equal)).collect()


def _not_ended(session: Doc) -> bool:
    return bool(session["status"] != "ended")


@handler(SessionsCreateArgs)
def create(ctx: MutationCtx, args: SessionsCreateArgs) -> Doc:
    """Start a session at ``startedAt`` (a duplicate ``sessionId`` is not rejected, as upstream). The returned
    value is the inserted fields plus ``_id`` (no ``_creationTime``)."""
    session: Doc = {"sessionId": args.session_id, "userId": args.user_id}
    if args.tenant_id is not None:
        session["tenantId"] = args.tenant_id
    if args.memory_space_id is not None:
        session["memorySpaceId"] = args.memory_space_id
    session |= {"status": "active", "startedAt": args.started_at, "lastActiveAt": args.started_at}
    if args.expires_at is not None:
        session["expiresAt"] = args.expires_at
    if "metadata" in args.model_fields_set:
        session["metadata"] = args.metadata
    session |= {"messageCount": 0, "memoryCount": 0}
    doc_id = ctx.db.insert(TABLE, session)
    return {"_id": doc_id, **session}


@handler(SessionsGetArgs)
def get(ctx: QueryCtx, args: SessionsGetArgs) -> Doc | None:
    """A session, or null."""
    return _find(ctx, args.session_id)


@handler(SessionsTouchArgs)
def touch(ctx: MutationCtx, args: SessionsTouchArgs) -> None:
    """Record activity: ``lastActiveAt`` = now and status back to ``active``."""
    session = _require(ctx, args.session_id)
    ctx.db.patch(session["_id"], {"lastActiveAt": ctx.now(), "status": "active"})


@handler(SessionsEndArgs)
def end(ctx: MutationCtx, args: SessionsEndArgs) -> None:
    """End a session (``status: "ended"``, ``endedAt`` = now)."""
    session = _require(ctx, args.session_id)
    ctx.db.patch(session["_id"], {"status": "ended", "endedAt": ctx.now()})


@handler(SessionsEndAllArgs)
def end_all(ctx: MutationCtx, args: SessionsEndAllArgs) -> Doc:
    """End every session of a user that has not ended (within the tenant when given, else across tenants)."""
    if args.tenant_id:
        sessions = _by(ctx, "by_tenant_user", tenantId=args.tenant_id, userId=args.user_id)
    else:
        sessions = _by(ctx, "by_userId", userId=args.user_id)
    now = ctx.now()
    ended: list[str] = []
    for session in filter(_not_ended, sessions):
        ctx.db.patch(session["_id"], {"status": "ended", "endedAt": now})
        ended.append(session["sessionId"])
    return {"ended": len(ended), "sessionIds": ended}


@handler(SessionsListArgs)
def list_(ctx: QueryCtx, args: SessionsListArgs) -> list[Doc]:
    """Sessions matching every given filter, in index order, then ``offset``/``limit`` (default 50)."""
    tenant, user, space, status = args.tenant_id, args.user_id, args.memory_space_id, args.status
    if tenant and user:
        sessions = _by(ctx, "by_tenant_user", tenantId=tenant, userId=user)
    elif tenant and status:
        sessions = _by(ctx, "by_tenant_status", tenantId=tenant, status=status)
    elif tenant:
        sessions = _by(ctx, "by_tenantId", tenantId=tenant)
    elif user:
        sessions = _by(ctx, "by_userId", userId=user)
    elif space:
        sessions = _by(ctx, "by_memorySpace", memorySpaceId=space)
    elif status:
        sessions = _by(ctx, "by_status", status=status)
    else:
        sessions = ctx.db.query(TABLE).collect()
    if space and (tenant or user):
        sessions = [s for s in sessions if s.get("memorySpaceId") == space]
    # upstream skips the status filter when a tenant is given together with a user (or with only a space)
    if status and (user or (space and not tenant)):
        sessions = [s for s in sessions if s["status"] == status]
    offset = args.offset if args.offset is not None else 0
    limit = args.limit if args.limit is not None else DEFAULT_LIMIT
    return page(sessions, offset, limit)


@handler(SessionsCountArgs)
def count(ctx: QueryCtx, args: SessionsCountArgs) -> int:
    """How many sessions match every given filter."""
    tenant, user, space, status = args.tenant_id, args.user_id, args.memory_space_id, args.status
    if tenant and status:
        sessions = _by(ctx, "by_tenant_status", tenantId=tenant, status=status)
    elif tenant:
        sessions = _by(ctx, "by_tenantId", tenantId=tenant)
    elif user:
        sessions = _by(ctx, "by_userId", userId=user)
    elif space:
        sessions = _by(ctx, "by_memorySpace", memorySpaceId=space)
    elif status:
        sessions = _by(ctx, "by_status", status=status)
    else:
        sessions = ctx.db.query(TABLE).collect()
    if user and tenant:
        sessions = [s for s in sessions if s["userId"] == user]
    if space and (tenant or user):
        sessions = [s for s in sessions if s.get("memorySpaceId") == space]
    if status and not tenant and (user or space):
        sessions = [s for s in sessions if s["status"] == status]
    return len(sessions)


@handler(SessionsExpireIdleArgs)
def expire_idle(ctx: MutationCtx, args: SessionsExpireIdleArgs) -> Doc:
    """End active/idle sessions (of the tenant, when given) whose last activity is older than ``idleTimeout``."""
    now = ctx.now()
    cutoff = now - args.idle_timeout
    live = (field("status") == "active") | (field("status") == "idle")
    if args.tenant_id:
        tenant = args.tenant_id
        query = ctx.db.query(TABLE).with_index("by_tenantId", lambda q: q.eq("tenantId", tenant))
    else:
        query = ctx.db.query(TABLE).full_table_scan()
    stale = [s for s in query.filter(live).collect() if s["lastActiveAt"] < cutoff]
    for session in stale:
        ctx.db.patch(session["_id"], {"status": "ended", "endedAt": now})
    return {"expired": len(stale)}


def _increment(ctx: MutationCtx, session_id: str, counter: str) -> None:
    session = _find(ctx, session_id)
    if session is None:
        return  # upstream ignores unknown sessions here
    current = session.get(counter)
    value = 0 if current is None or current is UNDEFINED else current
    ctx.db.patch(session["_id"], {counter: js.add(value, 1), "lastActiveAt": ctx.now()})


@handler(SessionsIncrementMessageCountArgs)
def increment_message_count(ctx: MutationCtx, args: SessionsIncrementMessageCountArgs) -> None:
    """Add one to ``messageCount`` and record activity; nothing happens for an unknown session."""
    _increment(ctx, args.session_id, "messageCount")


@handler(SessionsIncrementMemoryCountArgs)
def increment_memory_count(ctx: MutationCtx, args: SessionsIncrementMemoryCountArgs) -> None:
    """Add one to ``memoryCount`` and record activity; nothing happens for an unknown session."""
    _increment(ctx, args.session_id, "memoryCount")
