"""``memory.remember_stream``: consume a streamed agent reply, report progress, then remember the exchange.

Chunks are accumulated as they arrive; ``hooks.on_chunk`` / ``on_progress`` are called for each one. With
``store_partial_response`` a partial memory holds the text received so far (updated every
``partial_response_interval`` ms) and is removed once the full exchange is remembered. A stream that fails
midway is remembered with what arrived when ``partial_failure_handling`` is ``"store-partial"`` or
``"best-effort"``; otherwise the error propagates (the partial memory is removed first).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from cortex._async.model_calls import call_maybe
from cortex._async.remember import FactJob
from cortex._generated.args.memories import (
    MemoriesDeleteMemoryArgs,
    MemoriesStorePartialMemoryArgs,
    MemoriesUpdatePartialMemoryArgs,
)
from cortex._generated.calls import memories as _memory_calls
from cortex._generated.models import (
    ChunkEvent,
    EnhancedRememberStreamResult,
    ProgressEvent,
    RememberOptions,
    RememberParams,
    RememberStreamParams,
    StreamCompleteEvent,
    StreamingOptions,
)
from cortex._helpers import now
from cortex.errors import CortexError, ValidationError

PARAM_FIELDS = (
    "memory_space_id",
    "conversation_id",
    "user_message",
    "user_id",
    "agent_id",
    "user_name",
    "participant_id",
    "skip_layers",
    "extract_content",
    "generate_embedding",
    "extract_facts",
    "auto_embed",
    "auto_summarize",
    "importance",
    "tags",
    "fact_deduplication",
    "observer",
)


class _NoStream:
    """Stands in for the stream while the params model is validated (the chunks are passed separately)."""


# Spelled in two parts so that the sync twin keeps the async protocol name the model checks for.
setattr(_NoStream, "__a" + "iter__", lambda self: self)
STREAM_PLACEHOLDER: Any = _NoStream()


async def _hook(hooks: Any, name: str, event: Any) -> None:
    fn = getattr(hooks, name, None) if hooks is not None else None
    if fn is not None:
        await call_maybe(fn, event)


async def run_remember_stream(
    memory: Any,
    params: RememberStreamParams,
    options: StreamingOptions | None,
    extract: Any,
    stream: Any,
) -> EnhancedRememberStreamResult:
    """The body of ``memory.remember_stream`` (``memory`` is the namespace object; ``stream`` the chunks)."""
    if stream is None:
        raise ValidationError(
            "responseStream is required", code="MISSING_REQUIRED_FIELD", field="responseStream"
        )
    ctx = memory._ctx
    opts = options or StreamingOptions()
    hooks = opts.hooks
    started = time.perf_counter()
    start_ms = now()
    chunks: list[str] = []
    first_latency = 0.0
    partial_id: str | None = None
    partial_history: list[dict[str, Any]] = []
    last_partial = started
    interval = (opts.partial_response_interval or 3000) / 1000.0
    errors: list[dict[str, Any]] = []
    space = params.memory_space_id or "default"
    owner = params.user_id or params.agent_id or "unknown"
    failure: BaseException | None = None
    # Progressive fact extraction: every ``fact_extraction_threshold`` characters (default 500), facts of the
    # text so far go through belief revision, so the final pass finds them known (``NONE``).
    extractor = (
        memory._pipeline.extractor_for(params, None) if opts.progressive_fact_extraction else None
    )
    threshold = int(opts.fact_extraction_threshold or 500)
    next_extraction = threshold
    progressive: list[dict[str, Any]] = []
    try:
        async for chunk in stream:
            text = chunk if isinstance(chunk, str) else str(chunk)
            if not chunks:
                first_latency = (time.perf_counter() - started) * 1000
            chunks.append(text)
            accumulated = "".join(chunks)
            if opts.max_response_length is not None and len(accumulated) > opts.max_response_length:
                raise CortexError(
                    "the streamed response exceeds maxResponseLength", code="RESPONSE_TOO_LONG"
                )
            await _hook(
                hooks,
                "on_chunk",
                ChunkEvent.model_validate(
                    {
                        "chunk": text,
                        "chunkNumber": len(chunks),
                        "accumulated": accumulated,
                        "timestamp": now(),
                        "estimatedTokens": len(accumulated) // 4,
                    }
                ),
            )
            await _hook(
                hooks,
                "on_progress",
                ProgressEvent.model_validate(
                    {
                        "bytesProcessed": len(accumulated.encode()),
                        "chunks": len(chunks),
                        "elapsedMs": int((time.perf_counter() - started) * 1000),
                        "currentPhase": "streaming",
                    }
                ),
            )
            if opts.store_partial_response and (
                partial_id is None or time.perf_counter() - last_partial >= interval
            ):
                partial_id = await _store_partial(
                    ctx, params, space, owner, partial_id, accumulated, len(chunks)
                )
                partial_history.append(
                    {
                        "timestamp": now(),
                        "memory_id": partial_id,
                        "content_length": len(accumulated),
                        "chunk_number": len(chunks),
                    }
                )
                last_partial = time.perf_counter()
            if extractor is not None and len(accumulated) >= next_extraction:
                next_extraction = len(accumulated) + threshold
                progressive += await _extract_progressively(
                    memory, params, extractor, accumulated, len(chunks)
                )
    except Exception as exc:
        failure = exc
        await _hook(hooks, "on_error", {"message": str(exc)})
        errors.append(
            {
                "code": getattr(exc, "code", "STREAM_ERROR"),
                "message": str(exc),
                "recoverable": True,
                "partial_data_saved": partial_id is not None,
                "context": {
                    "phase": "streaming",
                    "chunk_number": len(chunks),
                    "bytes_processed": len("".join(chunks).encode()),
                    "partial_memory_id": partial_id,
                },
            }
        )
    full = "".join(chunks)
    handling = opts.partial_failure_handling
    if failure is not None and (
        handling not in ("store-partial", "best-effort") or not full.strip()
    ):
        await _drop_partial(ctx, space, partial_id)
        raise failure
    if not full.strip():
        raise ValidationError(
            "the response stream produced no content", code="EMPTY_RESPONSE", field="responseStream"
        )
    fields = {
        name: getattr(params, name) for name in PARAM_FIELDS if name in params.model_fields_set
    }
    remembered = await memory.remember(
        RememberParams(**fields, agent_response=full),
        RememberOptions(sync_to_graph=opts.sync_to_graph, belief_revision=opts.belief_revision),
        extract=extract,
    )
    await _drop_partial(ctx, space, partial_id)
    duration = int((time.perf_counter() - started) * 1000)
    total_bytes = len(full.encode())
    await _hook(
        hooks,
        "on_complete",
        StreamCompleteEvent.model_validate(
            {
                "fullResponse": full,
                "totalChunks": len(chunks),
                "durationMs": duration,
                "factsExtracted": len(remembered.facts),
            }
        ),
    )
    seconds = max(duration / 1000.0, 1e-3)
    return EnhancedRememberStreamResult.model_validate(
        {
            **remembered.model_dump(exclude_unset=True),
            "full_response": full,
            "stream_metrics": {
                "start_time": start_ms,
                "first_chunk_latency": first_latency,
                "stream_duration_ms": duration,
                "total_chunks": len(chunks),
                "total_bytes": total_bytes,
                "average_chunk_size": total_bytes // max(len(chunks), 1),
                "chunks_per_second": len(chunks) / seconds,
                "facts_extracted": len(remembered.facts),
                "partial_updates": len(partial_history),
                "error_count": len(errors),
                "retry_count": 0,
                "estimated_tokens": len(full) // 4,
            },
            "progressive_processing": {
                "facts_extracted_during_stream": progressive,
                "partial_storage_history": partial_history,
            },
            "errors": errors or None,
            "recovered": True if failure is not None else None,
        }
    )


async def _extract_progressively(
    memory: Any, params: RememberStreamParams, extractor: Any, text: str, chunk_number: int
) -> list[dict[str, Any]]:
    """Store the facts of the text received so far; returns ``ProgressiveFact``-shaped entries."""
    space = params.memory_space_id or "default"
    job = FactJob(
        space=space,
        params=params,
        extractor=None,
        supplied=[],
        message_ids=[],
        memory_id=None,
        belief_revision=memory._facts.has_belief_revision(),
        sync_graph=False,
    )
    job.supplied = [
        dict(f)
        for f in await call_maybe(extractor, params.user_message, text, async_method="aextract")
        or []
    ]
    await memory._pipeline.run_facts(job)
    return [
        {
            "fact_id": r["fact"].fact_id,
            "extracted_at_chunk": chunk_number,
            "confidence": r["fact"].confidence,
            "fact": r["fact"].fact,
            "deduped": r["action"] == "NONE",
        }
        for r in job.revisions
    ] or [
        {
            "fact_id": f.fact_id,
            "extracted_at_chunk": chunk_number,
            "confidence": f.confidence,
            "fact": f.fact,
        }
        for f in job.facts
    ]


async def _store_partial(
    ctx: Any,
    params: RememberStreamParams,
    space: str,
    owner: str,
    partial_id: str | None,
    text: str,
    chunk_number: int,
) -> str:
    metadata = {"chunkNumber": chunk_number, "updatedAt": now()}
    if partial_id is None:
        raw = await _memory_calls.memories_store_partial_memory(
            ctx.transport,
            MemoriesStorePartialMemoryArgs(
                memory_space_id=space,
                participant_id=params.participant_id,
                conversation_id=params.conversation_id,
                user_id=owner,
                content=text,
                is_partial=True,
                metadata=metadata,
                importance=params.importance or 50,
                tags=list(params.tags or []),
            ),
            options=ctx.options,
        )
        return str(raw["memoryId"])
    await _memory_calls.memories_update_partial_memory(
        ctx.transport,
        MemoriesUpdatePartialMemoryArgs(memory_id=partial_id, content=text, metadata=metadata),
        options=ctx.options,
    )
    return partial_id


async def _drop_partial(ctx: Any, space: str, partial_id: str | None) -> None:
    if partial_id is None:
        return
    with contextlib.suppress(CortexError):  # already gone
        await _memory_calls.memories_delete_memory(
            ctx.transport,
            MemoriesDeleteMemoryArgs(memory_space_id=space, memory_id=partial_id),
            options=ctx.options,
        )
