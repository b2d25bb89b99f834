"""The ``memory.remember`` pipeline: memory space → owners → conversation → vector memories → facts.

Storing the messages and the memories never waits on an LLM: embeddings come from the configured embedder (or
the caller's ``generate_embedding``), and fact extraction runs after everything else is stored, inline,
deferred (``extract="background"``: a task the client tracks) or not at all (``extract="skip"``). Facts the
caller already has (``facts=[...]``) are stored through the same path without any extractor.
"""

from __future__ import annotations

import asyncio  # sync: -
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cortex import _helpers
from cortex._async.memory_state import AsyncMemoryState
from cortex._async.model_calls import call_maybe, embed_many
from cortex._context import AsyncContext
from cortex._generated.models import (
    AddMessageInput,
    AddMessageInputMessage,
    ConflictCandidate,
    ConversationRef,
    CreateConversationInput,
    CreateConversationInputParticipants,
    CreateConversationOptions,
    FactRecord,
    LayerEvent,
    MemoryEntry,
    MemoryMetadata,
    RegisterMemorySpaceOptions,
    RegisterMemorySpaceParams,
    RememberOptions,
    ReviseParams,
    StoreFactOptions,
    StoreFactParams,
    StoreFactWithDedupOptions,
    StoreMemoryInput,
    StoreMemoryInputSource,
    StoreMemoryOptions,
)
from cortex._generated.namespaces.agents import AgentsBase
from cortex._generated.namespaces.conversations import ConversationsBase
from cortex._generated.namespaces.memory_spaces import MemorySpacesBase
from cortex._generated.namespaces.vector import VectorBase
from cortex.errors import CortexError, FunctionError, ValidationError
from cortex.llm import LLMFactExtractor

log = logging.getLogger("cortex")

DEFAULT_MEMORY_SPACE = "default"
ExtractMode = Literal["inline", "background", "skip"]

# Short agent replies that only acknowledge the user carry nothing worth a memory of their own.
ACKNOWLEDGEMENTS = (
    "got it",
    "noted",
    "i'll remember",
    "i will remember",
    "understood",
    "will do",
    "sure thing",
    "okay,",
    "ok,",
    "i've noted",
    "i'll call you",
)


def is_acknowledgement(text: str) -> bool:
    """A short (< 80 characters) reply that only acknowledges."""
    lowered = text.lower()
    return len(text) < 80 and any(phrase in lowered for phrase in ACKNOWLEDGEMENTS)


def _require(value: str | None, field: str) -> None:
    if value is None or not value.strip():
        raise ValidationError(f"{field} is required", code="MISSING_REQUIRED_FIELD", field=field)


def check_remember(params: Any) -> tuple[str, str]:
    """Validate remember's params; returns ``(memory space id, owner type)``."""
    _require(params.conversation_id, "conversationId")
    _require(params.user_message, "userMessage")
    if params.agent_response is not None:
        _require(params.agent_response, "agentResponse")
    space = params.memory_space_id
    if space is None:
        space = DEFAULT_MEMORY_SPACE
        log.warning("remember: no memorySpaceId given, using %r", DEFAULT_MEMORY_SPACE)
    elif not space.strip():
        raise ValidationError(
            "memorySpaceId cannot be empty (omit it to use the default space)",
            code="INVALID_MEMORYSPACE_ID",
            field="memorySpaceId",
        )
    has_user = bool(params.user_id and params.user_id.strip())
    has_agent = bool(params.agent_id and params.agent_id.strip())
    if not has_user and not has_agent:
        raise ValidationError(
            "either userId or agentId must be given (who owns the memory)",
            code="OWNER_REQUIRED",
            field="userId",
        )
    if has_user and not has_agent:
        raise ValidationError(
            "agentId is required when userId is given (a user talks to an agent)",
            code="AGENT_REQUIRED_FOR_USER_CONVERSATION",
            field="agentId",
        )
    if has_user and not (params.user_name and params.user_name.strip()):
        raise ValidationError(
            "userName is required when userId is given",
            code="MISSING_REQUIRED_FIELD",
            field="userName",
        )
    if params.importance is not None and not 0 <= params.importance <= 100:
        raise ValidationError(
            "importance must be between 0 and 100", code="INVALID_IMPORTANCE", field="importance"
        )
    return space, "user" if has_user else "agent"


@dataclass
class FactJob:
    """Everything the facts stage of one ``remember`` needs (it may run later, in the background)."""

    space: str
    params: Any
    extractor: Any
    supplied: list[dict[str, Any]]
    message_ids: list[str]
    memory_id: str | None
    belief_revision: bool
    sync_graph: bool
    facts: list[FactRecord] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)


class AsyncRememberPipeline:
    """The layers of ``remember`` over the generated thin namespaces of one client."""

    def __init__(self, ctx: AsyncContext, state: AsyncMemoryState, facts: Any) -> None:
        self._ctx = ctx
        self._state = state
        self._facts = facts
        self.vector = VectorBase(ctx)
        self.conversations = ConversationsBase(ctx)
        self.spaces = MemorySpacesBase(ctx)
        self.agents = AgentsBase(ctx)

    def _tenant_view(self, tenant: str | None) -> AsyncContext:
        """The context, with ``tenant`` as the auth tenant when given (the thin methods read it from there)."""
        if not tenant or self._ctx.auth.get("tenantId") == tenant:
            return self._ctx
        return replace(self._ctx, auth={**self._ctx.auth, "tenantId": tenant})

    # -- layers ----------------------------------------------------------------------------------------------

    async def ensure_space(self, space: str, sync_graph: bool, tenant: str | None = None) -> None:
        if ("space", space) in self._state.known:
            return
        spaces = MemorySpacesBase(self._tenant_view(tenant)) if tenant else self.spaces
        if await spaces.get(space) is None:
            try:
                await spaces.register(
                    RegisterMemorySpaceParams(memory_space_id=space, type="custom", name=space),
                    RegisterMemorySpaceOptions(sync_to_graph=sync_graph),
                )
            except FunctionError as exc:
                if "ALREADY" not in exc.code and "ALREADY" not in str(exc):
                    raise
        self._state.remember_known("space", space)

    async def ensure_user(self, user_id: str, user_name: str | None) -> None:
        if ("user", user_id) in self._state.known:
            return
        from cortex.namespaces import ASYNC_NAMESPACES

        users = ASYNC_NAMESPACES["users"](self._ctx)
        await users.get_or_create(user_id, {"displayName": user_name or user_id})
        self._state.remember_known("user", user_id)

    async def ensure_agent(self, agent_id: str) -> None:
        if ("agent", agent_id) in self._state.known:
            return
        from cortex.namespaces import ASYNC_NAMESPACES

        if not await self.agents.exists(agent_id):
            agents = ASYNC_NAMESPACES["agents"](self._ctx)
            try:
                await agents.register(
                    {
                        "id": agent_id,
                        "name": agent_id,
                        "description": "registered by memory.remember",
                    }
                )
            except FunctionError as exc:
                if "ALREADY" not in exc.code:
                    raise
        self._state.remember_known("agent", agent_id)

    async def ensure_conversation(self, space: str, params: Any, sync_graph: bool) -> None:
        key = params.conversation_id
        if ("conversation", key) in self._state.known:
            return
        tenant = getattr(params, "tenant_id", None)
        conversations = (
            ConversationsBase(self._tenant_view(tenant)) if tenant else self.conversations
        )
        if await conversations.get(key) is None:
            # An agent-only exchange is an agent-agent conversation, which the backend only accepts with two
            # memory spaces: the agent's own space and the acting participant's stand in for them.
            spaces = None if params.user_id else [space, params.participant_id or params.agent_id]
            participants = CreateConversationInputParticipants(
                user_id=params.user_id,
                agent_id=params.agent_id,
                participant_id=params.participant_id,
                memory_space_ids=spaces,
            )
            try:
                await ConversationsBase(
                    self._tenant_view(getattr(params, "tenant_id", None))
                ).create(
                    CreateConversationInput(
                        memory_space_id=space,
                        conversation_id=key,
                        type="user-agent" if params.user_id else "agent-agent",
                        participants=participants,
                    ),
                    CreateConversationOptions(sync_to_graph=sync_graph),
                )
            except FunctionError as exc:
                if "CONVERSATION_ALREADY_EXISTS" not in exc.code and "ALREADY_EXISTS" not in str(
                    exc
                ):
                    raise
        self._state.remember_known("conversation", key)

    async def add_messages(
        self, space: str, params: Any, agent_text: str, sync_graph: bool
    ) -> list[str]:
        """Append the user's message and the agent's reply; returns their ids."""
        ids = [_helpers.generate_message_id(), _helpers.generate_message_id()]
        messages = [
            AddMessageInputMessage(
                id=ids[0],
                role="user",
                content=params.user_message,
                metadata={"userId": params.user_id} if params.user_id else {},
            ),
            AddMessageInputMessage(
                id=ids[1],
                role="agent",
                content=agent_text,
                participant_id=params.participant_id or params.agent_id,
                metadata={},
            ),
        ]
        for position, message in enumerate(messages):
            try:
                await self.conversations.add_message(
                    AddMessageInput(conversation_id=params.conversation_id, message=message)
                )
            except FunctionError as exc:
                if position or "CONVERSATION_NOT_FOUND" not in exc.code:
                    raise
                # The cached conversation is gone (deleted elsewhere): create it again, once.
                self._state.forget_known("conversation", params.conversation_id)
                await self.ensure_conversation(space, params, sync_graph)
                await self.conversations.add_message(
                    AddMessageInput(conversation_id=params.conversation_id, message=message)
                )
        return ids

    async def embeddings(
        self, params: Any, options: Any, texts: list[str]
    ) -> list[list[float] | None]:
        """Vectors for ``texts``: the caller's ``generate_embedding``, else the configured embedder."""
        generate = params.generate_embedding or (options.generate_embedding if options else None)
        if generate is not None:
            out: list[list[float] | None] = []
            for text in texts:
                vector = await call_maybe(generate, text)
                out.append([float(x) for x in vector] if vector else None)
            return out
        auto = (
            params.auto_embed
            if params.auto_embed is not None
            else (options.auto_embed if options else None)
        )
        if self._state.embedder is None or auto is False:
            return [None] * len(texts)
        return list(await embed_many(self._state.embedder, texts))

    async def store_memories(
        self,
        space: str,
        params: Any,
        options: Any,
        agent_text: str,
        message_ids: list[str],
        sync_graph: bool,
    ) -> list[MemoryEntry]:
        user_content, content_type = params.user_message, "raw"
        if params.extract_content is not None:
            extracted = await call_maybe(params.extract_content, params.user_message, agent_text)
            if extracted:
                user_content, content_type = str(extracted), "summarized"
        keep_agent = not is_acknowledgement(agent_text)
        texts = [user_content, agent_text] if keep_agent else [user_content]
        vectors = await self.embeddings(params, options, texts)
        now = _helpers.now()
        tenant = getattr(params, "tenant_id", None) or self._ctx.auth.get("tenantId")
        importance = params.importance if params.importance else 50
        stored: list[MemoryEntry] = []
        for index, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
            ref = (
                ConversationRef(
                    conversation_id=params.conversation_id, message_ids=[message_ids[index]]
                )
                if message_ids
                else None
            )
            memory = await self.vector.store(
                space,
                StoreMemoryInput(
                    content=text,
                    content_type=content_type if index == 0 else "raw",
                    tenant_id=tenant,
                    participant_id=params.participant_id,
                    embedding=vector,
                    user_id=params.user_id,
                    agent_id=params.agent_id,
                    message_role="user" if index == 0 else "agent",
                    source=StoreMemoryInputSource(
                        type="conversation",
                        user_id=params.user_id,
                        user_name=params.user_name,
                        timestamp=now + index,
                    ),
                    conversation_ref=ref,
                    metadata=MemoryMetadata(importance=importance, tags=list(params.tags or [])),
                ),
                StoreMemoryOptions(sync_to_graph=sync_graph),
            )
            stored.append(memory)
        return stored

    # -- facts -----------------------------------------------------------------------------------------------

    def extractor_for(self, params: Any, options: Any) -> Any:
        """The fact extractor to use: the caller's, the client's, an LLM-backed one, or none."""
        if options is not None and options.extract_facts is False:
            return None
        if params.extract_facts is not None:
            return params.extract_facts
        if self._state.fact_extractor is not None:
            return self._state.fact_extractor
        if self._state.llm is not None:
            return LLMFactExtractor(self._state.llm)
        return None

    async def run_facts(self, job: FactJob) -> FactJob:
        """Extract (unless facts were supplied) and store facts through belief revision or deduplication."""
        candidates = list(job.supplied)
        if job.extractor is not None:
            agent_text = job.params.agent_response or ""
            found = await call_maybe(
                job.extractor, job.params.user_message, agent_text, async_method="aextract"
            )
            candidates.extend(_plain(item) for item in found or [])
        p = job.params
        source_ref = {
            "conversation_id": p.conversation_id,
            "message_ids": job.message_ids or None,
            "memory_id": job.memory_id,
        }
        for data in candidates:
            try:
                subject = data.get("subject") or p.user_id or p.agent_id
                tags = data.get("tags") or list(p.tags or [])
                if job.belief_revision:
                    result = await self._facts.revise(
                        ReviseParams(
                            memory_space_id=job.space,
                            user_id=p.user_id,
                            participant_id=p.participant_id,
                            tenant_id=getattr(p, "tenant_id", None),
                            source_type="conversation",
                            source_ref=source_ref,
                            fact=ConflictCandidate(
                                fact=data["fact"],
                                fact_type=data.get("factType") or data.get("fact_type") or "custom",
                                subject=subject,
                                predicate=data.get("predicate"),
                                object=data.get("object"),
                                confidence=float(data.get("confidence", 80)),
                                tags=tags,
                            ),
                        )
                    )
                    job.revisions.append(
                        {
                            "action": result.action,
                            "fact": result.fact,
                            "superseded": result.superseded or None,
                            "reason": result.reason,
                        }
                    )
                    if result.action != "NONE":
                        job.facts.append(result.fact)
                    continue
                store = StoreFactParams(
                    memory_space_id=job.space,
                    participant_id=p.participant_id,
                    user_id=p.user_id,
                    tenant_id=getattr(p, "tenant_id", None),
                    fact=data["fact"],
                    fact_type=data.get("factType") or data.get("fact_type") or "custom",
                    subject=subject,
                    predicate=data.get("predicate"),
                    object=data.get("object"),
                    confidence=float(data.get("confidence", 80)),
                    source_type="conversation",
                    source_ref=source_ref,
                    tags=tags,
                )
                if p.fact_deduplication is False:
                    job.facts.append(
                        await self._facts.store(
                            store, StoreFactOptions(sync_to_graph=job.sync_graph)
                        )
                    )
                else:
                    dedup = await self._facts.store_with_dedup(
                        store,
                        StoreFactWithDedupOptions(
                            deduplication=p.fact_deduplication or "semantic",
                            sync_to_graph=job.sync_graph,
                        ),
                    )
                    job.facts.append(dedup.fact)
            except (CortexError, ValueError, KeyError, TypeError) as exc:
                log.warning("remember: could not store fact %r: %s", data.get("fact"), exc)
        return job

    async def run_facts_in_background(self, job: FactJob) -> None:
        """Run the facts stage later; the client tracks the task (``memory.wait_background``)."""
        # twin: begin async
        task = asyncio.create_task(self._guarded(job))
        self._state.pending.add(task)
        task.add_done_callback(self._state.pending.discard)
        # twin: else
        # self._guarded(job)
        # twin: end

    async def _guarded(self, job: FactJob) -> None:
        try:
            await self.run_facts(job)
        except Exception as exc:  # background work must not vanish silently
            log.warning("remember: background fact extraction failed: %s", exc)
            self._state.errors.append(exc)


def _plain(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    dump = getattr(item, "model_dump", None)
    if dump is not None:
        return dict(dump(by_alias=True, exclude_none=True))
    return dict(vars(item))


def layer_event(layer: str, status: str, started: float, **extra: Any) -> LayerEvent:
    """An observer event for one layer."""
    return LayerEvent.model_validate(
        {
            "layer": layer,
            "status": status,
            "timestamp": _helpers.now(),
            "latencyMs": int((time.perf_counter() - started) * 1000),
            **extra,
        }
    )


async def notify(observer: Any, hook: str, *args: Any) -> None:
    """Call ``observer.<hook>(*args)`` when the observer has it; observer errors are logged, never raised."""
    if observer is None:
        return
    fn = observer.get(hook) if isinstance(observer, dict) else getattr(observer, hook, None)
    if fn is None:
        return
    try:
        await call_maybe(fn, *args)
    except Exception as exc:
        log.warning("remember: observer %s failed: %s", hook, exc)


def resolve_mode(extract: ExtractMode | None, options: RememberOptions | None) -> ExtractMode:
    if extract is not None:
        if extract not in ("inline", "background", "skip"):
            raise ValidationError(
                "extract must be 'inline', 'background' or 'skip'", field="extract"
            )
        return extract
    if options is not None and options.extract_facts is False:
        return "skip"
    return "inline"


__all__ = [
    "ACKNOWLEDGEMENTS",
    "DEFAULT_MEMORY_SPACE",
    "ExtractMode",
    "FactJob",
    "check_remember",
    "is_acknowledgement",
    "layer_event",
    "notify",
    "resolve_mode",
]
