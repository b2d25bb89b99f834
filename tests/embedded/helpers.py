"""Document builders for the real Cortex tables used in embedded-engine tests."""

from __future__ import annotations

from typing import Any


def memory_doc(
    memory_id: str,
    space: str = "space-1",
    content: str = "hello",
    *,
    embedding: list[float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "memoryId": memory_id,
        "memorySpaceId": space,
        "content": content,
        "contentType": "raw",
        "sourceType": "system",
        "sourceTimestamp": 1.0,
        "importance": 50.0,
        "tags": [],
        "version": 1.0,
        "previousVersions": [],
        "createdAt": 1.0,
        "updatedAt": 1.0,
        "accessCount": 0.0,
    }
    if embedding is not None:
        doc["embedding"] = embedding
    doc.update(extra)
    return doc


def mutable_doc(namespace: str, key: str, value: Any = 0, **extra: Any) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "key": key,
        "value": value,
        "createdAt": 1.0,
        "updatedAt": 1.0,
        **extra,
    }


def conversation_doc(
    conversation_id: str, space: str, participants: dict[str, Any]
) -> dict[str, Any]:
    return {
        "conversationId": conversation_id,
        "memorySpaceId": space,
        "type": "user-agent",
        "participants": participants,
        "messages": [],
        "messageCount": 0.0,
        "createdAt": 1.0,
        "updatedAt": 1.0,
    }
