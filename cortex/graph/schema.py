"""Graph schema: the uniqueness constraints and indexes of the model, created idempotently, verified, dropped."""

from __future__ import annotations

from typing import Any

from cortex.graph.adapters.cypher import CypherGraphAdapter
from cortex.graph.model import CONSTRAINTS, INDEXES, identifier


async def initialize_graph_schema(adapter: CypherGraphAdapter) -> None:
    """Create every constraint and index with ``IF NOT EXISTS`` (safe to run any number of times)."""
    for name, label, prop in CONSTRAINTS:
        await adapter.query(
            f"CREATE CONSTRAINT {identifier(name)} IF NOT EXISTS "
            f"FOR (n:{identifier(label, 'label')}) REQUIRE n.{identifier(prop, 'property')} IS UNIQUE"
        )
    for name, label, prop in INDEXES:
        await adapter.query(
            f"CREATE INDEX {identifier(name)} IF NOT EXISTS "
            f"FOR (n:{identifier(label, 'label')}) ON (n.{identifier(prop, 'property')})"
        )


async def verify_graph_schema(adapter: CypherGraphAdapter) -> dict[str, Any]:
    """Which of the model's constraints and indexes exist: ``{"valid", "constraints", "indexes", "missing"}``."""
    constraints = {r["name"] for r in (await adapter.query("SHOW CONSTRAINTS YIELD name")).records}
    indexes = {r["name"] for r in (await adapter.query("SHOW INDEXES YIELD name")).records}
    missing = [n for n, _, _ in CONSTRAINTS if n not in constraints] + [
        n for n, _, _ in INDEXES if n not in indexes
    ]
    return {
        "valid": not missing,
        "constraints": sorted(n for n, _, _ in CONSTRAINTS if n in constraints),
        "indexes": sorted(n for n, _, _ in INDEXES if n in indexes),
        "missing": missing,
    }


async def drop_graph_schema(adapter: CypherGraphAdapter) -> None:
    """Drop the model's constraints and indexes (``IF EXISTS``); other schema objects are left alone."""
    for name, _, _ in CONSTRAINTS:
        await adapter.query(f"DROP CONSTRAINT {identifier(name)} IF EXISTS")
    for name, _, _ in INDEXES:
        await adapter.query(f"DROP INDEX {identifier(name)} IF EXISTS")
