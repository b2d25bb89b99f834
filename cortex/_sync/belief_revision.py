# generated from cortex/_async/belief_revision.py by codegen/twins.py; do not edit
"""Belief revision: decide whether a new fact is new, a duplicate, a refinement or a replacement, and apply it.

Pipeline (``revise``): slot matching (same subject and predicate class) → semantic or structural matching
(embeddings when an embedder is configured) → same subject and type → a decision (the configured LLM, else
``fact_rules.default_decision``) → the writes (store / update in place / store + supersede) and history events.
Deduplication for ``facts.store_with_dedup`` (exact, structural, semantic) lives here too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cortex._context import SyncContext
from cortex._generated.args.fact_history import (
    FactHistoryLogEventArgs,
    FactHistoryLogEventArgsPipeline,
)
from cortex._generated.args.facts import (
    FactsFindByStructureArgs,
    FactsSupersedeArgs,
    FactsUpdateInPlaceArgs,
)
from cortex._generated.calls_sync import fact_history as _history_calls
from cortex._generated.calls_sync import facts as _fact_calls
from cortex._generated.models import (
    ConflictCandidate,
    FactRecord,
    ListFactsFilter,
    QueryBySubjectFilter,
    ReviseParams,
    StoreFactParams,
)
from cortex._helpers import now
from cortex._sync.memory_state import SyncMemoryState
from cortex._sync.model_calls import ask_llm, embed_many
from cortex.embeddings import cosine
from cortex.fact_rules import (
    Decision,
    conflict_prompt,
    default_decision,
    merged_classes,
    normalize_fact_text,
    parse_decision,
    slot_of,
)

log = logging.getLogger("cortex")


@dataclass
class Duplicate:
    """An existing fact that matches a candidate."""

    fact: FactRecord
    score: float
    matched_by: str


def revision_setting(config: Any, section: str, key: str, default: Any) -> Any:
    """``config.<section>.<key>`` of a ``BeliefRevisionConfig`` (model or dict), else ``default``."""
    if config is None:
        return default
    part = config.get(section) if isinstance(config, dict) else getattr(config, section, None)
    if part is None:
        return default
    value = part.get(key) if isinstance(part, dict) else getattr(part, key, None)
    return default if value is None else value


def is_current(fact: FactRecord) -> bool:
    """Not superseded and not ended (a soft-deleted or archived fact has a past ``valid_until``)."""
    return fact.superseded_by is None and (fact.valid_until is None or fact.valid_until > now())


def _records(raw: Any) -> list[FactRecord]:
    return [FactRecord.model_validate(item) for item in raw or []]


class SyncBeliefRevision:
    """The belief-revision and deduplication pipeline of one client (``facts`` uses it)."""

    def __init__(self, ctx: SyncContext, facts: Any, state: SyncMemoryState) -> None:
        self._ctx = ctx
        self._facts = facts
        self._state = state

    # -- settings ------------------------------------------------------------------------------------------------

    @property
    def _config(self) -> Any:
        return self._state.belief_revision_config

    def _setting(self, section: str, key: str, default: Any) -> Any:
        return revision_setting(self._config, section, key, default)

    def _llm(self) -> Any:
        if self._setting("llm_resolution", "enabled", True) is False:
            return None
        return self._state.belief_revision_llm or self._state.llm

    def _embedder(self) -> Any:
        custom = self._setting("semantic_matching", "generate_embedding", None)
        return custom or self._state.embedder

    # -- candidate search ------------------------------------------------------------------------------------

    def slot_conflicts(self, params: ReviseParams) -> list[FactRecord]:
        """Current facts in the new fact's slot (same subject, same predicate class)."""
        classes = merged_classes(self._setting("slot_matching", "predicate_classes", None))
        slot = slot_of(params.fact.subject, params.fact.predicate, classes)
        if slot is None or params.fact.subject is None:
            return []
        found = self._facts.query_by_subject(
            QueryBySubjectFilter(
                memory_space_id=params.memory_space_id,
                subject=params.fact.subject,
                user_id=params.user_id,
                include_superseded=False,
                limit=100,
            )
        )
        return [
            f for f in found if is_current(f) and slot_of(f.subject, f.predicate, classes) == slot
        ]

    def find_duplicate(
        self,
        candidate: ConflictCandidate,
        memory_space_id: str,
        strategy: str,
        *,
        user_id: str | None = None,
        threshold: float = 0.85,
        embedder: Any = None,
    ) -> Duplicate | None:
        """An existing fact equal to ``candidate`` by structure, normalised text or meaning (``strategy``)."""
        if (
            strategy in ("structural", "semantic")
            and candidate.subject
            and (candidate.predicate or candidate.object)
        ):
            raw = _fact_calls.facts_find_by_structure(
                self._ctx.transport,
                FactsFindByStructureArgs(
                    memory_space_id=memory_space_id,
                    subject=candidate.subject,
                    predicate=candidate.predicate,
                    object=candidate.object,
                    user_id=user_id,
                    limit=1,
                ),
                options=self._ctx.options,
            )
            found = [f for f in _records(raw) if is_current(f)]
            if found:
                return Duplicate(found[0], 1.0, "structural")
        if strategy not in ("exact", "semantic"):
            return None
        existing = self._facts.list(
            ListFactsFilter(
                memory_space_id=memory_space_id,
                user_id=user_id,
                fact_type=candidate.fact_type,
                limit=100,
            )
        )
        wanted = normalize_fact_text(candidate.fact)
        existing = [f for f in existing if is_current(f)]
        for fact in existing:
            if normalize_fact_text(fact.fact) == wanted:
                return Duplicate(fact, 1.0, "exact")
        if strategy != "semantic" or embedder is None or not existing:
            return None
        pool = [f for f in existing if is_current(f)][:50]
        if not pool:
            return None
        texts = [candidate.fact] + [f.fact for f in pool]
        vectors = embed_many(embedder, texts)
        best: Duplicate | None = None
        for fact, vector in zip(pool, vectors[1:], strict=True):
            score = cosine(vectors[0], vector)
            if score >= threshold and (best is None or score > best.score):
                best = Duplicate(fact, score, "semantic")
        return best

    def semantic_conflicts(self, params: ReviseParams) -> list[Duplicate]:
        embedder = self._embedder()
        strategy = "semantic" if embedder is not None else "structural"
        found = self.find_duplicate(
            params.fact,
            params.memory_space_id,
            strategy,
            user_id=params.user_id,
            threshold=float(self._setting("semantic_matching", "threshold", 0.7)),
            embedder=embedder,
        )
        return [found] if found is not None else []

    def subject_type_conflicts(self, params: ReviseParams) -> list[FactRecord]:
        if not params.fact.subject or not params.fact.fact_type:
            return []
        found: list[FactRecord] = self._facts.list(
            ListFactsFilter(
                memory_space_id=params.memory_space_id,
                user_id=params.user_id,
                subject=params.fact.subject,
                fact_type=params.fact.fact_type,
                include_superseded=False,
                limit=20,
            )
        )
        return [f for f in found if is_current(f)]

    # -- decision --------------------------------------------------------------------------------------------

    def decide(
        self, new: ConflictCandidate, candidates: list[FactRecord], *, same_slot: bool
    ) -> tuple[Decision, bool]:
        """``(decision, llm_used)``: the LLM's when one is configured and answers well, else the default."""
        llm = self._llm()
        if llm is not None and candidates:
            system, user = conflict_prompt(new, candidates)
            try:
                model = self._setting("llm_resolution", "model", None)
                answer = ask_llm(llm, system, user, model=model)
                return parse_decision(answer, candidates), True
            except Exception as exc:  # any LLM failure falls back to the rules
                log.warning(
                    "belief revision: LLM resolution failed (%s); using the default rules", exc
                )
        return default_decision(new, candidates, same_slot=same_slot), False

    # -- the pipeline ----------------------------------------------------------------------------------------

    def revise(self, params: ReviseParams) -> dict[str, Any]:
        """Run the pipeline and apply the decision; returns a ``ReviseResult``-shaped dict (Python names)."""
        pipeline: dict[str, Any] = {}
        candidates: list[FactRecord] = []
        same_slot = False
        if self._setting("slot_matching", "enabled", True) is not False:
            slot = self.slot_conflicts(params)
            pipeline["slot_matching"] = {
                "executed": True,
                "matched": bool(slot),
                "fact_ids": [f.fact_id for f in slot],
            }
            candidates, same_slot = slot, bool(slot)
        if not candidates and self._setting("semantic_matching", "enabled", True) is not False:
            semantic = self.semantic_conflicts(params)
            pipeline["semantic_matching"] = {
                "executed": True,
                "matched": bool(semantic),
                "fact_ids": [d.fact.fact_id for d in semantic],
            }
            candidates = [d.fact for d in semantic]
        if not candidates:
            typed = self.subject_type_conflicts(params)
            pipeline["subject_type_matching"] = {
                "executed": True,
                "matched": bool(typed),
                "fact_ids": [f.fact_id for f in typed],
            }
            candidates = typed
        decision = Decision(
            "ADD", None, "no conflicts found: adding the new fact", confidence=100.0
        )
        if candidates:
            decision, used_llm = self.decide(params.fact, candidates, same_slot=same_slot)
            pipeline["llm_resolution"] = {"executed": used_llm, "decision": decision.action}
        target = next((f for f in candidates if f.fact_id == decision.target_fact_id), None)
        fact, superseded, action = self._apply(params, decision, target)
        return {
            "action": action,
            "fact": fact,
            "superseded": superseded,
            "reason": decision.reason,
            "confidence": decision.confidence,
            "pipeline": pipeline,
        }

    def _store(self, params: ReviseParams) -> FactRecord:
        new = params.fact
        ref = params.source_ref
        stored: FactRecord = self._facts.store(
            StoreFactParams(
                memory_space_id=params.memory_space_id,
                participant_id=params.participant_id,
                user_id=params.user_id,
                tenant_id=params.tenant_id or self._ctx.auth.get("tenantId"),
                fact=new.fact,
                fact_type=new.fact_type or "custom",
                subject=new.subject,
                predicate=new.predicate,
                object=new.object,
                confidence=new.confidence,
                source_type=params.source_type or "conversation",
                source_ref=ref.model_dump(exclude_unset=True) if ref is not None else None,
                tags=new.tags or [],
            )
        )
        return stored

    def _apply(
        self, params: ReviseParams, decision: Decision, target: FactRecord | None
    ) -> tuple[FactRecord, list[FactRecord], str]:
        if decision.action == "NONE" and target is not None:
            return target, [], "NONE"
        if decision.action == "UPDATE" and target is not None:
            raw = _fact_calls.facts_update_in_place(
                self._ctx.transport,
                FactsUpdateInPlaceArgs(
                    memory_space_id=params.memory_space_id,
                    fact_id=target.fact_id,
                    fact=decision.merged_fact or params.fact.fact,
                    confidence=params.fact.confidence,
                    tags=params.fact.tags,
                ),
                options=self._ctx.options,
            )
            return FactRecord.model_validate(raw), [], "UPDATE"
        if decision.action == "SUPERSEDE" and target is not None:
            stored = self._store(params)
            _fact_calls.facts_supersede(
                self._ctx.transport,
                FactsSupersedeArgs(
                    memory_space_id=params.memory_space_id,
                    old_fact_id=target.fact_id,
                    new_fact_id=stored.fact_id,
                    reason=decision.reason,
                ),
                options=self._ctx.options,
            )
            old = target.model_copy(update={"superseded_by": stored.fact_id})
            return stored.model_copy(update={"supersedes": target.fact_id}), [old], "SUPERSEDE"
        return self._store(params), [], "ADD"

    def log(
        self,
        *,
        fact_id: str,
        memory_space_id: str,
        action: str,
        old_value: str | None = None,
        new_value: str | None = None,
        superseded_by: str | None = None,
        supersedes: str | None = None,
        reason: str | None = None,
        confidence: float | None = None,
        pipeline: dict[str, Any] | None = None,
        user_id: str | None = None,
        participant_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Write one fact-history event (skipped when ``history.enabled`` is false)."""
        if self._setting("history", "enabled", True) is False:
            return
        flags = None
        if pipeline is not None:
            flags = FactHistoryLogEventArgsPipeline(
                slot_matching=(pipeline.get("slot_matching") or {}).get("executed"),
                semantic_matching=(pipeline.get("semantic_matching") or {}).get("executed"),
                llm_resolution=(pipeline.get("llm_resolution") or {}).get("executed"),
            )
        _history_calls.fact_history_log_event(
            self._ctx.transport,
            FactHistoryLogEventArgs(
                fact_id=fact_id,
                memory_space_id=memory_space_id,
                action=action,
                old_value=old_value,
                new_value=new_value,
                superseded_by=superseded_by,
                supersedes=supersedes,
                reason=reason,
                confidence=confidence,
                pipeline=flags,
                user_id=user_id,
                participant_id=participant_id,
                conversation_id=conversation_id,
            ),
            options=self._ctx.options,
        )
