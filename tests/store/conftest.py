from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import Database
from transom.store.sql import SqlStore


@pytest.fixture
def store(fresh_db: Database) -> Iterator[SqlStore]:
    opened = fresh_db.open_store()
    yield opened
    opened.close()
