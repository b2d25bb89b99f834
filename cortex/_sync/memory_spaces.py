# generated from cortex/_async/memory_spaces.py by codegen/twins.py; do not edit
"""``cortex.memory_spaces``: the generated thin methods plus ``delete`` (checked, tenant-scoped cascade)."""

from __future__ import annotations

from typing import Any

from cortex._generated.args.memory_spaces import MemorySpacesDeleteSpaceArgs
from cortex._generated.calls_sync import memory_spaces as _calls
from cortex._generated.models import DeleteMemorySpaceOptions, DeleteMemorySpaceResult
from cortex._generated.namespaces_sync.memory_spaces import MemorySpacesBase
from cortex._input_checks import build, check_memory_space_id, raw_field
from cortex._mapping import LazyAdapter, validate_param
from cortex.errors import CortexError, ValidationError

__all__ = ["SyncMemorySpaces"]

_RESULT: LazyAdapter[DeleteMemorySpaceResult] = LazyAdapter(lambda: DeleteMemorySpaceResult)


def _check_options(memory_space_id: str, options: Any) -> None:
    if options is None:
        raise ValidationError("options are required", code="CASCADE_REQUIRED", field="cascade")
    if raw_field(options, "cascade") is not True:
        raise ValidationError(
            "cascade must be true to delete a memory space",
            code="CASCADE_REQUIRED",
            field="cascade",
        )
    reason = raw_field(options, "reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(
            "reason is required and cannot be empty", code="MISSING_REASON", field="reason"
        )
    confirm = raw_field(options, "confirmId", "confirm_id")
    if confirm is not None and confirm != memory_space_id:
        raise ValidationError(
            f'confirmId "{confirm}" does not match memorySpaceId "{memory_space_id}"',
            code="CONFIRM_ID_MISMATCH",
            field="confirmId",
        )


class SyncMemorySpaces(MemorySpacesBase):
    """The memory space registry."""

    def delete(
        self,
        memory_space_id: str,
        options: DeleteMemorySpaceOptions | dict[str, Any],
    ) -> DeleteMemorySpaceResult:
        """Delete a memory space and everything in it (conversations, memories, facts, ...), within the client's
        tenant. ``options.cascade`` must be ``True`` and ``options.reason`` given; ``options.confirm_id``, when
        given, must equal ``memory_space_id``. A space that does not exist (for this tenant) raises
        ``CortexError`` with code ``MEMORYSPACE_NOT_FOUND`` and deletes nothing."""
        check_memory_space_id(memory_space_id)
        _check_options(memory_space_id, options)
        opts = validate_param(DeleteMemorySpaceOptions, options, "options")
        if self.get(memory_space_id) is None:
            raise CortexError(
                f"Memory space not found: {memory_space_id}", code="MEMORYSPACE_NOT_FOUND"
            )
        args = build(
            MemorySpacesDeleteSpaceArgs,
            memory_space_id=memory_space_id,
            tenant_id=self._ctx.auth.get("tenantId"),
            cascade=opts.cascade,
            reason=opts.reason,
            confirm_id=opts.confirm_id,
        )
        raw = _calls.memory_spaces_delete_space(
            self._ctx.transport, args, options=self._ctx.options
        )
        return _RESULT.parse(raw, "memory_spaces.delete")
