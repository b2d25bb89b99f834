"""The memory-space-wide half of ``cortex.memory``: listing, counting, bulk updates and deletes, export,
archive, versions, and the fact bookkeeping they share (facts linked to a memory by ``sourceRef``).

``AsyncMemoryBulk`` is a base of ``AsyncMemory`` (``cortex._async.memory``); it needs the namespace's context,
vector layer, facts namespace and state, which ``AsyncMemory.__init__`` provides.
"""

from __future__ import annotations

import builtins
import json
import logging
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from cortex._async.facts import AsyncFacts
from cortex._async.memory_state import AsyncMemoryState
from cortex._context import AsyncContext
from cortex._generated.models import (
    ArchiveResult,
    CountMemoriesFilter,
    DeleteFactOptions,
    DeleteManyResult,
    EnrichedMemory,
    ExportMemoriesOptions,
    FactRecord,
    ListFactsFilter,
    ListMemoriesFilter,
    MemoryAPIDeleteManyFilter,
    MemoryAPIExportResult,
    MemoryAPIGetAtTimestampResult,
    MemoryAPIGetHistoryResultItem,
    MemoryAPIGetVersionResult,
    MemoryAPIUpdateManyFilter,
    MemoryAPIUpdateManyUpdates,
    MemoryEntry,
    UpdateFactInput,
    UpdateManyResult,
    VectorAPIDeleteManyFilter,
    VectorAPIExportOptions,
)
from cortex._generated.namespaces.conversations import ConversationsBase
from cortex._generated.namespaces.vector import VectorBase
from cortex._helpers import now
from cortex._mapping import validate_optional
from cortex.errors import CortexError, ValidationError

log = logging.getLogger("cortex")

FACT_SCAN_LIMIT = 10_000

M = TypeVar("M", bound=BaseModel)


def _require(value: str | None, field: str) -> None:
    if value is None or not str(value).strip():
        raise ValidationError(f"{field} is required", code="MISSING_REQUIRED_FIELD", field=field)


def _linked(fact: FactRecord, memory_id: str, conversation_id: str | None) -> bool:
    ref = fact.source_ref
    if ref is None:
        return False
    return ref.memory_id == memory_id or (
        conversation_id is not None and ref.conversation_id == conversation_id
    )


class AsyncMemoryBulk:
    """Space-wide memory operations and the facts bookkeeping (a base of ``AsyncMemory``)."""

    _ctx: AsyncContext
    _state: AsyncMemoryState
    _facts: AsyncFacts
    _vector: VectorBase
    _conversations: ConversationsBase

    async def _enrich(
        self, space: str, memories: builtins.list[MemoryEntry]
    ) -> builtins.list[EnrichedMemory]:
        conversations: dict[str, Any] = {}
        for m in memories:
            ref = m.conversation_ref
            if ref is not None and ref.conversation_id not in conversations:
                conversations[ref.conversation_id] = await self._conversations.get(
                    ref.conversation_id
                )
        facts = await self._space_facts(space)
        out = []
        for m in memories:
            ref = m.conversation_ref
            conv = conversations.get(ref.conversation_id) if ref is not None else None
            related = {
                f.fact_id: f
                for f in facts
                if _linked(f, m.memory_id, ref.conversation_id if ref else None)
            }
            out.append(
                EnrichedMemory(
                    memory=m,
                    conversation=conv,
                    source_messages=[x for x in conv.messages if x.id in ref.message_ids]
                    if conv and ref
                    else None,
                    facts=list(related.values()) or None,
                )
            )
        return out

    async def _space_facts(self, space: str) -> builtins.list[FactRecord]:
        found: builtins.list[FactRecord] = await self._facts.list(
            ListFactsFilter(memory_space_id=space, limit=FACT_SCAN_LIMIT)
        )
        return found

    async def _cascade(
        self, space: str, memory_id: str, conversation_id: str | None, sync_graph: bool
    ) -> builtins.list[str]:
        deleted = []
        current = now()
        for fact in await self._space_facts(space):
            ended = fact.valid_until is not None and fact.valid_until <= current
            if _linked(fact, memory_id, conversation_id) and not ended:
                try:
                    await self._facts.delete(
                        space, fact.fact_id, DeleteFactOptions(sync_to_graph=sync_graph)
                    )
                    deleted.append(fact.fact_id)
                except CortexError as exc:
                    log.warning("could not delete linked fact %s: %s", fact.fact_id, exc)
        return deleted

    async def archive(self, memory_space_id: str, memory_id: str) -> ArchiveResult:
        """Archive a memory (restorable) and mark its facts as no longer valid (tag ``archived``)."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        memory = await self._vector.get(memory_space_id, memory_id)
        if memory is None:
            raise CortexError(f"memory {memory_id} not found", code="MEMORY_NOT_FOUND")
        ref = memory.conversation_ref
        archived: builtins.list[str] = []
        for fact in await self._space_facts(memory_space_id):
            if _linked(fact, memory_id, ref.conversation_id if ref else None):
                try:
                    await self._facts.update(
                        memory_space_id,
                        fact.fact_id,
                        UpdateFactInput(valid_until=now(), tags=[*fact.tags, "archived"]),
                    )
                    archived.append(fact.fact_id)
                except CortexError as exc:
                    log.warning("archive: could not archive fact %s: %s", fact.fact_id, exc)
        result = await self._vector.archive(memory_space_id, memory_id)
        return ArchiveResult.model_validate(
            {**result.model_dump(), "facts_archived": len(archived), "fact_ids": archived}
        )

    # -- many memories ---------------------------------------------------------------------------------------

    async def list(
        self, filter: ListMemoriesFilter | dict[str, Any]
    ) -> builtins.list[MemoryEntry] | builtins.list[EnrichedMemory]:
        """Memories of a space (newest first); ``enrich_facts`` adds each memory's facts."""
        flt: ListMemoriesFilter = validate_optional(ListMemoriesFilter, filter, "filter")
        _require(flt.memory_space_id, "memorySpaceId")
        if flt.limit is not None and flt.limit < 0:
            raise ValidationError("limit must not be negative", code="INVALID_LIMIT", field="limit")
        memories: builtins.list[MemoryEntry] = await self._vector.list(flt)
        if not flt.enrich_facts:
            return memories
        facts = await self._space_facts(flt.memory_space_id)
        by_memory: dict[str, builtins.list[FactRecord]] = {}
        for fact in facts:
            if fact.source_ref is not None and fact.source_ref.memory_id:
                by_memory.setdefault(fact.source_ref.memory_id, []).append(fact)
        return [EnrichedMemory(memory=m, facts=by_memory.get(m.memory_id)) for m in memories]

    async def count(self, filter: CountMemoriesFilter | dict[str, Any]) -> float:
        """How many memories of a space match."""
        flt = validate_optional(CountMemoriesFilter, filter, "filter")
        _require(flt.memory_space_id, "memorySpaceId")
        return await self._vector.count(flt)

    async def update_many(
        self,
        filter: MemoryAPIUpdateManyFilter | dict[str, Any],
        updates: MemoryAPIUpdateManyUpdates | dict[str, Any],
    ) -> UpdateManyResult:
        """Update importance/tags of every matching memory; reports how many facts came from them."""
        flt = validate_optional(MemoryAPIUpdateManyFilter, filter, "filter")
        updates = validate_optional(MemoryAPIUpdateManyUpdates, updates, "updates")
        _require(flt.memory_space_id, "memorySpaceId")
        if not updates.model_fields_set:
            raise ValidationError(
                "at least one field must be updated", code="MISSING_UPDATES", field="updates"
            )
        result = await self._vector.update_many(
            flt.model_dump(exclude_unset=True), updates.model_dump(exclude_unset=True)
        )
        ids = set(result.memory_ids)
        facts = await self._space_facts(flt.memory_space_id)
        affected = sum(
            1 for f in facts if f.source_ref is not None and f.source_ref.memory_id in ids
        )
        return UpdateManyResult.model_validate({**result.model_dump(), "facts_affected": affected})

    async def delete_many(
        self, filter: MemoryAPIDeleteManyFilter | dict[str, Any]
    ) -> DeleteManyResult:
        """Delete every matching memory and the facts extracted from them."""
        flt = validate_optional(MemoryAPIDeleteManyFilter, filter, "filter")
        _require(flt.memory_space_id, "memorySpaceId")
        memories = await self._vector.list(
            ListMemoriesFilter(
                memory_space_id=flt.memory_space_id,
                user_id=flt.user_id,
                source_type=flt.source_type,
                limit=FACT_SCAN_LIMIT,
            )
        )
        fact_ids: builtins.list[str] = []
        for m in memories:
            ref = m.conversation_ref
            fact_ids += await self._cascade(
                flt.memory_space_id,
                m.memory_id,
                ref.conversation_id if ref else None,
                self._ctx.graph is not None,
            )
        result = await self._vector.delete_many(
            VectorAPIDeleteManyFilter.model_validate(flt.model_dump(exclude_unset=True))
        )
        return DeleteManyResult.model_validate(
            {**result.model_dump(), "facts_deleted": len(fact_ids), "fact_ids": fact_ids}
        )

    async def export(
        self, options: ExportMemoriesOptions | dict[str, Any]
    ) -> MemoryAPIExportResult:
        """Export a space's memories as JSON or CSV; ``include_facts`` adds each memory's facts (JSON)."""
        opts: ExportMemoriesOptions = validate_optional(ExportMemoriesOptions, options, "options")
        _require(opts.memory_space_id, "memorySpaceId")
        if opts.format not in ("json", "csv"):
            raise ValidationError(
                "format must be 'json' or 'csv'", code="INVALID_FORMAT", field="format"
            )
        result = await self._vector.export(
            VectorAPIExportOptions.model_validate(
                opts.model_dump(exclude_unset=True, exclude={"include_facts"})
            )
        )
        data = result.data
        if opts.include_facts and opts.format == "json":
            facts = await self._space_facts(opts.memory_space_id)
            rows = json.loads(data)
            for row in rows:
                row["facts"] = [
                    {
                        "factId": f.fact_id,
                        "fact": f.fact,
                        "factType": f.fact_type,
                        "confidence": f.confidence,
                        "tags": f.tags,
                    }
                    for f in facts
                    if f.source_ref is not None and f.source_ref.memory_id == row.get("memoryId")
                ]
            data = json.dumps(rows, indent=2, ensure_ascii=False)
        return MemoryAPIExportResult.model_validate({**result.model_dump(), "data": data})

    # -- versions (delegated to the vector layer) -------------------------------------------------------------

    async def get_version(
        self, memory_space_id: str, memory_id: str, version: int
    ) -> MemoryAPIGetVersionResult | None:
        """One version of a memory, or ``None``."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        if version < 1:
            raise ValidationError(
                "version must be at least 1", code="INVALID_VERSION", field="version"
            )
        found = await self._vector.get_version(memory_space_id, memory_id, version)
        return (
            None if found is None else MemoryAPIGetVersionResult.model_validate(found.model_dump())
        )

    async def get_history(
        self, memory_space_id: str, memory_id: str
    ) -> builtins.list[MemoryAPIGetHistoryResultItem]:
        """Every version of a memory, oldest first."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        found = await self._vector.get_history(memory_space_id, memory_id)
        return [MemoryAPIGetHistoryResultItem.model_validate(v.model_dump()) for v in found]

    async def get_at_timestamp(
        self, memory_space_id: str, memory_id: str, timestamp: datetime | int
    ) -> MemoryAPIGetAtTimestampResult | None:
        """The version of a memory that was current at ``timestamp``, or ``None``."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        found = await self._vector.get_at_timestamp(memory_space_id, memory_id, timestamp)
        return (
            None
            if found is None
            else MemoryAPIGetAtTimestampResult.model_validate(found.model_dump())
        )
