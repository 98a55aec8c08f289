"""The servers' change listeners (`transom.store.notify`) as PostgreSQL sees them."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.servers import Database
from transom.store.notify import APPLICATION_NAME

_LISTENERS = sa.text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE application_name = :name AND query = 'LISTEN \"transom:' || current_schema() || '\"'"
)


def kill_listeners(db: Database) -> int:
    """Terminate the backend of every listener on `db`'s schema; how many there were."""
    assert db.url is not None
    engine = sa.create_engine(db.url)
    try:
        with engine.begin() as conn:
            return int(conn.execute(_LISTENERS, {"name": APPLICATION_NAME}).scalar_one())
    finally:
        engine.dispose()
