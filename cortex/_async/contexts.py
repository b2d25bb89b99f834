"""``cortex.contexts``: the generated thin methods plus ``search`` (``list`` with upstream's input checks)."""

from __future__ import annotations

import builtins
from typing import Any

from cortex._generated.models import Context, ListContextsFilter
from cortex._generated.namespaces.contexts import ContextsBase
from cortex._input_checks import (
    check_choice,
    check_context_id,
    check_int_range,
    check_text,
    raw_field,
)
from cortex._mapping import validate_param

__all__ = ["AsyncContexts"]

STATUSES = ("active", "completed", "cancelled", "blocked")


def _check_filter(filter: Any) -> None:
    for alias, name in (("memorySpaceId", "memory_space_id"), ("userId", "user_id")):
        value = raw_field(filter, alias, name)
        if value is not None:
            check_text(value, alias, missing="MISSING_REQUIRED_FIELD")
    check_choice(raw_field(filter, "status"), "status", STATUSES, "INVALID_STATUS")
    for alias, name in (("parentId", "parent_id"), ("rootId", "root_id")):
        value = raw_field(filter, alias, name)
        if value is not None:
            check_context_id(value, alias)
    check_int_range(raw_field(filter, "depth"), "depth", "INVALID_RANGE", low=0)
    check_int_range(raw_field(filter, "limit"), "limit", "INVALID_RANGE", low=1, high=1000)


class AsyncContexts(ContextsBase):
    """Context chains (hierarchical workflows) of memory spaces."""

    async def search(
        self, filter: ListContextsFilter | dict[str, Any] | None = None
    ) -> builtins.list[Context]:
        """Contexts matching ``filter`` (memory space, user, status, parent, root, depth, limit), scoped to the
        client's tenant: ``list`` after checking the filter."""
        _check_filter(filter)
        if filter is not None:
            filter = validate_param(ListContextsFilter, filter, "filter")
        return await self.list(filter)
