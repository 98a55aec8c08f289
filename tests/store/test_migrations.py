"""The migrations build exactly the schema the query layer speaks (`transom.store.schema`)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support.servers import Database
from transom.store import schema


@pytest.mark.parametrize("fresh_db", ["sqlite", "postgresql"], indirect=True)
def test_the_migrated_database_matches_the_schema_module(fresh_db: Database) -> None:
    store = fresh_db.open_store()
    try:
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        store.close()
    assert differences == []
