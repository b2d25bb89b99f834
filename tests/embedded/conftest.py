from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cortex.embedded.engine import Engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    e = Engine(":memory:")
    yield e
    e.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cortex.db"
