"""Play a conformance scenario against a Convex HTTP API base URL and record normalised outcomes.

Usage: ``python -m tests.conformance.runner http://127.0.0.1:3210 [scenario ...]`` prints the outcomes as JSON.
``reset_url`` (the harness's ``/_harness/reset``) is posted before a scenario when given.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

import httpx

from .normalise import Normaliser
from .scenario import Scenario, UnresolvedVariable, extract, load_all, substitute

UNKNOWN_FUNCTION = "Could not find public function"
WRITE_GAP_S = 0.003
CALL_TIMEOUT_S = 30.0


def call(client: httpx.Client, base_url: str, kind: str, path: str, args: Any) -> dict[str, Any]:
    """One call over Convex's HTTP API; returns ``{"status": ..., ...}`` raw (not normalised)."""
    try:
        r = client.post(
            f"{base_url}/api/{kind}", json={"path": path, "args": args, "format": "json"}
        )
    except httpx.TimeoutException:
        return {"status": "http_error", "http": None, "code": "Timeout"}
    try:
        body = r.json()
    except ValueError:
        return {"status": "http_error", "http": r.status_code, "code": None}
    if r.status_code != 200:
        return {
            "status": "http_error",
            "http": r.status_code,
            "code": body.get("code") if isinstance(body, dict) else None,
        }
    return (
        body
        if isinstance(body, dict)
        else {"status": "http_error", "http": r.status_code, "code": None}
    )


def normalise_outcome(norm: Normaliser, raw: dict[str, Any]) -> dict[str, Any]:
    if raw.get("status") == "success":
        return {"status": "success", "value": norm.value(raw.get("value"))}
    if raw.get("status") == "error":
        out: dict[str, Any] = {
            "status": "error",
            "message": norm.error_message(str(raw.get("errorMessage", ""))),
        }
        if "errorData" in raw:
            out["data"] = norm.value(raw["errorData"])
        return out
    return {k: v for k, v in raw.items() if k in ("status", "http", "code")}


def play(
    scenario: Scenario,
    base_url: str,
    *,
    client: httpx.Client | None = None,
    reset_url: str | None = None,
    id_patterns: Iterable[re.Pattern[str]] = (),
) -> list[dict[str, Any]]:
    """Run every step; returns one normalised outcome per step (``{"path", "status", ...}``)."""
    own = client is None
    http = client or httpx.Client(timeout=CALL_TIMEOUT_S)
    try:
        if reset_url:
            http.post(reset_url).raise_for_status()
        env: dict[str, Any] = {}
        raws: list[tuple[str, dict[str, Any]]] = []
        t_start = time.time() * 1000.0
        for step in scenario.steps:
            try:
                args = substitute(step.args, env)
            except UnresolvedVariable as e:
                raws.append(
                    (step.path, {"status": "skipped", "reason": f"unresolved ${{{e.args[0]}}}"})
                )
                continue
            raw = call(http, base_url, step.kind, step.path, args)
            if step.kind != "query":
                # Distinct Date.now() per write: upstream sorts by timestamps and keeps ties in index order.
                time.sleep(WRITE_GAP_S)
            raws.append((step.path, raw))
            for var, dotted in step.save.items():
                if raw.get("status") == "success":
                    with contextlib.suppress(KeyError, IndexError, ValueError, TypeError):
                        env[var] = extract(raw, dotted)
        t_end = time.time() * 1000.0
    finally:
        if own:
            http.close()
    norm = Normaliser(t_start, t_end, id_patterns)
    for _, raw in raws:
        norm.learn_ids(raw.get("value"))
    outcomes = []
    for path, raw in raws:
        if raw.get("status") == "skipped":
            outcomes.append({"path": path, "status": "skipped", "reason": raw["reason"]})
        else:
            outcomes.append({"path": path, **normalise_outcome(norm, raw)})
    return outcomes


def missing_functions(base_url: str, paths: Iterable[str], kinds: dict[str, str]) -> list[str]:
    """Paths the server does not know. Probes with an extra argument so nothing is executed."""
    missing = []
    with httpx.Client(timeout=30.0) as http:
        for path in sorted(set(paths)):
            raw = call(http, base_url, kinds[path], path, {"__conformance_probe__": True})
            if raw.get("status") == "error" and UNKNOWN_FUNCTION in str(
                raw.get("errorMessage", "")
            ):
                missing.append(path)
    return missing


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    base, names = argv[0].rstrip("/"), argv[1:]
    for sc in load_all(names or None):
        print(json.dumps({"scenario": sc.name, "steps": play(sc, base)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
