"""Pure rules of belief revision: slots, text normalisation, the no-LLM decision, the LLM prompt and its answer.

A *slot* is (normalised subject, predicate class): two facts in one slot describe the same attribute of the same
entity ("lives in Paris" / "moved to Berlin" are both ``location``), so a new value replaces the old one. Predicate
classes map free-form predicates to a slot name by phrase; unknown predicates are their own class.
No I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "PREDICATE_CLASSES",
    "Decision",
    "classify_predicate",
    "conflict_prompt",
    "default_decision",
    "merged_classes",
    "normalize_fact_text",
    "normalize_predicate",
    "normalize_subject",
    "parse_decision",
    "slot_of",
    "word_overlap",
]

Action = Literal["ADD", "UPDATE", "SUPERSEDE", "NONE"]
ACTIONS: tuple[str, ...] = ("ADD", "UPDATE", "SUPERSEDE", "NONE")

# Phrase lists (lower case) for the attributes people most often restate with a new value.
PREDICATE_CLASSES: dict[str, tuple[str, ...]] = {
    "name": (
        "name is",
        "is named",
        "named",
        "is called",
        "called",
        "goes by",
        "known as",
        "nickname",
    ),
    "addressing": ("prefers to be called", "preferred name", "call me", "address me as", "pronoun"),
    "location": (
        "lives in",
        "lives at",
        "living in",
        "resides in",
        "based in",
        "located in",
        "moved to",
        "relocated to",
        "home is",
        "hometown",
        "current city",
        "current country",
    ),
    "employment": (
        "works at",
        "works for",
        "working at",
        "employed by",
        "employer",
        "job at",
        "job is",
        "occupation",
        "profession",
        "role is",
        "works as",
    ),
    "age": ("age is", "years old", "born in", "birthday", "date of birth"),
    "favorite_color": (
        "favorite color",
        "favourite color",
        "favorite colour",
        "favourite colour",
        "preferred color",
        "preferred colour",
    ),
    "favorite_food": (
        "favorite food",
        "favourite food",
        "favorite cuisine",
        "favourite cuisine",
        "favorite dish",
        "favourite dish",
    ),
    "diet": ("diet is", "dietary", "is vegetarian", "is vegan", "allergic to", "allergy"),
    "music": (
        "favorite music",
        "favourite music",
        "favorite band",
        "favourite band",
        "favorite artist",
        "favourite artist",
        "favorite genre",
        "favourite genre",
    ),
    "relationship_status": (
        "married to",
        "engaged to",
        "is dating",
        "partner is",
        "spouse is",
        "relationship status",
    ),
    "education": (
        "studied at",
        "studies at",
        "graduated from",
        "attends",
        "degree in",
        "majored in",
    ),
    "language": ("native language", "speaks", "preferred language", "fluent in"),
    "timezone": ("timezone", "time zone"),
    "contact": ("contact preference", "preferred contact", "reach me", "prefers to be contacted"),
}


def normalize_subject(subject: str | None) -> str:
    """Lower case, trimmed, inner whitespace collapsed."""
    return " ".join((subject or "").lower().split())


_PUNCT = re.compile(r"[.,!?;:'\"]+")


def normalize_predicate(predicate: str | None) -> str:
    """Lower case, underscores as spaces, punctuation removed, whitespace collapsed."""
    text = (predicate or "").lower().replace("_", " ")
    return " ".join(_PUNCT.sub("", text).split())


def merged_classes(custom: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """The default classes with ``custom`` phrases added (custom phrases are tried first)."""
    if not custom:
        return PREDICATE_CLASSES
    merged: dict[str, tuple[str, ...]] = {}
    for name, phrases in custom.items():
        merged[name] = tuple(p.lower() for p in phrases) + PREDICATE_CLASSES.get(name, ())
    for name, phrases in PREDICATE_CLASSES.items():
        merged.setdefault(name, phrases)
    return merged


def classify_predicate(
    predicate: str | None, classes: Mapping[str, Sequence[str]] = PREDICATE_CLASSES
) -> str:
    """The class a predicate belongs to; an unknown predicate is its own (normalised) class."""
    text = normalize_predicate(predicate)
    if not text:
        return ""
    if text in classes:
        return text
    for name, phrases in classes.items():
        if any(phrase in text for phrase in phrases):
            return name
    return text


def slot_of(
    subject: str | None,
    predicate: str | None,
    classes: Mapping[str, Sequence[str]] = PREDICATE_CLASSES,
) -> tuple[str, str] | None:
    """``(subject, predicate class)`` or ``None`` when either is missing."""
    who = normalize_subject(subject)
    what = classify_predicate(predicate, classes)
    if not who or not what:
        return None
    return who, what


_FILLER = re.compile(r"\b(the|a|an|is|are|was|were|be|been|being)\b")


def normalize_fact_text(text: str) -> str:
    """Lower case without punctuation, articles and forms of *to be*: for exact-duplicate checks."""
    lowered = _PUNCT.sub("", text.lower())
    return " ".join(_FILLER.sub(" ", lowered).split())


def word_overlap(a: str, b: str) -> float:
    """Jaccard similarity of the word sets of the normalised texts (``normalize_fact_text``)."""
    wa, wb = set(normalize_fact_text(a).split()), set(normalize_fact_text(b).split())
    if not wa and not wb:
        return 1.0
    return len(wa & wb) / len(wa | wb)


@dataclass
class Decision:
    """What to do with a new fact given existing candidates."""

    action: Action
    target_fact_id: str | None
    reason: str
    merged_fact: str | None = None
    confidence: float = 75.0


def _get(fact: Any, key: str) -> Any:
    if isinstance(fact, Mapping):
        return fact.get(key)
    return getattr(fact, key, None)


def _value_of(fact: Any) -> str:
    obj = _get(fact, "object")
    return normalize_fact_text(str(obj)) if obj else ""


def default_decision(new: Any, candidates: Sequence[Any], *, same_slot: bool) -> Decision:
    """The decision without an LLM.

    Candidates in the new fact's slot: the same value (object, or the whole text) is a duplicate (``NONE``, or
    ``UPDATE`` when the new confidence is higher); another value supersedes the most recent one. Otherwise the
    text overlap decides: > 0.8 duplicate/update, > 0.5 with the same subject supersede, else ``ADD``.
    """
    if not candidates:
        return Decision("ADD", None, "no existing facts in conflict", confidence=100.0)
    new_text = str(_get(new, "fact") or "")
    new_conf = float(_get(new, "confidence") or 0)
    if same_slot:
        new_value = _value_of(new)
        new_norm = normalize_fact_text(new_text)
        for fact in candidates:
            same_value = (
                new_value and new_value == _value_of(fact)
            ) or new_norm == normalize_fact_text(str(_get(fact, "fact") or ""))
            if same_value:
                if new_conf > float(_get(fact, "confidence") or 0):
                    return Decision(
                        "UPDATE",
                        _get(fact, "fact_id"),
                        "same value with a higher confidence",
                        merged_fact=new_text,
                        confidence=80.0,
                    )
                return Decision(
                    "NONE",
                    _get(fact, "fact_id"),
                    "already known (same slot, same value)",
                    confidence=90.0,
                )
        newest = max(
            candidates, key=lambda f: float(_get(f, "updated_at") or _get(f, "created_at") or 0)
        )
        return Decision(
            "SUPERSEDE",
            _get(newest, "fact_id"),
            "same slot with a new value: the newer statement wins",
            confidence=80.0,
        )
    best, best_score = None, -1.0
    for fact in candidates:
        score = word_overlap(new_text, str(_get(fact, "fact") or ""))
        if score > best_score:
            best, best_score = fact, score
    assert best is not None
    if best_score > 0.8:
        if new_conf > float(_get(best, "confidence") or 0):
            return Decision(
                "UPDATE",
                _get(best, "fact_id"),
                "near-identical fact with a higher confidence",
                merged_fact=new_text,
                confidence=70.0,
            )
        return Decision(
            "NONE", _get(best, "fact_id"), "near-identical fact already known", confidence=70.0
        )
    subject, other = (
        normalize_subject(_get(new, "subject")),
        normalize_subject(_get(best, "subject")),
    )
    if best_score > 0.5 and subject and subject == other:
        return Decision(
            "SUPERSEDE", _get(best, "fact_id"), "same subject, changed content", confidence=60.0
        )
    return Decision("ADD", None, "no similar existing fact", confidence=80.0)


CONFLICT_SYSTEM = (
    "You maintain a knowledge base of facts about people and things. Given a NEW fact and EXISTING facts, "
    "decide one action:\n"
    "- ADD: the new fact is new information that does not conflict with any existing fact.\n"
    "- UPDATE: the new fact refines an existing fact (same meaning, more detail or higher confidence); give "
    "the merged sentence in mergedFact.\n"
    "- SUPERSEDE: the new fact replaces an existing one (the value changed, e.g. a move, a new job, a new "
    "preference).\n"
    "- NONE: the new fact is already known (a duplicate or a paraphrase).\n"
    'Answer with one JSON object: {"action": "ADD|UPDATE|SUPERSEDE|NONE", "targetFactId": "<id of the '
    'existing fact, or null for ADD>", "reason": "<one sentence>", "mergedFact": "<sentence or null>", '
    '"confidence": <0-100>}.'
)


def conflict_prompt(new: Any, candidates: Iterable[Any]) -> tuple[str, str]:
    """``(system, user)`` prompts asking an LLM to resolve ``new`` against ``candidates``."""
    existing = [
        {
            "factId": _get(f, "fact_id"),
            "fact": _get(f, "fact"),
            "subject": _get(f, "subject"),
            "predicate": _get(f, "predicate"),
            "object": _get(f, "object"),
            "confidence": _get(f, "confidence"),
        }
        for f in candidates
    ]
    incoming = {
        "fact": _get(new, "fact"),
        "subject": _get(new, "subject"),
        "predicate": _get(new, "predicate"),
        "object": _get(new, "object"),
        "confidence": _get(new, "confidence"),
    }
    user = (
        "NEW fact:\n"
        + json.dumps(incoming, ensure_ascii=False)
        + "\n\nEXISTING facts:\n"
        + "\n".join(json.dumps(e, ensure_ascii=False) for e in existing)
    )
    return CONFLICT_SYSTEM, user


def parse_decision(answer: str, candidates: Sequence[Any]) -> Decision:
    """The LLM's decision; ``ValueError`` when it is malformed or names no (or an unknown) target."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    if match is None:
        raise ValueError("no JSON object in the answer")
    data = json.loads(match.group(0))
    action = str(data.get("action", "")).upper()
    if action not in ACTIONS:
        raise ValueError(f"invalid action {data.get('action')!r}")
    target = data.get("targetFactId") or None
    ids = {_get(f, "fact_id") for f in candidates}
    if action in ("UPDATE", "SUPERSEDE") and not target:
        raise ValueError(f"{action} needs a targetFactId")
    if target is not None and target not in ids:
        raise ValueError(f"unknown targetFactId {target!r}")
    confidence = data.get("confidence")
    return Decision(
        action,  # type: ignore[arg-type]
        target,
        str(data.get("reason") or "no reason given"),
        merged_fact=data.get("mergedFact") or None,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else 75.0,
    )
