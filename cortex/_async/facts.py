"""``cortex.facts``: the generated thin methods plus deduplication, belief revision and fact history.

``AsyncFacts`` extends the generated ``FactsBase`` (its thin methods call Convex directly) with the orchestration
methods: ``store_with_dedup``, ``revise``, ``check_conflicts``, ``supersede``, the history readers and the
belief-revision configuration. Belief revision is on by default (as upstream); without an LLM the decisions come
from ``fact_rules.default_decision``.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from cortex import _helpers
from cortex._async.belief_revision import AsyncBeliefRevision
from cortex._async.memory_state import state_of
from cortex._context import AsyncContext
from cortex._generated.args.fact_history import (
    FactHistoryGetActivitySummaryArgs,
    FactHistoryGetChangesByTimeRangeArgs,
    FactHistoryGetHistoryArgs,
    FactHistoryGetSupersessionChainArgs,
)
from cortex._generated.calls import fact_history as _history_calls
from cortex._generated.models import (
    ActivitySummary,
    BeliefRevisionConfig,
    ChangeFilter,
    ConflictCheckResult,
    DeduplicationConfig,
    FactChangeEvent,
    FactRecord,
    FactsAPISupersedeParams,
    FactsAPISupersedeResult,
    ReviseParams,
    ReviseResult,
    StoreFactOptions,
    StoreFactParams,
    StoreFactWithDedupOptions,
    StoreWithDedupResult,
    SupersessionChainEntry,
    UpdateFactInput,
    UpdateFactOptions,
)
from cortex._generated.namespaces.facts import FactsBase
from cortex._mapping import validate_optional
from cortex._model_base import to_epoch_ms
from cortex.errors import CortexError, ValidationError

HISTORY_ACTION = {"NONE": "UPDATE", "ADD": "CREATE", "UPDATE": "UPDATE", "SUPERSEDE": "SUPERSEDE"}


M = TypeVar("M", bound=BaseModel)


def _check_candidate(params: ReviseParams) -> None:
    if not params.memory_space_id.strip():
        raise ValidationError(
            "memorySpaceId is required", code="MISSING_REQUIRED_FIELD", field="memorySpaceId"
        )
    if not params.fact.fact.strip():
        raise ValidationError(
            "fact.fact is required", code="MISSING_REQUIRED_FIELD", field="fact.fact"
        )
    if not 0 <= params.fact.confidence <= 100:
        raise ValidationError(
            "fact.confidence must be between 0 and 100",
            code="INVALID_CONFIDENCE",
            field="fact.confidence",
        )


def _check_fact_id(value: str, field: str) -> None:
    if not value or not value.strip():
        raise ValidationError(f"{field} is required", code="MISSING_REQUIRED_FIELD", field=field)
    if not value.startswith("fact-"):
        raise ValidationError(
            f"{field} must look like fact-..., got {value!r}",
            code="INVALID_FACT_ID_FORMAT",
            field=field,
        )


class AsyncFacts(FactsBase):
    """Facts with deduplication, belief revision (slot matching, semantic matching, LLM or rule-based
    resolution) and change history."""

    def __init__(self, ctx: AsyncContext) -> None:
        super().__init__(ctx)
        self._state = state_of(ctx)
        self._revision = AsyncBeliefRevision(ctx, self, self._state)

    # -- configuration (local) -------------------------------------------------------------------------------

    def configure_belief_revision(
        self,
        llm_client: Any = None,
        config: BeliefRevisionConfig | dict[str, Any] | None = None,
    ) -> None:
        """Use ``llm_client`` (any LLM shape of ``cortex.llm``; default: the client's LLM) and ``config`` for
        belief revision from now on, for this client."""
        self._state.belief_revision_config = validate_optional(
            BeliefRevisionConfig, config, "config"
        )
        if llm_client is not None:
            self._state.belief_revision_llm = llm_client
        self._state.belief_revision_enabled = True

    def has_belief_revision(self) -> bool:
        """Whether ``revise``/``check_conflicts`` are available (always, unless disabled by configuration)."""
        return self._state.belief_revision_enabled

    # -- orchestration ---------------------------------------------------------------------------------------

    async def store_with_dedup(
        self,
        params: StoreFactParams | dict[str, Any],
        options: StoreFactWithDedupOptions | dict[str, Any] | None = None,
    ) -> StoreWithDedupResult:
        """Store a fact unless an equal one exists (``deduplication``: ``"exact"``, ``"structural"``,
        ``"semantic"`` (default; structural without an embedder), a ``DeduplicationConfig``, or ``False``).
        A duplicate with a lower confidence is updated instead."""
        params = validate_optional(StoreFactParams, params, "params")
        options = validate_optional(StoreFactWithDedupOptions, options, "options")
        dedup = (
            options.deduplication
            if options is not None and options.deduplication is not None
            else "semantic"
        )
        store_options = (
            StoreFactOptions(sync_to_graph=options.sync_to_graph) if options is not None else None
        )
        if dedup is False:
            return StoreWithDedupResult(
                fact=await self.store(params, store_options), was_updated=False
            )
        threshold, embedder = 0.85, None
        if isinstance(dedup, (DeduplicationConfig, dict)):
            config = validate_optional(DeduplicationConfig, dedup, "options.deduplication")
            strategy = str(config.strategy)
            threshold = (
                config.similarity_threshold if config.similarity_threshold is not None else 0.85
            )
            embedder = config.generate_embedding
        else:
            strategy = str(dedup)
        if strategy == "semantic" and embedder is None:
            embedder = self._state.embedder
        if strategy == "semantic" and embedder is None:
            strategy = "structural"
        if strategy == "none":
            return StoreWithDedupResult(
                fact=await self.store(params, store_options), was_updated=False
            )
        if (
            embedder is not None
            and not hasattr(embedder, "embed")
            and not hasattr(embedder, "aembed")
        ):
            embedder = _single_to_batch(embedder)
        found = await self._revision.find_duplicate(
            _candidate(params),
            params.memory_space_id,
            strategy,
            user_id=params.user_id,
            threshold=threshold,
            embedder=embedder,
        )
        if found is None:
            fact = await self.store(params, store_options)
            return StoreWithDedupResult.model_validate(
                {
                    "fact": fact,
                    "wasUpdated": False,
                    "deduplication": {"strategy": strategy, "matchedExisting": False},
                }
            )
        dedup_info = {"strategy": strategy, "matchedExisting": True, "similarityScore": found.score}
        if params.confidence > found.fact.confidence:
            tags = sorted(set(found.fact.tags) | set(params.tags)) if params.tags else None
            updated = await self.update(
                params.memory_space_id,
                found.fact.fact_id,
                UpdateFactInput(confidence=params.confidence, tags=tags),
                UpdateFactOptions(sync_to_graph=options.sync_to_graph)
                if options is not None
                else None,
            )
            return StoreWithDedupResult.model_validate(
                {"fact": updated, "wasUpdated": True, "deduplication": dedup_info}
            )
        return StoreWithDedupResult.model_validate(
            {"fact": found.fact, "wasUpdated": False, "deduplication": dedup_info}
        )

    async def revise(self, params: ReviseParams | dict[str, Any]) -> ReviseResult:
        """Add, update, supersede or skip a fact given what the space already knows; writes history events."""
        params = validate_optional(ReviseParams, params, "params")
        _check_candidate(params)
        if not self.has_belief_revision():
            raise CortexError(
                "belief revision is not configured", code="BELIEF_REVISION_NOT_CONFIGURED"
            )
        outcome = await self._revision.revise(params)
        fact: FactRecord = outcome["fact"]
        superseded: list[FactRecord] = outcome["superseded"]
        action = outcome["action"]
        conversation_id = (
            params.source_ref.conversation_id if params.source_ref is not None else None
        )
        await self._revision.log(
            fact_id=fact.fact_id,
            memory_space_id=params.memory_space_id,
            action=HISTORY_ACTION[action],
            old_value=superseded[0].fact if superseded else None,
            new_value=fact.fact,
            superseded_by=fact.fact_id if action == "SUPERSEDE" else None,
            supersedes=superseded[0].fact_id if superseded else None,
            reason=outcome["reason"],
            confidence=outcome["confidence"],
            pipeline=outcome["pipeline"],
            user_id=params.user_id,
            participant_id=params.participant_id,
            conversation_id=conversation_id,
        )
        for old in superseded:
            await self._revision.log(
                fact_id=old.fact_id,
                memory_space_id=params.memory_space_id,
                action="SUPERSEDE",
                old_value=old.fact,
                new_value=fact.fact,
                superseded_by=fact.fact_id,
                reason=outcome["reason"],
                user_id=params.user_id,
                participant_id=params.participant_id,
                conversation_id=conversation_id,
            )
        return ReviseResult.model_validate(outcome)

    async def check_conflicts(self, params: ReviseParams | dict[str, Any]) -> ConflictCheckResult:
        """What ``revise`` would find and recommend, without writing anything."""
        params = validate_optional(ReviseParams, params, "params")
        _check_candidate(params)
        if not self.has_belief_revision():
            raise CortexError(
                "belief revision is not configured", code="BELIEF_REVISION_NOT_CONFIGURED"
            )
        slot: list[FactRecord] = []
        semantic: list[Any] = []
        if self._revision._setting("slot_matching", "enabled", True) is not False:
            slot = await self._revision.slot_conflicts(params)
        if self._revision._setting("semantic_matching", "enabled", True) is not False:
            semantic = await self._revision.semantic_conflicts(params)
        unique: dict[str, FactRecord] = {f.fact_id: f for f in slot}
        for dup in semantic:
            unique.setdefault(dup.fact.fact_id, dup.fact)
        action, reason = "ADD", "no conflicts found"
        if unique:
            decision, _ = await self._revision.decide(
                params.fact, list(unique.values()), same_slot=bool(slot)
            )
            action, reason = decision.action, decision.reason
        return ConflictCheckResult.model_validate(
            {
                "hasConflicts": bool(slot or semantic),
                "slotConflicts": slot,
                "semanticConflicts": [{"fact": d.fact, "score": d.score} for d in semantic],
                "recommendedAction": action,
                "reason": reason,
            }
        )

    async def supersede(
        self, params: FactsAPISupersedeParams | dict[str, Any]
    ) -> FactsAPISupersedeResult:
        """Mark ``old_fact_id`` as no longer valid in favour of ``new_fact_id`` and record it in the history."""
        params = validate_optional(FactsAPISupersedeParams, params, "params")
        _check_fact_id(params.old_fact_id, "oldFactId")
        _check_fact_id(params.new_fact_id, "newFactId")
        old = await self.get(params.memory_space_id, params.old_fact_id)
        new = await self.get(params.memory_space_id, params.new_fact_id)
        if old is None:
            raise CortexError(f"old fact not found: {params.old_fact_id}", code="FACT_NOT_FOUND")
        if new is None:
            raise CortexError(f"new fact not found: {params.new_fact_id}", code="FACT_NOT_FOUND")
        await self.update(
            params.memory_space_id, params.old_fact_id, UpdateFactInput(valid_until=_helpers.now())
        )
        await self._revision.log(
            fact_id=params.old_fact_id,
            memory_space_id=params.memory_space_id,
            action="SUPERSEDE",
            old_value=old.fact,
            new_value=new.fact,
            superseded_by=params.new_fact_id,
            reason=params.reason or "Manual supersession",
        )
        return FactsAPISupersedeResult(
            superseded=True, old_fact_id=params.old_fact_id, new_fact_id=params.new_fact_id
        )

    # -- history ---------------------------------------------------------------------------------------------

    async def history(
        self, fact_id: str, limit: int | None = None
    ) -> builtins.list[FactChangeEvent]:
        """Change events of one fact, most recent first."""
        _check_fact_id(fact_id, "factId")
        raw = await _history_calls.fact_history_get_history(
            self._ctx.transport,
            FactHistoryGetHistoryArgs(fact_id=fact_id, limit=limit),
            options=self._ctx.options,
        )
        return [FactChangeEvent.model_validate(e) for e in raw or []]

    async def get_changes(
        self, filter: ChangeFilter | dict[str, Any]
    ) -> builtins.list[FactChangeEvent]:
        """Change events of a memory space in a time range (``after``/``before``), optionally one action."""
        flt: ChangeFilter = validate_optional(ChangeFilter, filter, "filter")
        if not flt.memory_space_id.strip():
            raise ValidationError("memorySpaceId is required", field="memorySpaceId")
        raw = await _history_calls.fact_history_get_changes_by_time_range(
            self._ctx.transport,
            FactHistoryGetChangesByTimeRangeArgs(
                memory_space_id=flt.memory_space_id,
                after=_ms(flt.after),
                before=_ms(flt.before),
                action=flt.action,
                limit=flt.limit,
                offset=flt.offset,
            ),
            options=self._ctx.options,
        )
        return [FactChangeEvent.model_validate(e) for e in raw or []]

    async def get_supersession_chain(self, fact_id: str) -> builtins.list[SupersessionChainEntry]:
        """The chain of facts that replaced one another, oldest first."""
        _check_fact_id(fact_id, "factId")
        raw = await _history_calls.fact_history_get_supersession_chain(
            self._ctx.transport,
            FactHistoryGetSupersessionChainArgs(fact_id=fact_id),
            options=self._ctx.options,
        )
        return [SupersessionChainEntry.model_validate(e) for e in raw or []]

    async def get_activity_summary(
        self, memory_space_id: str, hours: float | None = None
    ) -> ActivitySummary:
        """Counts of fact changes in the last ``hours`` (default 24) of a memory space."""
        if not memory_space_id or not memory_space_id.strip():
            raise ValidationError("memorySpaceId is required", field="memorySpaceId")
        raw = await _history_calls.fact_history_get_activity_summary(
            self._ctx.transport,
            FactHistoryGetActivitySummaryArgs(memory_space_id=memory_space_id, hours=hours),
            options=self._ctx.options,
        )
        return ActivitySummary.model_validate(raw)


def _ms(value: datetime | int | float | None) -> float | None:
    return None if value is None else float(to_epoch_ms(value))


def _candidate(params: StoreFactParams) -> Any:
    from cortex._generated.models import ConflictCandidate

    return ConflictCandidate(
        fact=params.fact,
        fact_type=params.fact_type,
        subject=params.subject,
        predicate=params.predicate,
        object=params.object,
        confidence=params.confidence,
        tags=params.tags,
    )


class _single_to_batch:
    """Wrap upstream's one-text ``generate_embedding(text)`` as a batch embedder."""

    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def __call__(self, texts: list[str]) -> Any:
        results = [self._fn(t) for t in texts]
        if results and hasattr(results[0], "__await__"):

            async def gather() -> list[Any]:
                return [await r for r in results]

            return gather()
        return results
