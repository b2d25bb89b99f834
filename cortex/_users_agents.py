"""Pure rules shared by the hand-written ``users`` and ``agents`` namespaces (no I/O, so no sync twin).

Input validation (raising ``ValidationError`` with the codes the TypeScript SDK uses), the cascade-deletion errors,
the deep merge of profile data and the CSV cell quoting of the exports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cortex.errors import AgentCascadeDeletionError as AgentCascadeDeletionError
from cortex.errors import CascadeDeletionError as CascadeDeletionError
from cortex.errors import ValidationError

__all__ = [
    "AgentCascadeDeletionError",
    "CascadeDeletionError",
    "csv_cell",
    "deep_merge",
]


# -- shared helpers ---------------------------------------------------------------------------------------------


def deep_merge(target: Mapping[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """``source`` laid over ``target``: nested mappings merge key by key, anything else is replaced."""
    out = dict(target)
    for key, value in source.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def csv_cell(value: str) -> str:
    """A CSV cell: quoted (with doubled quotes) when it holds a comma, a quote or a newline."""
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _fail(message: str, code: str, field: str | None = None) -> ValidationError:
    return ValidationError(message, code=code, field=field)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# -- users ------------------------------------------------------------------------------------------------------


def check_user_id(user_id: Any, field: str = "userId") -> None:
    if user_id is None:
        raise _fail(f"{field} is required", "MISSING_USER_ID", field)
    if not isinstance(user_id, str):
        raise _fail(f"{field} must be a string", "INVALID_USER_ID_FORMAT", field)
    if not user_id.strip():
        raise _fail(f"{field} cannot be empty", "INVALID_USER_ID_FORMAT", field)


def check_data(data: Any, field: str = "data") -> None:
    if data is None:
        raise _fail(f"{field} is required", "MISSING_DATA", field)
    if not isinstance(data, Mapping):
        raise _fail(f"{field} must be an object", "INVALID_DATA_TYPE", field)


def check_version(version: Any) -> None:
    if not _is_number(version):
        raise _fail("version must be a valid number", "INVALID_VERSION_NUMBER", "version")
    if int(version) != version:
        raise _fail("version must be an integer", "INVALID_VERSION_NUMBER", "version")
    if version < 1:
        raise _fail(f"version must be >= 1, got {version}", "INVALID_VERSION_RANGE", "version")


def check_timestamp(value: Any, field: str = "timestamp") -> None:
    if value is None or not _is_number(value):
        raise _fail(f"{field} must be a valid numeric timestamp", "INVALID_TIMESTAMP", field)
    if value < 0:
        raise _fail(f"{field} cannot be negative", "INVALID_TIMESTAMP", field)


def check_user_filters(filters: Any) -> None:
    """Limits, offsets, date ranges and text filters of ``ListUsersFilter``/``UserFilters`` (a model)."""
    if filters is None:
        return
    limit, offset = filters.limit, filters.offset
    if limit is not None and not 1 <= limit <= 1000:
        raise _fail(
            f"filters.limit must be between 1 and 1000, got {limit}",
            "INVALID_LIMIT",
            "filters.limit",
        )
    if offset is not None and offset < 0:
        raise _fail(
            f"filters.offset must be >= 0, got {offset}", "INVALID_OFFSET", "filters.offset"
        )
    for name in ("created_after", "created_before", "updated_after", "updated_before"):
        value = getattr(filters, name)
        if value is not None:
            check_timestamp(value, f"filters.{name}")
    for low, high in (("created_after", "created_before"), ("updated_after", "updated_before")):
        a, b = getattr(filters, low), getattr(filters, high)
        if a is not None and b is not None and a >= b:
            raise _fail(f"{low} must be before {high}", "INVALID_DATE_RANGE", f"filters.{low}")
    if filters.display_name is not None and len(filters.display_name) > 200:
        raise _fail(
            "displayName filter cannot exceed 200 characters",
            "INVALID_DISPLAY_NAME_FILTER",
            "filters.displayName",
        )
    if filters.email is not None and len(filters.email) > 254:
        raise _fail(
            "email filter cannot exceed 254 characters", "INVALID_EMAIL_FILTER", "filters.email"
        )


def check_user_ids(user_ids: Sequence[Any]) -> None:
    if not user_ids:
        raise _fail("userIds array cannot be empty", "EMPTY_USER_IDS_ARRAY", "userIds")
    if len(user_ids) > 100:
        raise _fail(
            f"userIds array cannot exceed 100 items, got {len(user_ids)}",
            "USER_ID_ARRAY_TOO_LARGE",
            "userIds",
        )
    for i, user_id in enumerate(user_ids):
        try:
            check_user_id(user_id, f"userIds[{i}]")
        except ValidationError as exc:
            raise _fail(
                f"Invalid userId at index {i}: {exc.message}", exc.code, f"userIds[{i}]"
            ) from None
    if len(set(user_ids)) != len(user_ids):
        raise _fail("Duplicate userIds found in array", "INVALID_DATA_TYPE", "userIds")


def check_bool_options(options: Any, names: Sequence[str], code: str) -> None:
    """Each named option, when given, is a boolean (dict input can carry anything)."""
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise _fail("Options must be an object", code, "options")
    for name in names:
        value = options.get(name)
        if value is not None and not isinstance(value, bool):
            raise _fail(f"options.{name} must be a boolean", code, f"options.{name}")


# -- agents -----------------------------------------------------------------------------------------------------

AGENT_STATUSES = ("active", "inactive", "archived")


def check_agent_id(agent_id: Any, field: str = "agentId") -> None:
    if agent_id is None:
        raise _fail(f"{field} is required", "MISSING_AGENT_ID", field)
    if not isinstance(agent_id, str):
        raise _fail(f"{field} must be a string", "INVALID_AGENT_ID_FORMAT", field)
    if not agent_id.strip():
        raise _fail(f"{field} cannot be empty or whitespace only", "EMPTY_AGENT_ID", field)
    if len(agent_id) > 256:
        raise _fail(
            f"{field} cannot exceed 256 characters, got {len(agent_id)}", "AGENT_ID_TOO_LONG", field
        )


def check_agent_name(name: Any, field: str = "name") -> None:
    if name is None:
        raise _fail(f"{field} is required", "MISSING_AGENT_NAME", field)
    if not isinstance(name, str):
        raise _fail(f"{field} must be a string", "INVALID_NAME_FORMAT", field)
    if not name.strip():
        raise _fail(f"{field} cannot be empty or whitespace only", "EMPTY_AGENT_NAME", field)
    if len(name) > 200:
        raise _fail(
            f"{field} cannot exceed 200 characters, got {len(name)}", "AGENT_NAME_TOO_LONG", field
        )


def check_object(value: Any, field: str) -> None:
    """``metadata``/``config``: a plain mapping when given."""
    code = "INVALID_CONFIG_FORMAT" if field.endswith("config") else "INVALID_METADATA_FORMAT"
    if value is not None and not isinstance(value, Mapping):
        raise _fail(f"{field} must be a plain object", code, field)


def check_agent_status(status: Any, field: str = "status") -> None:
    if not isinstance(status, str) or not status:
        raise _fail(f"{field} is required and must be a string", "INVALID_STATUS_VALUE", field)
    if status not in AGENT_STATUSES:
        raise _fail(
            f"Invalid status {status!r}. Valid values: {', '.join(AGENT_STATUSES)}",
            "INVALID_STATUS",
            field,
        )


def check_agent_filters(filters: Any) -> None:
    """Limits, offset and the registration range of an ``AgentFilters`` model (enums are checked by the model)."""
    if filters is None:
        return
    if filters.limit is not None and not 1 <= filters.limit <= 1000:
        raise _fail(
            f"limit must be between 1 and 1000, got {filters.limit}", "INVALID_LIMIT_VALUE", "limit"
        )
    if filters.offset is not None and filters.offset < 0:
        raise _fail(f"offset must be >= 0, got {filters.offset}", "INVALID_OFFSET_VALUE", "offset")
    after, before = filters.registered_after, filters.registered_before
    if after is not None and before is not None and after >= before:
        raise _fail("registeredAfter must be before registeredBefore", "INVALID_TIMESTAMP_RANGE")


def check_unregister_options(options: Any) -> None:
    if options is not None and options.dry_run is True and options.verify is False:
        raise _fail(
            "Cannot disable verification in dry run mode. Set verify=true or remove verify option.",
            "CONFLICTING_OPTIONS",
        )
