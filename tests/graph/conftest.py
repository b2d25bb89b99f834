"""The graph tests run against a real Neo4j: ``NEO4J_URI`` (``.ci/run`` starts tests/services/neo4j and exports it).

Outside CI the tests skip without it; with ``CI=true`` a missing ``NEO4J_URI`` fails them. Every test clears the
database first (one JVM per test session, shared).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from cortex.graph import CypherGraphAdapter
from cortex.graph.schema import initialize_graph_schema


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        if os.environ.get("CI") == "true":
            pytest.fail("NEO4J_URI is not set in CI: .ci/run must start tests/services/neo4j")
        pytest.skip(
            "no graph database: set NEO4J_URI (bash tests/services/neo4j/start.sh DIR prints one)"
        )
    return uri


@pytest.fixture
async def adapter(neo4j_uri: str) -> AsyncIterator[CypherGraphAdapter]:
    a = CypherGraphAdapter({"uri": neo4j_uri})
    await a.connect()
    await a.clear_database()
    await initialize_graph_schema(a)
    try:
        yield a
    finally:
        await a.disconnect()
