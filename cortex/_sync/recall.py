# generated from cortex/_async/recall.py by codegen/twins.py; do not edit
"""``memory.recall``: hybrid retrieval over one memory space.

Three ranked lists are fetched inside the backend, scoped by memory space (and tenant where the function takes
one): vector search (the query's embedding: given, or from the configured embedder), keyword search (full-text
over memory content) and facts (full-text over facts). They are fused by reciprocal rank fusion
(score = Σ 1 / (k + rank), k = 60), optionally reordered by a reranker hook, cut to ``limit``, enriched with
their conversations, and formatted as an LLM context that fits an optional token budget.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from cortex._context import SyncContext
from cortex._generated.args.facts import FactsGetArgs, FactsSearchArgs
from cortex._generated.calls_sync import facts as _fact_calls
from cortex._generated.models import (
    FactRecord,
    ListFactsFilter,
    MemoryEntry,
    RecallParams,
    RecallResult,
    SearchMemoriesOptions,
)
from cortex._generated.namespaces_sync.conversations import ConversationsBase
from cortex._generated.namespaces_sync.facts import FactsBase
from cortex._generated.namespaces_sync.vector import VectorBase
from cortex._helpers import now
from cortex._model_base import to_epoch_ms
from cortex._sync.memory_state import SyncMemoryState
from cortex._sync.model_calls import call_maybe, embed_many
from cortex.embeddings import cosine
from cortex.errors import ValidationError

RRF_K = 60
FACT_POOL = 500
KEYWORD_WEIGHT = 0.5
# weight of the graph expansion's list (facts linked through shared entities) in the fusion
GRAPH_WEIGHT = 0.5
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


def has_identifier(text: str) -> bool:
    """Whether the text holds a token with a digit (an id, a code, a number)."""
    return any(ch.isdigit() for ch in text)


def keyword_query(text: str) -> str:
    """The query for full-text search: common words removed (all kept when nothing else is left)."""
    words = [w for w in text.split() if w.strip("?!.,;:'\"").lower() not in STOPWORDS]
    return " ".join(words) if words else text


RecallMode = Literal["hybrid", "vector", "keyword"]


def rrf(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion of ranked key lists: ``Σ w / (k + rank)`` (rank from 1; ``w`` the list's weight,
    1 by default), summed per key."""
    scores: dict[str, float] = {}
    for index, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[index]
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def estimate_tokens(text: str) -> int:
    """A cheap token estimate (about 4 characters per token for English text)."""
    return max(1, (len(text) + 3) // 4)


def format_context(items: Sequence[dict[str, Any]], token_budget: int | None = None) -> str:
    """Facts first, then memories, as a Markdown context; stops before exceeding ``token_budget``."""
    facts = [i for i in items if i["type"] == "fact"]
    memories = [i for i in items if i["type"] == "memory"]
    lines: list[str] = []
    used = 0

    def add(line: str) -> bool:
        nonlocal used
        cost = estimate_tokens(line) + 1
        if token_budget is not None and used + cost > token_budget:
            return False
        lines.append(line)
        used += cost
        return True

    for title, group in (("## Known facts", facts), ("## Relevant memories", memories)):
        if not group:
            continue
        if not add(title):
            break
        for item in group:
            if not add(f"- {item['content']}"):
                break
    return "\n".join(lines)


def _nothing() -> list[Any]:
    return []


class SyncRecall:
    """The recall pipeline of one client."""

    def __init__(self, ctx: SyncContext, state: SyncMemoryState) -> None:
        self._ctx = ctx
        self._state = state
        self._vector = VectorBase(ctx)
        self._conversations = ConversationsBase(ctx)
        self._facts_api = FactsBase(ctx)

    def query_embedding(self, params: RecallParams) -> list[float] | None:
        if params.embedding:
            return list(params.embedding)
        if self._state.embedder is None:
            return None
        return (embed_many(self._state.embedder, [params.query]))[0]

    def run(
        self,
        params: RecallParams,
        *,
        mode: RecallMode = "hybrid",
        reranker: Any = None,
        token_budget: int | None = None,
    ) -> RecallResult:
        started = time.perf_counter()
        if not params.memory_space_id or not params.memory_space_id.strip():
            raise ValidationError(
                "memorySpaceId is required", code="MISSING_REQUIRED_FIELD", field="memorySpaceId"
            )
        if not params.query or not params.query.strip():
            raise ValidationError("query is required", code="MISSING_REQUIRED_FIELD", field="query")
        if mode not in ("hybrid", "vector", "keyword"):
            raise ValidationError("mode must be 'hybrid', 'vector' or 'keyword'", field="mode")
        if params.limit is not None and params.limit < 1:
            raise ValidationError("limit must be at least 1", code="INVALID_LIMIT", field="limit")
        limit = params.limit or 20
        fetch = max(limit * 4, 40)
        sources = params.sources
        use_vector = sources is None or sources.vector is not False
        use_facts = (sources is None or sources.facts is not False) and mode == "hybrid"
        tenant = params.tenant_id or self._ctx.auth.get("tenantId")

        embedding = None
        if (use_vector and mode != "keyword") or use_facts:
            embedding = self.query_embedding(params)
        jobs: list[Any] = [
            self._search(params, embedding, fetch)
            if use_vector and mode != "keyword" and embedding is not None
            else _nothing(),
            self._search(params, None, fetch)
            if use_vector and (mode != "vector" or embedding is None)
            else _nothing(),
            self._facts(params, tenant, fetch) if use_facts else _nothing(),
            self._facts_by_meaning(params, tenant, embedding, fetch)
            if use_facts and embedding is not None
            else _nothing(),
        ]
        # The four lists are independent: fetched concurrently (one round trip of latency over HTTP).
        found = jobs
        vector_hits, keyword_hits, fact_hits, fact_meaning = found
        if tenant:
            vector_hits = [m for m in vector_hits if m.tenant_id == tenant]
            keyword_hits = [m for m in keyword_hits if m.tenant_id == tenant]
            fact_hits = [f for f in fact_hits if f.tenant_id in (tenant, None)]
        current = now()
        fact_hits = [
            f
            for f in fact_hits
            if f.superseded_by is None and (f.valid_until is None or f.valid_until > current)
        ]

        memories: dict[str, MemoryEntry] = {}
        for m in vector_hits + keyword_hits:
            memories.setdefault("m:" + m.memory_id, m)
        facts = {"f:" + f.fact_id: f for f in fact_hits}
        rankings = [
            ["m:" + m.memory_id for m in keyword_hits],
            ["f:" + f.fact_id for f in fact_hits],
        ]
        if (embedding is not None and vector_hits) or (embedding is not None and use_facts):
            # One list by meaning: memories (vector index) and current facts (embedded here, cached) by cosine.
            meaning: list[tuple[float, str]] = [
                (cosine(embedding, m.embedding or []), "m:" + m.memory_id) for m in vector_hits
            ]
            for fact, score in fact_meaning:
                facts.setdefault("f:" + fact.fact_id, fact)
                meaning.append((score, "f:" + fact.fact_id))
            meaning.sort(key=lambda pair: -pair[0])
            rankings.insert(0, [key for _, key in meaning[:fetch]])
        # Meaning counts fully, words half (common words match everything), unless the query holds an
        # identifier (a token with a digit: order numbers, codes, versions), which embeddings barely tell apart.
        keyword = 1.0 if has_identifier(params.query) else KEYWORD_WEIGHT
        weights = [1.0, keyword, keyword] if len(rankings) == 3 else [1.0, 1.0]
        expanded, entities = self._graph_expansion(params, list(memories), facts, tenant)
        if expanded:
            rankings.append(expanded)
            weights.append(GRAPH_WEIGHT)
        scores = rrf(rankings, weights=weights)
        # The best possible score: first in the list by meaning and first in its keyword list.
        top = (weights[0] + weights[1]) / (RRF_K + 1)
        ordered = sorted(scores, key=lambda key: -scores[key])
        items: list[dict[str, Any]] = []
        for key in ordered:
            if key in memories:
                m = memories[key]
                items.append(
                    {
                        "type": "memory",
                        "id": m.memory_id,
                        "content": m.content,
                        "score": scores[key] / top,
                        "source": "vector",
                        "tenant_id": m.tenant_id,
                        "user_id": m.user_id,
                        "memory": m,
                    }
                )
            else:
                f = facts[key]
                items.append(
                    {
                        "type": "fact",
                        "id": f.fact_id,
                        "content": f.fact,
                        "score": scores[key] / top,
                        "source": "facts",
                        "tenant_id": f.tenant_id,
                        "user_id": f.user_id,
                        "fact": f,
                    }
                )
        if reranker is not None and items:
            items = self._rerank(reranker, params.query, items)
        items = items[:limit]
        if params.include_conversation is not False:
            self._attach_conversations(items)
        context = None
        if params.format_for_llm is not False:
            context = format_context(items, token_budget)
        return RecallResult.model_validate(
            {
                "items": items,
                "sources": {
                    "vector": {"count": len(memories), "items": list(memories.values())},
                    "facts": {"count": len(fact_hits), "items": fact_hits},
                    "graph": {"count": len(expanded), "expanded_entities": entities},
                },
                "context": context,
                "total_results": len(vector_hits) + len(keyword_hits) + len(fact_hits),
                "query_time_ms": int((time.perf_counter() - started) * 1000),
                "graph_expansion_applied": bool(expanded),
            }
        )

    def _graph_expansion(
        self,
        params: RecallParams,
        memory_keys: list[str],
        facts: dict[str, FactRecord],
        tenant: str | None,
    ) -> tuple[list[str], list[str]]:
        """Facts linked to the hits through the graph (``cortex.graph``), as one more ranking; adds the new facts
        to ``facts``. ``([], [])`` without a graph, or when ``sources.graph``/``graph_expansion`` turn it off."""
        graph: Any = self._ctx.graph
        options = params.graph_expansion
        if not hasattr(graph, "expand") or (
            params.sources is not None and params.sources.graph is False
        ):
            return [], []
        if options is not None and options.enabled is False:
            return [], []
        from_memories = options is None or options.expand_from_memories is not False
        from_facts = options is None or options.expand_from_facts is not False
        depth = int(options.max_depth) if options is not None and options.max_depth else 2
        entities, fact_ids = graph.expand(
            params.memory_space_id,
            [k[2:] for k in memory_keys] if from_memories else [],
            [k[2:] for k in facts] if from_facts else [],
            depth,
        )
        ranking: list[str] = []
        for fact_id in fact_ids:
            if "f:" + fact_id not in facts:
                raw = _fact_calls.facts_get(
                    self._ctx.transport,
                    FactsGetArgs(
                        memory_space_id=params.memory_space_id, fact_id=fact_id, tenant_id=tenant
                    ),
                    options=self._ctx.options,
                )
                if not raw:
                    continue
                facts["f:" + fact_id] = FactRecord.model_validate(raw)
            ranking.append("f:" + fact_id)
        return ranking, entities

    def _search(
        self, params: RecallParams, embedding: list[float] | None, fetch: int
    ) -> list[MemoryEntry]:
        found: list[MemoryEntry] = self._vector.search(
            params.memory_space_id,
            params.query if embedding is not None else keyword_query(params.query),
            SearchMemoriesOptions(
                embedding=embedding,
                user_id=params.user_id,
                tags=params.tags,
                min_importance=params.min_importance,
                limit=fetch,
            ),
        )
        after = to_epoch_ms(params.created_after) if params.created_after is not None else None
        before = to_epoch_ms(params.created_before) if params.created_before is not None else None
        return [
            m
            for m in found
            if (after is None or m.created_at >= after)
            and (before is None or m.created_at <= before)
        ]

    def _facts(self, params: RecallParams, tenant: str | None, fetch: int) -> list[FactRecord]:
        raw = _fact_calls.facts_search(
            self._ctx.transport,
            FactsSearchArgs(
                memory_space_id=params.memory_space_id,
                tenant_id=tenant,
                query=keyword_query(params.query),
                user_id=params.user_id,
                min_confidence=params.min_confidence,
                tags=params.tags,
                created_after=to_epoch_ms(params.created_after)
                if params.created_after is not None
                else None,
                created_before=to_epoch_ms(params.created_before)
                if params.created_before is not None
                else None,
                include_superseded=False,
                limit=fetch,
            ),
            options=self._ctx.options,
        )
        return [FactRecord.model_validate(f) for f in raw or []]

    def _facts_by_meaning(
        self, params: RecallParams, tenant: str | None, embedding: list[float], fetch: int
    ) -> list[tuple[FactRecord, float]]:
        """Current facts of the space ranked by cosine to the query (fact vectors are cached per client)."""
        pool: list[FactRecord] = self._facts_api.list(
            ListFactsFilter(
                memory_space_id=params.memory_space_id,
                tenant_id=tenant,
                user_id=params.user_id,
                min_confidence=params.min_confidence,
                tags=params.tags,
                include_superseded=False,
                limit=FACT_POOL,
            )
        )
        current = now()
        pool = [
            f
            for f in pool
            if f.superseded_by is None and (f.valid_until is None or f.valid_until > current)
        ]
        if not pool or self._state.embedder is None:
            return []
        cache = self._state.fact_vectors
        missing = [f for f in pool if (f.fact_id, f.fact) not in cache]
        if missing:
            if len(cache) > 50_000:
                cache.clear()
            vectors = embed_many(self._state.embedder, [f.fact for f in missing])
            for fact, vector in zip(missing, vectors, strict=True):
                cache[(fact.fact_id, fact.fact)] = vector
        ranked = [(f, cosine(embedding, cache[(f.fact_id, f.fact)])) for f in pool]
        ranked.sort(key=lambda pair: -pair[1])
        return ranked[:fetch]

    def _rerank(
        self, reranker: Any, query: str, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``reranker(query, texts) -> scores`` (one float per text, higher is better); sync or async."""
        scores = call_maybe(reranker, query, [i["content"] for i in items])
        values = [float(s) for s in scores]
        if len(values) != len(items):
            raise ValidationError("the reranker must return one score per item", field="reranker")
        for item, value in zip(items, values, strict=True):
            item["score"] = value
        return sorted(items, key=lambda i: -i["score"])

    def _attach_conversations(self, items: list[dict[str, Any]]) -> None:
        wanted = {
            i["memory"].conversation_ref.conversation_id
            for i in items
            if i["type"] == "memory" and i["memory"].conversation_ref is not None
        }
        found = {}
        for conversation_id in sorted(wanted):
            conversation = self._conversations.get(conversation_id)
            if conversation is not None:
                found[conversation_id] = conversation
        for item in items:
            ref = item["memory"].conversation_ref if item["type"] == "memory" else None
            if ref is None or ref.conversation_id not in found:
                continue
            conversation = found[ref.conversation_id]
            item["conversation"] = conversation
            item["source_messages"] = [
                msg for msg in conversation.messages if msg.id in ref.message_ids
            ]
