from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.world import World
from tests.support.servers import Database


@pytest.fixture
def world(fresh_db: Database, tmp_path: Path) -> Iterator[World]:
    store = fresh_db.open_store()
    try:
        yield World(store, tmp_path)
    finally:
        store.close()
