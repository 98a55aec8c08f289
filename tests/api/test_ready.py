"""`GET /ready` of a real server: ready while its database answers at the schema revision it
speaks; 503 with the reason when the schema is at another revision or the database is
unreachable, and ready again once it is back. `GET /health` answers throughout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.waiting import wait_for
from tests.support.watched import Watched
from transom.store.migrate import head_revision


def ready(watched: Watched) -> tuple[int, Any]:
    response = httpx.get(f"{watched.endpoint}/ready", timeout=30)
    return response.status_code, response.json()


def healthy(watched: Watched) -> bool:
    return bool(httpx.get(f"{watched.endpoint}/health", timeout=30).json() == {"status": "ok"})


@contextmanager
def schema_revision(watched: Watched, revision: str) -> Iterator[None]:
    """The database's schema claims `revision` for the block."""
    store = watched.db.open_store()
    try:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        yield
    finally:
        with store.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()}
            )
        store.close()


def test_ready_at_the_revision_it_speaks_and_not_at_another(watched: Watched) -> None:
    assert ready(watched) == (200, {"status": "ready"})
    with schema_revision(watched, "0999"):
        assert ready(watched) == (
            503,
            {
                "status": "not ready",
                "reason": "the database schema is at revision 0999, this server speaks "
                f"revision {head_revision()}",
            },
        )
        assert healthy(watched)
    assert ready(watched) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    "watched", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_not_ready_while_the_database_is_unreachable_and_ready_once_it_is_back(
    watched: Watched,
) -> None:
    assert watched.proxy is not None
    assert ready(watched) == (200, {"status": "ready"})
    watched.proxy.stop()
    try:
        assert ready(watched) == (
            503,
            {"status": "not ready", "reason": "the database does not answer"},
        )
        assert healthy(watched)
        found = watched.metrics()  # what the process knows, without the database's counts
        assert found.value("transom_database_up") == 0
        assert found.value("transom_windows", enabled="true") is None
        assert found.value("transom_store_pool_size") == 8
    finally:
        watched.proxy.start()
    wait_for(lambda: ready(watched)[0] == 200, what="the server to be ready again")
    assert watched.metrics().value("transom_database_up") == 1
