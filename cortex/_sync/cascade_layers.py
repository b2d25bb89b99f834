# generated from cortex/_async/cascade_layers.py by codegen/twins.py; do not edit
"""The cascade's readers and writers for the layers no per-user list function covers directly.

* *fact history*: a user's fact events (``factHistory``), found space by space and removed with
  ``factHistory:deleteByUserId`` (plus ``deleteByFactId`` for events of the user's facts that carry no user id);
* *mutable namespaces*: the mutable store is listed per namespace, so namespaces are discovered: the usual ones,
  those the store's entries use (``admin:listTable``) and those the user's memories point to (``mutableRef``);
* *A2A messages*: what a user said through ``a2a.send(user_id=...)`` also sits in the agents' A2A conversation;
  those messages are cut out of it (the conversation is re-written without them, other messages keep their ids);
* *space discovery*: the memory spaces to search, beyond the registered ones.
"""

from __future__ import annotations

from typing import Any

from cortex._generated.args.admin import AdminListTableArgs
from cortex._generated.args.conversations import (
    ConversationsAddMessageArgs,
    ConversationsAddMessageArgsMessage,
    ConversationsCreateArgs,
    ConversationsDeleteByIdsArgs,
)
from cortex._generated.args.fact_history import (
    FactHistoryDeleteByFactIdArgs,
    FactHistoryDeleteByUserIdArgs,
    FactHistoryGetChangesByTimeRangeArgs,
    FactHistoryLogEventArgs,
)
from cortex._generated.calls_sync import admin as _admin
from cortex._generated.calls_sync import conversations as _conversations
from cortex._generated.calls_sync import fact_history as _history
from cortex._transport.base import CallOptions, SyncTransport

# Mutable namespaces searched for a user's keys in any case (the ones the SDK and its docs use).
MUTABLE_NAMESPACES = (
    "user-sessions",
    "user-cache",
    "user-preferences",
    "user-data",
    "sessions",
    "cache",
    "preferences",
)
PAGE = 100
TABLE_SCAN = 1000  # admin:listTable's most per call (upstream's cap)
Doc = dict[str, Any]


def args_from(model: Any, record: Doc, **overrides: Any) -> Any:
    """``model`` built from the fields of a stored record it accepts, with ``overrides`` (by Python name)."""
    by_alias = {(info.alias or name): name for name, info in model.model_fields.items()}
    picked = {by_alias[k]: v for k, v in record.items() if k in by_alias and v is not None}
    picked.update(overrides)
    return model.model_validate(picked)


class SyncLayerStore:
    """Fact history, namespace and space discovery, and A2A message removal over the generated call helpers."""

    def __init__(self, transport: SyncTransport, options: CallOptions | None) -> None:
        self._t = transport
        self._o = options

    def table_sample(self, table: str) -> list[Doc]:
        """The first documents of a table (at most ``TABLE_SCAN``), for discovering namespaces and spaces."""
        rows = _admin.admin_list_table(
            self._t, AdminListTableArgs(table=table, limit=TABLE_SCAN), options=self._o
        )
        return list(rows) if isinstance(rows, list) else []

    def namespaces(self, memories: list[Doc]) -> list[str]:
        """Every mutable namespace the cascade searches."""
        found = set(MUTABLE_NAMESPACES)
        found.update(r["namespace"] for r in self.table_sample("mutable") if "namespace" in r)
        for memory in memories:
            ref = memory.get("mutableRef")
            if isinstance(ref, dict) and isinstance(ref.get("namespace"), str):
                found.add(ref["namespace"])
        return sorted(found)

    def discovered_spaces(self) -> set[str]:
        """Memory spaces that hold memories or facts without being registered (from the tables' first rows)."""
        spaces: set[str] = set()
        for table in ("memories", "facts", "factHistory"):
            spaces.update(
                r["memorySpaceId"] for r in self.table_sample(table) if "memorySpaceId" in r
            )
        return spaces

    # -- fact history ------------------------------------------------------------------------------------------

    def fact_events(self, space: str, user_id: str, fact_ids: set[str]) -> list[Doc]:
        """The space's fact events of ``user_id`` or of one of the user's facts (every page)."""
        out: list[Doc] = []
        offset = 0
        while True:
            rows = _history.fact_history_get_changes_by_time_range(
                self._t,
                FactHistoryGetChangesByTimeRangeArgs(
                    memory_space_id=space, limit=PAGE, offset=offset
                ),
                options=self._o,
            )
            out.extend(e for e in rows if e.get("userId") == user_id or e.get("factId") in fact_ids)
            if len(rows) < PAGE:
                return out
            offset += PAGE

    def delete_fact_events(self, user_id: str, events: list[Doc]) -> None:
        _history.fact_history_delete_by_user_id(
            self._t, FactHistoryDeleteByUserIdArgs(user_id=user_id), options=self._o
        )
        for fact_id in sorted({e["factId"] for e in events if e.get("userId") != user_id}):
            _history.fact_history_delete_by_fact_id(
                self._t, FactHistoryDeleteByFactIdArgs(fact_id=fact_id), options=self._o
            )

    def restore_fact_event(self, event: Doc) -> None:
        _history.fact_history_log_event(
            self._t, args_from(FactHistoryLogEventArgs, event), options=self._o
        )

    # -- A2A messages --------------------------------------------------------------------------------------

    @staticmethod
    def a2a_cuts(conversations: list[Doc], memories: list[Doc]) -> list[Doc]:
        """For each A2A conversation holding messages of the user's A2A memories: the conversation and the ids to
        cut (``{"conversation": ..., "drop": [...]}``)."""
        refs: dict[str, set[str]] = {}
        for memory in memories:
            ref = memory.get("conversationRef")
            if memory.get("sourceType") == "a2a" and isinstance(ref, dict):
                refs.setdefault(ref.get("conversationId", ""), set()).update(
                    ref.get("messageIds") or []
                )
        cuts: list[Doc] = []
        for conversation in conversations:
            drop = refs.get(conversation["conversationId"], set())
            ids = [m["id"] for m in conversation.get("messages", []) if m.get("id") in drop]
            if ids:
                cuts.append({"conversation": conversation, "drop": ids})
        return cuts

    def rewrite_conversation(self, conversation: Doc, keep: list[Doc]) -> None:
        """Replace the conversation by one with the same id, fields and only the ``keep`` messages."""
        _conversations.conversations_delete_by_ids(
            self._t,
            ConversationsDeleteByIdsArgs(conversation_ids=[conversation["conversationId"]]),
            options=self._o,
        )
        if not keep:
            return
        _conversations.conversations_create(
            self._t, args_from(ConversationsCreateArgs, conversation), options=self._o
        )
        for message in keep:
            _conversations.conversations_add_message(
                self._t,
                ConversationsAddMessageArgs(
                    conversation_id=conversation["conversationId"],
                    message=args_from(ConversationsAddMessageArgsMessage, message),
                ),
                options=self._o,
            )

    def cut_messages(self, cut: Doc) -> None:
        conversation, drop = cut["conversation"], set(cut["drop"])
        keep = [m for m in conversation.get("messages", []) if m.get("id") not in drop]
        self.rewrite_conversation(conversation, keep)

    def restore_messages(self, cut: Doc) -> None:
        conversation = cut["conversation"]
        self.rewrite_conversation(conversation, list(conversation.get("messages", [])))
