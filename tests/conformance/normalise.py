"""Normalisation of Convex call outcomes so that two backends' results can be compared.

Everything a backend chooses on its own (document ids, creation times, ``Date.now()``-derived numbers, generated
string ids such as ``mem-<ms>-<random>``, request ids in error messages) is replaced by stable placeholders,
numbered in order of first appearance within one scenario run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TABLES = (
    "conversations",
    "immutable",
    "mutable",
    "memories",
    "facts",
    "factHistory",
    "memorySpaces",
    "contexts",
    "agents",
    "sessions",
    "governancePolicies",
    "governanceEnforcement",
    "graphSyncQueue",
)

# Document ids of convex-test (the harness): decimal digits followed by the table name.
HARNESS_ID = re.compile(r"^\d{8,}(?:" + "|".join(TABLES) + r")$")
# Document ids of the embedded backend (cortex.embedded.ids): 26 lowercase base32 characters.
EMBEDDED_ID = re.compile(r"^[a-z2-7]{26}$")
ID_INSIDE_TEXT = re.compile(
    r"(?<![\w-])(?:\d{8,}(?:" + "|".join(TABLES) + r")|[a-z2-7]{26})(?![\w-])"
)
# Generated string ids of upstream: `<prefix>-<Date.now()>[-<n>][-s|-r]-<base36 random>`.
GENERATED_ID = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(\d{13})((?:-[0-9a-z]+)+)\b")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
DIGITS13 = re.compile(r"(?<![\d.])\d{13}(?:\.\d+)?(?![\d.])")
REQUEST_ID = re.compile(r"^\[Request ID: [^\]]*\]\s*")
UNCAUGHT = re.compile(r"^(?:Uncaught\s+)?(?:ConvexError|Error):\s*")

DAY_MS = 86_400_000.0
# Keys whose numbers are timestamps when they fall near the run's wall clock.
# Keys whose numbers are elapsed wall-clock durations (vary from run to run even on one backend).
DURATION_KEYS = frozenset({"syncLagMs", "avgSyncTimeMs"})
MAX_SHIFT_DAYS = 1500
TIME_KEYS = re.compile(
    r"(^_creationTime$|At$|^timestamp$|Timestamp$|^time$|Time$|^since$|^until$|^lastActivity)"
)


class Normaliser:
    """Stateful normaliser for one scenario run (placeholders are numbered across all its steps).

    ``t_start``/``t_end`` bound the run's wall clock in ms; numbers near it are treated as times.
    ``id_patterns`` are extra regexes for a backend's document ids (the harness format is always known).
    """

    def __init__(
        self, t_start: float, t_end: float, id_patterns: Iterable[re.Pattern[str]] = ()
    ) -> None:
        self.t_start = t_start
        self.t_end = t_end
        self.id_patterns = [HARNESS_ID, EMBEDDED_ID, *id_patterns]
        self.known_ids: set[str] = set()
        self.placeholders: dict[str, str] = {}
        self.counters: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers
    def _placeholder(self, kind: str, raw: str) -> str:
        key = f"{kind}\x00{raw}"
        if key not in self.placeholders:
            n = self.counters.get(kind, 0) + 1
            self.counters[kind] = n
            self.placeholders[key] = f"<{kind}:{n}>"
        return self.placeholders[key]

    def is_id(self, s: str) -> bool:
        return s in self.known_ids or any(p.match(s) for p in self.id_patterns)

    def shifted_time(self, x: float) -> str | None:
        """``<time+Nd>`` / ``<time-Nd>`` when ``x`` is the run's clock shifted by a whole number of days."""
        mid = (self.t_start + self.t_end) / 2.0
        days = round((x - mid) / DAY_MS)
        if days == 0 or abs(days) > MAX_SHIFT_DAYS:
            return None
        if self.is_run_time(x - days * DAY_MS):
            return f"<time{days:+d}d>"
        return None

    def is_run_time(self, x: float, slack_days: float = 0.0) -> bool:
        slack = max(5_000.0, slack_days * DAY_MS)
        return self.t_start - slack <= x <= self.t_end + slack

    def learn_ids(self, value: Any) -> None:
        """Register every string stored under an ``_id`` key (before placeholders are assigned)."""
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "_id" and isinstance(v, str):
                    self.known_ids.add(v)
                else:
                    self.learn_ids(v)
        elif isinstance(value, list):
            for v in value:
                self.learn_ids(v)

    # ------------------------------------------------------------------ strings
    def string(self, s: str) -> str:
        if self.is_id(s):
            return self._placeholder("id", s)
        out = s
        for raw in sorted(self.known_ids, key=len, reverse=True):
            if raw in out:
                out = out.replace(raw, self._placeholder("id", raw))
        out = ID_INSIDE_TEXT.sub(lambda m: self._placeholder("id", m.group(0)), out)

        def gen(m: re.Match[str]) -> str:
            if not self.is_run_time(float(m.group(2)), slack_days=1):
                return m.group(0)
            return self._placeholder(f"gen:{m.group(1)}", m.group(0))

        out = GENERATED_ID.sub(gen, out)
        out = ISO_TIME.sub("<isotime>", out)
        out = DIGITS13.sub(
            lambda m: "<time>" if self.is_run_time(float(m.group(0))) else m.group(0), out
        )
        return out

    # ------------------------------------------------------------------ values
    def value(self, v: Any, key: str | None = None) -> Any:
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            x = float(v)
            if key in DURATION_KEYS:
                return "<duration>"
            if self.is_run_time(x):
                return "<time>"
            shifted = self.shifted_time(x)
            if shifted is not None:
                return shifted
            if key is not None and TIME_KEYS.search(key) and self.is_run_time(x, slack_days=400):
                return "<time>"
            return x
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            return [self.value(x, key) for x in v]
        if isinstance(v, dict):
            return {self.string(k): self.value(v[k], k) for k in sorted(v)}
        return v

    def error_message(self, message: str) -> str:
        """First meaningful line of a Convex error message, without request id and `Uncaught X:` prefix."""
        m = REQUEST_ID.sub("", message)
        if m.startswith("Server Error\n"):
            m = m[len("Server Error\n") :]
        first = m.split("\n", 1)[0].strip()
        return self.string(UNCAUGHT.sub("", first))
