# generated from cortex/_async/mutable.py by codegen/twins.py; do not edit
"""``cortex.mutable``: the generated thin methods plus ``update`` (read, apply a callback, write) and ``purge``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from cortex._generated.args.mutable import MutableUpdateArgs
from cortex._generated.calls_sync import mutable as _calls
from cortex._generated.models import MutableAPIPurgeResult, MutableRecord
from cortex._generated.namespaces_sync.mutable import MutableBase
from cortex._input_checks import build, check_key, check_namespace
from cortex._mapping import LazyAdapter
from cortex.errors import CortexError, ValidationError

__all__ = ["SyncMutable"]

_RECORD: LazyAdapter[MutableRecord] = LazyAdapter(lambda: MutableRecord)


class SyncMutable(MutableBase):
    """Shared mutable key/value state."""

    def update(self, namespace: str, key: str, updater: Callable[..., Any]) -> MutableRecord:
        """Set ``key`` to ``updater(current value)`` and return the new record.

        The updater is a plain function (the async client also accepts one returning an awaitable). A missing key
        raises ``CortexError`` with code ``MUTABLE_KEY_NOT_FOUND`` without calling the updater. The read and the
        write are two calls: a concurrent writer between them is overwritten (as upstream).
        """
        check_namespace(namespace)
        check_key(key)
        if updater is None or not callable(updater):
            raise ValidationError(
                f"updater must be a function, got {type(updater).__name__}",
                code="INVALID_UPDATER_TYPE",
                field="updater",
            )
        record = self.get_record(namespace, key)
        if record is None:
            raise CortexError(
                f"MUTABLE_KEY_NOT_FOUND: {namespace}/{key}", code="MUTABLE_KEY_NOT_FOUND"
            )
        value = updater(record.value)
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise ValidationError(
                "the updater of a sync client must return a value, not an awaitable",
                code="INVALID_UPDATER_TYPE",
                field="updater",
            )
        raw = _calls.mutable_update(
            self._ctx.transport,
            build(
                MutableUpdateArgs,
                namespace=namespace,
                key=key,
                operation="custom",
                operand=value,
                tenant_id=self._ctx.auth.get("tenantId"),
            ),
            options=self._ctx.options,
        )
        return _RECORD.parse(raw, "mutable.update")

    def purge(self, namespace: str, key: str) -> MutableAPIPurgeResult:
        """Delete ``key`` (``delete`` under another name); a missing key raises ``MUTABLE_KEY_NOT_FOUND``."""
        check_namespace(namespace)
        check_key(key)
        deleted = self.delete(namespace, key)
        return MutableAPIPurgeResult.model_validate(deleted.model_dump(by_alias=True))
