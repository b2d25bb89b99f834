"""The ``users`` Convex module: user profiles, stored as ``immutable`` entries of type ``"user"``.

Profiles are written through ``immutable:store``; this module reads them and deletes one profile (the SDK
orchestrates cascades across the other layers itself).
"""

from __future__ import annotations

from typing import Any

from cortex._generated.args.users import (
    UsersCountArgs,
    UsersDeleteUserProfileArgs,
    UsersExistsArgs,
    UsersGetArgs,
    UsersGetAtTimestampArgs,
    UsersGetHistoryArgs,
    UsersGetVersionArgs,
    UsersListArgs,
)
from cortex.embedded import MutationCtx, QueryCtx, handler, js

TABLE = "immutable"
USER_TYPE = "user"
Doc = dict[str, Any]


def _profile_entry(ctx: QueryCtx, user_id: str) -> Doc | None:
    """The first ``immutable`` entry of type ``user`` with this id (of any tenant)."""
    return (
        ctx.db.query(TABLE)
        .with_index("by_type_id", lambda q: q.eq("type", USER_TYPE).eq("id", user_id))
        .first()
    )


def _profiles(ctx: QueryCtx) -> Any:
    return ctx.db.query(TABLE).with_index("by_type", lambda q: q.eq("type", USER_TYPE))


def _profile(entry: Doc) -> Doc:
    return {
        "id": entry["id"],
        "data": entry["data"],
        "version": entry["version"],
        "createdAt": entry["createdAt"],
        "updatedAt": entry["updatedAt"],
    }


def _version(version: Any, data: Any, timestamp: Any) -> Doc:
    return {"version": version, "data": data, "timestamp": timestamp}


@handler(UsersGetArgs)
def get(ctx: QueryCtx, args: UsersGetArgs) -> Doc | None:
    """The profile (current version), or null."""
    entry = _profile_entry(ctx, args.user_id)
    return _profile(entry) if entry is not None else None


@handler(UsersListArgs)
def list_(ctx: QueryCtx, args: UsersListArgs) -> list[Doc]:
    """Profiles in creation order; the first ``limit`` when a (non-zero) limit is given."""
    query = _profiles(ctx)
    limit = args.limit
    entries = query.take(int(limit)) if limit is not None and js.truthy(limit) else query.collect()
    return [_profile(e) for e in entries]


@handler(UsersCountArgs)
def count(ctx: QueryCtx, args: UsersCountArgs) -> int:
    """How many profiles exist."""
    return len(_profiles(ctx).collect())


@handler(UsersGetVersionArgs)
def get_version(ctx: QueryCtx, args: UsersGetVersionArgs) -> Doc | None:
    """One version of a profile, or null."""
    entry = _profile_entry(ctx, args.user_id)
    if entry is None:
        return None
    if entry["version"] == args.version:
        return _version(entry["version"], entry["data"], entry["updatedAt"])
    for previous in entry["previousVersions"]:
        if previous["version"] == args.version:
            return _version(previous["version"], previous.get("data"), previous["timestamp"])
    return None


@handler(UsersGetHistoryArgs)
def get_history(ctx: QueryCtx, args: UsersGetHistoryArgs) -> list[Doc]:
    """Every version of a profile, newest first."""
    entry = _profile_entry(ctx, args.user_id)
    if entry is None:
        return []
    history = [_version(entry["version"], entry["data"], entry["updatedAt"])]
    history += [
        _version(p["version"], p.get("data"), p["timestamp"]) for p in entry["previousVersions"]
    ]
    history.sort(key=lambda h: h["version"], reverse=True)
    return history


@handler(UsersGetAtTimestampArgs)
def get_at_timestamp(ctx: QueryCtx, args: UsersGetAtTimestampArgs) -> Doc | None:
    """The profile version current at ``timestamp``, or null."""
    entry = _profile_entry(ctx, args.user_id)
    if entry is None or entry["createdAt"] > args.timestamp:
        return None
    if entry["updatedAt"] <= args.timestamp:
        return _version(entry["version"], entry["data"], entry["updatedAt"])
    earlier = [p for p in entry["previousVersions"] if p["timestamp"] <= args.timestamp]
    if not earlier:
        return None
    latest = max(earlier, key=lambda p: p["timestamp"])
    return _version(latest["version"], latest.get("data"), latest["timestamp"])


@handler(UsersDeleteUserProfileArgs)
def delete_user_profile(ctx: MutationCtx, args: UsersDeleteUserProfileArgs) -> Doc:
    """Delete the profile entry only (no cascade); ``{"deleted": false}`` when there is none."""
    entry = _profile_entry(ctx, args.user_id)
    if entry is None:
        return {"deleted": False}
    ctx.db.delete(entry["_id"])
    return {"deleted": True}


@handler(UsersExistsArgs)
def exists(ctx: QueryCtx, args: UsersExistsArgs) -> bool:
    """Whether a profile exists."""
    return _profile_entry(ctx, args.user_id) is not None
