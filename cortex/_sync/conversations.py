# generated from cortex/_async/conversations.py by codegen/twins.py; do not edit
"""``cortex.conversations``: the generated thin methods plus ``list`` (its ``messageCount`` filter is either one
count or a ``{min, max}`` range, which the generated mapping cannot express)."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.conversations import ConversationsListArgs
from cortex._generated.calls_sync import conversations as _calls
from cortex._generated.models import ListConversationsFilter, ListConversationsResult
from cortex._generated.namespaces_sync.conversations import ConversationsBase
from cortex._input_checks import build, check_choice, check_int_range, raw_field
from cortex._mapping import LazyAdapter, validate_param

__all__ = ["SyncConversations"]

_RESULT: LazyAdapter[ListConversationsResult] = LazyAdapter(lambda: ListConversationsResult)


def _check_filter(filter: Any) -> None:
    check_choice(raw_field(filter, "type"), "type", ("user-agent", "agent-agent"), "INVALID_TYPE")
    check_int_range(raw_field(filter, "limit"), "limit", "INVALID_RANGE", low=1, high=1000)
    check_int_range(raw_field(filter, "offset"), "offset", "INVALID_RANGE", low=0)
    check_choice(
        raw_field(filter, "sortOrder", "sort_order"),
        "sortOrder",
        ("asc", "desc"),
        "INVALID_SORT_ORDER",
    )


class SyncConversations(ConversationsBase):
    """Conversations (the ACID message log) of memory spaces."""

    def list(
        self, filter: ListConversationsFilter | dict[str, Any] | None = None
    ) -> ListConversationsResult:
        """One page of conversations matching ``filter`` (type, user, memory space, tenant (default: the
        client's), participant, time ranges, ``message_count`` as an exact count or ``{min, max}``), sorted by
        ``sort_by``/``sort_order``, with ``total`` and ``has_more``. ``metadata`` is not a backend filter and is
        ignored, as upstream."""
        _check_filter(filter)
        f = validate_param(ListConversationsFilter, filter if filter is not None else {}, "filter")
        count_min: float | None = None
        count_max: float | None = None
        if isinstance(f.message_count, int):
            count_min = count_max = f.message_count
        elif f.message_count is not None:
            count_min, count_max = f.message_count.min, f.message_count.max
        tenant = f.tenant_id if f.tenant_id is not None else self._ctx.auth.get("tenantId")
        raw = _calls.conversations_list(
            self._ctx.transport,
            build(
                ConversationsListArgs,
                type=f.type,
                user_id=f.user_id,
                memory_space_id=f.memory_space_id,
                tenant_id=tenant,
                participant_id=f.participant_id,
                created_before=f.created_before,
                created_after=f.created_after,
                updated_before=f.updated_before,
                updated_after=f.updated_after,
                last_message_before=f.last_message_before,
                last_message_after=f.last_message_after,
                message_count_min=count_min,
                message_count_max=count_max,
                limit=f.limit,
                offset=f.offset,
                sort_by=f.sort_by,
                sort_order=f.sort_order,
                include_messages=f.include_messages,
            ),
            options=self._ctx.options,
        )
        return _RESULT.parse(raw, "conversations.list")
