"""The graph model: the fixed vocabulary of labels, unique keys and relationship types (upstream TS's model).

Every label and relationship type written into Cypher text comes from here or passes ``identifier``; values are
always parameters.
"""

from __future__ import annotations

import re

from cortex.errors import ValidationError

# label -> its unique key property (one uniqueness constraint each)
NODE_KEYS: dict[str, str] = {
    "MemorySpace": "memorySpaceId",
    "Context": "contextId",
    "Conversation": "conversationId",
    "Memory": "memoryId",
    "Fact": "factId",
    "User": "userId",
    "Agent": "agentId",
    "Participant": "participantId",
    "Entity": "name",
}

# (constraint name, label, property): the names upstream uses, so both SDKs see one schema
CONSTRAINTS: tuple[tuple[str, str, str], ...] = (
    ("memory_space_id", "MemorySpace", "memorySpaceId"),
    ("context_id", "Context", "contextId"),
    ("conversation_id", "Conversation", "conversationId"),
    ("memory_id", "Memory", "memoryId"),
    ("fact_id", "Fact", "factId"),
    ("user_id", "User", "userId"),
    ("agent_id", "Agent", "agentId"),
    ("participant_id", "Participant", "participantId"),
    ("entity_name", "Entity", "name"),
)

INDEXES: tuple[tuple[str, str, str], ...] = (
    ("context_status", "Context", "status"),
    ("context_depth", "Context", "depth"),
    ("context_memory_space", "Context", "memorySpaceId"),
    ("context_user", "Context", "userId"),
    ("context_parent", "Context", "parentId"),
    ("conversation_type", "Conversation", "type"),
    ("conversation_memory_space", "Conversation", "memorySpaceId"),
    ("conversation_user", "Conversation", "userId"),
    ("conversation_agent", "Conversation", "agentId"),
    ("memory_importance", "Memory", "importance"),
    ("memory_source_type", "Memory", "sourceType"),
    ("memory_memory_space", "Memory", "memorySpaceId"),
    ("memory_user", "Memory", "userId"),
    ("memory_agent", "Memory", "agentId"),
    ("memory_content_type", "Memory", "contentType"),
    ("fact_type", "Fact", "factType"),
    ("fact_confidence", "Fact", "confidence"),
    ("fact_subject", "Fact", "subject"),
    ("fact_memory_space", "Fact", "memorySpaceId"),
    ("fact_source_type", "Fact", "sourceType"),
    ("memory_space_type", "MemorySpace", "type"),
    ("memory_space_status", "MemorySpace", "status"),
    ("entity_type", "Entity", "type"),
    ("participant_type", "Participant", "type"),
)

RELATIONSHIP_TYPES: frozenset[str] = frozenset(
    {
        "CHILD_OF",
        "INVOLVES",
        "IN_SPACE",
        "TRIGGERED_BY",
        "GRANTS_ACCESS_TO",
        "HAS_PARTICIPANT",
        "REFERENCES",
        "RELATES_TO",
        "SOURCED_FROM",
        "STORED_BY",
        "MENTIONS",
        "EXTRACTED_FROM",
        "EXTRACTED_BY",
        "SUPERSEDES",
        "SENT_TO",
    }
)

# Orphan rules: after an explicit delete, a neighbour of this label goes when nothing of ``keep_if`` still points
# at it. ``None``: never removed as an orphan (only by an explicit delete).
ORPHAN_KEEP_IF: dict[str, frozenset[str] | None] = {
    "Conversation": frozenset({"Memory", "Fact", "Context"}),
    "Entity": frozenset({"Fact"}),
    "Agent": frozenset({"Memory", "Fact", "Context"}),
    "User": None,
    "Participant": None,
    "MemorySpace": None,
    "Memory": None,
    "Fact": None,
    "Context": None,
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_PREDICATE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def identifier(name: str, what: str = "identifier") -> str:
    """``name`` back-quoted for Cypher, after checking it is a plain identifier (letters, digits, ``_``)."""
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise ValidationError(
            f"invalid graph {what}: {name!r}", code="INVALID_GRAPH_IDENTIFIER", field=what
        )
    return f"`{name}`"


def predicate_type(predicate: str) -> str | None:
    """The relationship type upstream derives from a fact's predicate (upper case, blanks to ``_``), or ``None``
    when the result is not a plain identifier (then no predicate edge is written)."""
    name = "_".join(predicate.upper().split())
    return name if _PREDICATE.fullmatch(name) and name not in RELATIONSHIP_TYPES else None
