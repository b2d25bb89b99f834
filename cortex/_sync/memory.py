# generated from cortex/_async/memory.py by codegen/twins.py; do not edit
"""``cortex.memory``: the memory API that orchestrates conversations, vector memories and facts.

``AsyncMemory`` extends the generated ``MemoryBase``. ``remember`` stores an exchange in every layer
(``cortex._async.remember``), ``recall`` retrieves hybrid results (``cortex._async.recall``), ``remember_stream``
consumes a streamed reply (``cortex._async.memory_stream``); the rest keeps memories and their facts in step
(cascading deletes, archives, enrichment). ``configure`` sets this client's embedder, LLM, fact extractor and
reranker.
"""

from __future__ import annotations

import builtins
import logging
import time
from dataclasses import replace
from typing import Any

from cortex._context import SyncContext
from cortex._generated.models import (
    DeleteMemoryOptions,
    DeleteMemoryResult,
    EnhancedRememberStreamResult,
    EnrichedMemory,
    ExtendedForgetOptions,
    FactRecord,
    ForgetResult,
    GetMemoryOptions,
    MemoryAPIUpdateUpdates,
    MemoryEntry,
    RecallParams,
    RecallResult,
    RememberOptions,
    RememberParams,
    RememberResult,
    RememberStreamParams,
    SearchMemoriesOptions,
    SearchMemoryOptions,
    StoreFactParams,
    StoreMemoryInput,
    StoreMemoryResult,
    StreamingOptions,
    UpdateMemoryOptions,
    UpdateMemoryResult,
)
from cortex._generated.namespaces_sync.memory import MemoryBase
from cortex._helpers import generate_orchestration_id
from cortex._mapping import validate_optional
from cortex._sync.facts import SyncFacts
from cortex._sync.memory_bulk import SyncMemoryBulk, _require
from cortex._sync.memory_state import state_of
from cortex._sync.memory_stream import STREAM_PLACEHOLDER, run_remember_stream
from cortex._sync.model_calls import call_maybe, embed_many
from cortex._sync.recall import RecallMode, SyncRecall
from cortex._sync.remember import (
    ExtractMode,
    FactJob,
    SyncRememberPipeline,
    check_remember,
    layer_event,
    notify,
    resolve_mode,
)
from cortex.errors import CortexError, ValidationError

log = logging.getLogger("cortex")


_UNSET: Any = object()


class SyncMemory(SyncMemoryBulk, MemoryBase):
    """Remember and recall across conversations, vector memories and facts (one client's view)."""

    def __init__(self, ctx: SyncContext) -> None:
        super().__init__(ctx)
        self._state = state_of(ctx)
        self._facts = SyncFacts(ctx)
        self._pipeline = SyncRememberPipeline(ctx, self._state, self._facts)
        self._recall = SyncRecall(ctx, self._state)
        self._vector = self._pipeline.vector
        self._conversations = self._pipeline.conversations

    # -- configuration ---------------------------------------------------------------------------------------

    def configure(
        self,
        *,
        embedder: Any = _UNSET,
        llm: Any = _UNSET,
        fact_extractor: Any = _UNSET,
        reranker: Any = _UNSET,
    ) -> None:
        """Set this client's embedder (``cortex.embeddings``), LLM (``cortex.llm``), fact extractor
        (``extractor(user_message, agent_response) -> [fact dicts]``) and reranker
        (``reranker(query, texts) -> scores``); ``None`` removes one. Shared by ``memory`` and ``facts``."""
        if embedder is not _UNSET:
            self._state.embedder = embedder
        if llm is not _UNSET:
            self._state.llm = llm
        if fact_extractor is not _UNSET:
            self._state.fact_extractor = fact_extractor
        if reranker is not _UNSET:
            self._state.reranker = reranker

    @property
    def embedder(self) -> Any:
        """The configured embedder (``None``: memories are stored without vectors)."""
        return self._state.embedder

    def wait_background(self) -> builtins.list[BaseException]:
        """Wait for background fact extraction started by ``remember(..., extract="background")``; returns
        (and clears) the errors it met."""
        errors, self._state.errors = list(self._state.errors), []
        return errors

    def close(self) -> None:
        """Finish background work (the client calls this when it closes)."""
        self.wait_background()

    # -- remember ----------------------------------------------------------------------------------------------

    def remember(
        self,
        params: RememberParams | dict[str, Any],
        options: RememberOptions | dict[str, Any] | None = None,
        *,
        extract: ExtractMode | None = None,
        facts: builtins.list[dict[str, Any]] | None = None,
    ) -> RememberResult:
        """Store one exchange: the two messages in the conversation (created when missing), a vector memory
        for each (embedded by the configured embedder), then facts (``extract``: ``"inline"`` (default),
        ``"background"`` or ``"skip"``; ``facts``: facts you already have, stored without an extractor)."""
        params = validate_optional(RememberParams, params, "params")
        options = validate_optional(RememberOptions, options, "options")
        mode = resolve_mode(extract, options)
        space, owner = check_remember(params)
        observer = params.observer
        started = time.perf_counter()
        orchestration = generate_orchestration_id() if observer is not None else ""
        skip = set(params.skip_layers or [])
        sync_graph = (
            (options is None or options.sync_to_graph is not False)
            and self._ctx.graph is not None
            and "graph" not in skip
        )
        notify(observer, "on_orchestration_start", orchestration)
        self._pipeline.ensure_space(space, sync_graph, params.tenant_id)
        notify(observer, "on_layer_update", layer_event("memorySpace", "complete", started))
        if owner == "user" and "users" not in skip:
            self._pipeline.ensure_user(params.user_id or "", params.user_name)
        if params.agent_id and "agents" not in skip:
            self._pipeline.ensure_agent(params.agent_id)
        agent_text = params.agent_response
        message_ids: builtins.list[str] = []
        if "conversations" not in skip:
            self._pipeline.ensure_conversation(space, params, sync_graph)
            message_ids = self._pipeline.add_messages(space, params, agent_text, sync_graph)
            notify(observer, "on_layer_update", layer_event("conversation", "complete", started))
        memories: builtins.list[MemoryEntry] = []
        if "vector" not in skip:
            memories = self._pipeline.store_memories(
                space, params, options, agent_text, message_ids, sync_graph
            )
            notify(observer, "on_layer_update", layer_event("vector", "complete", started))
        extractor = (
            None
            if mode == "skip" or "facts" in skip
            else self._pipeline.extractor_for(params, options)
        )
        supplied = [dict(f) for f in facts or []] if "facts" not in skip else []
        belief = (
            (options is None or options.belief_revision is not False)
            and params.fact_deduplication is not False
            and self._facts.has_belief_revision()
        )
        job = FactJob(
            space=space,
            params=params,
            extractor=None,
            supplied=supplied,
            message_ids=message_ids,
            memory_id=memories[0].memory_id if memories else None,
            belief_revision=belief,
            sync_graph=sync_graph,
        )
        if extractor is not None and mode == "background":
            if supplied:
                self._pipeline.run_facts(job)
            self._pipeline.run_facts_in_background(
                replace(job, extractor=extractor, supplied=[], facts=[], revisions=[])
            )
        elif extractor is not None or supplied:
            job.extractor = extractor
            self._pipeline.run_facts(job)
        notify(observer, "on_layer_update", layer_event("facts", "complete", started))
        result = RememberResult.model_validate(
            {
                "conversation": {
                    "message_ids": message_ids,
                    "conversation_id": params.conversation_id,
                },
                "memories": memories,
                "facts": job.facts,
                "fact_revisions": job.revisions or None,
            }
        )
        notify(
            observer,
            "on_orchestration_complete",
            {
                "orchestrationId": orchestration,
                "totalLatencyMs": int((time.perf_counter() - started) * 1000),
                "createdIds": {
                    "conversationId": params.conversation_id,
                    "memoryIds": [m.memory_id for m in memories],
                    "factIds": [f.fact_id for f in result.facts],
                },
            },
        )
        return result

    def remember_stream(
        self,
        params: RememberStreamParams | dict[str, Any],
        options: StreamingOptions | dict[str, Any] | None = None,
        *,
        extract: ExtractMode | None = None,
    ) -> EnhancedRememberStreamResult:
        """Consume ``params.response_stream`` (an async iterable of text chunks; any iterable for SyncCortex),
        calling the ``hooks`` as it goes, then remember the full exchange; returns it with stream metrics."""
        stream: Any
        if isinstance(params, RememberStreamParams):
            stream, checked = params.response_stream, params
        else:
            raw = dict(params)
            stream = raw.pop("response_stream", None) or raw.pop("responseStream", None)
            raw["response_stream"] = STREAM_PLACEHOLDER  # the model only accepts async iterables
            checked = validate_optional(RememberStreamParams, raw, "params")
        opts = validate_optional(StreamingOptions, options, "options")
        return run_remember_stream(self, checked, opts, extract, stream)

    # -- recall and search ---------------------------------------------------------------------------------

    def recall(
        self,
        params: RecallParams | dict[str, Any],
        *,
        mode: RecallMode = "hybrid",
        reranker: Any = None,
        token_budget: int | None = None,
    ) -> RecallResult:
        """Hybrid retrieval (vector + keyword + facts, fused by reciprocal rank fusion) in one memory space;
        ``mode="vector"`` or ``"keyword"`` uses one list only; ``reranker(query, texts) -> scores`` reorders;
        ``token_budget`` bounds the formatted ``context``."""
        params = validate_optional(RecallParams, params, "params")
        return self._recall.run(
            params, mode=mode, reranker=reranker or self._state.reranker, token_budget=token_budget
        )

    def search(
        self,
        memory_space_id: str,
        query: str,
        options: SearchMemoryOptions | dict[str, Any] | None = None,
    ) -> builtins.list[MemoryEntry] | builtins.list[EnrichedMemory]:
        """Search memories (by meaning when an embedding is given or an embedder is configured, else by
        keywords); ``enrich_conversation`` adds each memory's conversation, messages and facts."""
        _require(memory_space_id, "memorySpaceId")
        _require(query, "query")
        options = validate_optional(SearchMemoryOptions, options, "options")
        embedding = options.embedding if options is not None else None
        if embedding is None and self._state.embedder is not None:
            embedding = (embed_many(self._state.embedder, [query]))[0]
        found: builtins.list[MemoryEntry] = self._vector.search(
            memory_space_id,
            query,
            SearchMemoriesOptions(
                embedding=embedding,
                user_id=options.user_id if options else None,
                tags=options.tags if options else None,
                source_type=options.source_type if options else None,
                min_importance=options.min_importance if options else None,
                limit=options.limit if options else None,
                min_score=options.min_score if options else None,
                query_category=options.query_category if options else None,
            ),
        )
        if options is None or not options.enrich_conversation:
            return found
        return self._enrich(memory_space_id, found)

    # -- single memories -------------------------------------------------------------------------------------

    def get(
        self,
        memory_space_id: str,
        memory_id: str,
        options: GetMemoryOptions | dict[str, Any] | None = None,
    ) -> MemoryEntry | EnrichedMemory | None:
        """One memory, or with ``include_conversation`` the memory with its conversation, messages and facts."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        options = validate_optional(GetMemoryOptions, options, "options")
        memory = self._vector.get(memory_space_id, memory_id)
        if memory is None or options is None or not options.include_conversation:
            return memory
        return (self._enrich(memory_space_id, [memory]))[0]

    def store(
        self, memory_space_id: str, input: StoreMemoryInput | dict[str, Any]
    ) -> StoreMemoryResult:
        """Store one memory (embedded by the configured embedder when it has no embedding); ``extract_facts``
        (``extract(content) -> facts``) stores facts linked to it."""
        _require(memory_space_id, "memorySpaceId")
        input = validate_optional(StoreMemoryInput, input, "input")
        _require(input.content, "content")
        if input.source.type == "conversation" and input.conversation_ref is None:
            raise ValidationError(
                "conversationRef is required when source.type is 'conversation'",
                code="MISSING_REQUIRED_FIELD",
                field="conversationRef",
            )
        if input.embedding is None and self._state.embedder is not None:
            input = input.model_copy(
                update={"embedding": (embed_many(self._state.embedder, [input.content]))[0]}
            )
            input.model_fields_set.add("embedding")
        memory = self._vector.store(memory_space_id, input)
        stored: builtins.list[FactRecord] = []
        if input.extract_facts is not None:
            for data in call_maybe(input.extract_facts, input.content) or []:
                try:
                    stored.append(
                        self._facts.store(self._fact_params(memory_space_id, memory, data))
                    )
                except CortexError as exc:
                    log.warning("store: could not store fact: %s", exc)
        return StoreMemoryResult(memory=memory, facts=stored)

    def _fact_params(
        self, space: str, memory: MemoryEntry, data: dict[str, Any]
    ) -> StoreFactParams:
        ref = memory.conversation_ref
        return StoreFactParams(
            memory_space_id=space,
            participant_id=memory.participant_id,
            user_id=memory.user_id,
            fact=data["fact"],
            fact_type=data.get("factType") or data.get("fact_type") or "custom",
            subject=data.get("subject") or memory.user_id,
            predicate=data.get("predicate"),
            object=data.get("object"),
            confidence=float(data.get("confidence", 80)),
            source_type=memory.source_type,
            source_ref={
                "conversation_id": ref.conversation_id if ref else None,
                "message_ids": ref.message_ids if ref else None,
                "memory_id": memory.memory_id,
            },
            tags=data.get("tags") or memory.tags,
        )

    def update(
        self,
        memory_space_id: str,
        memory_id: str,
        updates: MemoryAPIUpdateUpdates | dict[str, Any],
        options: UpdateMemoryOptions | dict[str, Any] | None = None,
    ) -> UpdateMemoryResult:
        """Update a memory (a new version; re-embedded when its content changes and an embedder is set);
        ``reextract_facts`` with ``extract_facts`` replaces its facts."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        updates = validate_optional(MemoryAPIUpdateUpdates, updates, "updates")
        options = validate_optional(UpdateMemoryOptions, options, "options")
        if not updates.model_fields_set:
            raise ValidationError(
                "at least one field must be updated", code="MISSING_UPDATES", field="updates"
            )
        if (
            updates.content is not None
            and updates.embedding is None
            and self._state.embedder is not None
        ):
            vector = (embed_many(self._state.embedder, [updates.content]))[0]
            updates = MemoryAPIUpdateUpdates.model_validate(
                {**updates.model_dump(exclude_unset=True), "embedding": vector}
            )
        memory = self._vector.update(
            memory_space_id, memory_id, updates.model_dump(exclude_unset=True)
        )
        redone: builtins.list[FactRecord] = []
        if (
            options is not None
            and options.reextract_facts
            and updates.content
            and options.extract_facts
        ):
            self._cascade(memory_space_id, memory_id, None, bool(options.sync_to_graph))
            for data in call_maybe(options.extract_facts, updates.content) or []:
                try:
                    redone.append(
                        self._facts.store(self._fact_params(memory_space_id, memory, data))
                    )
                except CortexError as exc:
                    log.warning("update: could not re-extract fact: %s", exc)
        return UpdateMemoryResult(memory=memory, facts_reextracted=redone or None)

    def delete(
        self,
        memory_space_id: str,
        memory_id: str,
        options: DeleteMemoryOptions | dict[str, Any] | None = None,
    ) -> DeleteMemoryResult:
        """Delete a memory and (unless ``cascade_delete_facts=False``) the facts extracted from it."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        options = validate_optional(DeleteMemoryOptions, options, "options")
        memory = self._vector.get(memory_space_id, memory_id)
        if memory is None:
            raise CortexError(f"memory {memory_id} not found", code="MEMORY_NOT_FOUND")
        graph = self._ctx.graph is not None and (
            options is None or options.sync_to_graph is not False
        )
        fact_ids: builtins.list[str] = []
        if options is None or options.cascade_delete_facts is not False:
            ref = memory.conversation_ref
            fact_ids = self._cascade(
                memory_space_id, memory_id, ref.conversation_id if ref else None, graph
            )
        self._vector.delete(memory_space_id, memory_id, DeleteMemoryOptions(sync_to_graph=graph))
        return DeleteMemoryResult(
            deleted=True, memory_id=memory_id, facts_deleted=len(fact_ids), fact_ids=fact_ids
        )

    def forget(
        self,
        memory_space_id: str,
        memory_id: str,
        options: ExtendedForgetOptions | dict[str, Any] | None = None,
    ) -> ForgetResult:
        """Delete a memory, its facts, and with ``delete_conversation`` its messages (or with
        ``delete_entire_conversation`` the whole conversation)."""
        _require(memory_space_id, "memorySpaceId")
        _require(memory_id, "memoryId")
        options = validate_optional(ExtendedForgetOptions, options, "options")
        memory = self._vector.get(memory_space_id, memory_id)
        if memory is None:
            raise CortexError(f"memory {memory_id} not found", code="MEMORY_NOT_FOUND")
        graph = self._ctx.graph is not None and (
            options is None or options.sync_to_graph is not False
        )
        self._vector.delete(memory_space_id, memory_id, DeleteMemoryOptions(sync_to_graph=graph))
        ref = memory.conversation_ref
        fact_ids = self._cascade(
            memory_space_id, memory_id, ref.conversation_id if ref else None, graph
        )
        conversation_deleted, messages = False, 0
        if options is not None and options.delete_conversation and ref is not None:
            if options.delete_entire_conversation:
                conversation = self._conversations.get(ref.conversation_id)
                messages = conversation.message_count if conversation is not None else 0
                self._conversations.delete(ref.conversation_id)
                self._state.forget_known("conversation", ref.conversation_id)
                conversation_deleted = True
            else:
                messages = len(ref.message_ids)
        return ForgetResult(
            memory_deleted=True,
            conversation_deleted=conversation_deleted,
            messages_deleted=messages,
            facts_deleted=len(fact_ids),
            fact_ids=fact_ids,
            restorable=not (options is not None and options.delete_conversation),
        )
