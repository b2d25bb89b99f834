"""Collects per-scenario conformance results for the end-of-session summary line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    matched: dict[str, list[str]] = field(default_factory=dict)
    differing: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    all_functions: set[str] = field(default_factory=set)
    scenario_functions: set[str] = field(default_factory=set)

    def summary(self) -> str | None:
        total = len(self.matched) + len(self.differing) + len(self.skipped)
        if total == 0:
            return None
        ok_fns = {f for fns in self.matched.values() for f in fns}
        lines = [
            f"conformance (embedded vs upstream): {len(self.matched)} matched / {len(self.differing)} differing / "
            f"{len(self.skipped)} skipped of {total} scenarios; functions covered by scenarios "
            f"{len(self.scenario_functions & self.all_functions)}/{len(self.all_functions)}, "
            f"in matching scenarios {len(ok_fns & self.all_functions)}/{len(self.all_functions)}"
        ]
        missing = sorted({f for fns in self.skipped.values() for f in fns})
        if missing:
            shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
            lines.append(f"  functions without an embedded handler ({len(missing)}): {shown}")
        return "\n".join(lines)


REPORT = Report()
