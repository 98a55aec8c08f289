"""`Store` on SQLAlchemy Core, for SQLite (one node, WAL) and PostgreSQL (many nodes).

SQLite writers begin with `BEGIN IMMEDIATE`, so one writer runs at a time and `lock()` has
nothing left to do; PostgreSQL `lock()` takes a transaction-scoped advisory lock.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from transom.store import schema as t
from transom.store.engine import BEGIN_MODE, PoolUse, create_engine, pool_use
from transom.store.migrate import current_revision, head_revision, upgrade
from transom.store.notify import NOTIFY, ChangeListener
from transom.store.ports.changes import Change
from transom.store.sql_audit import AuditQueries
from transom.store.sql_commands import CommandQueries
from transom.store.sql_configuration import ConfigurationQueries
from transom.store.sql_counts import CountQueries
from transom.store.sql_deliveries import DeliveryQueries
from transom.store.sql_documents import DocumentQueries
from transom.store.sql_events import EventQueries
from transom.store.sql_executions import ExecutionQueries
from transom.store.sql_keys import KeyQueries
from transom.store.sql_nodes import NodeQueries
from transom.store.sql_rules import RuleQueries
from transom.store.sql_topics import TopicQueries

_LOCK_ALL = sa.text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:ks AS bigint[])) AS k "
    "ORDER BY 1) AS ordered"
)


def _bump(dialect: str, kind: str) -> sa.Insert:
    """Add one to `kind`'s change count, making its row (at 1) if there is none: an upsert,
    so that replicas bumping a count not yet made both succeed."""
    make = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t.change_counts)
    return make.values(kind=kind, count=1).on_conflict_do_update(
        index_elements=[t.change_counts.c.kind],
        set_={"count": t.change_counts.c.count + 1},
    )


_BUMP_WINDOWS = {dialect: _bump(dialect, "windows") for dialect in ("postgresql", "sqlite")}


class SqlTransaction(
    ConfigurationQueries,
    NodeQueries,
    CommandQueries,
    KeyQueries,
    AuditQueries,
    ExecutionQueries,
    EventQueries,
    RuleQueries,
    TopicQueries,
    DeliveryQueries,
    DocumentQueries,
    CountQueries,
):
    """One database transaction; see `transom.store.port.Transaction` for the contract."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._changes: set[Change] = set()
        self._windows_changed = False

    def announce(self, change: Change) -> None:
        self._changes.add(change)

    def _before_commit(self) -> None:
        """Bump the windows' change count if a window was written (last, so that the row's
        lock is held only while committing: no deadlock with the windows' own rows), and
        NOTIFY each change announced, once (PostgreSQL)."""
        if self._windows_changed:
            self._conn.execute(_BUMP_WINDOWS[self._conn.dialect.name])
        if self._changes and self._conn.dialect.name == "postgresql":
            self._conn.execute(NOTIFY, {"ks": sorted(self._changes)})

    def lock(self, key: str) -> None:
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())}
            )

    def lock_all(self, keys: Collection[str]) -> None:
        if self._conn.dialect.name == "postgresql" and keys:
            numbers = sorted({zlib.crc32(key.encode()) for key in keys})
            self._conn.execute(_LOCK_ALL, {"ks": numbers})


class SqlStore:
    """The store for a database URL; migrates the schema to the newest revision on open.

    Reads run in autocommit, each statement its own snapshot: on SQLite each thread keeps one
    connection for them (checking a connection out of the pool for every read would cost
    more than the read); on PostgreSQL a read saves the round trips of BEGIN and ROLLBACK.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> SqlStore:
        """`UnknownRevision` (`store.migrate`) for a database a newer Transom wrote."""
        engine = create_engine(url)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        if engine.url.get_backend_name() == "sqlite" and engine.url.database:
            _owner_only(Path(engine.url.database))
        return cls(engine)

    def _reader(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect().execution_options(**{BEGIN_MODE: None})
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        if not self._sqlite:  # autocommit: no BEGIN and ROLLBACK round trips around a read
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield SqlTransaction(conn)
            return
        conn = self._reader()
        try:
            yield SqlTransaction(conn)
        finally:
            conn.rollback()

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with (
            self.engine.connect().execution_options(**{BEGIN_MODE: "IMMEDIATE"}) as conn,
            conn.begin(),
        ):
            tx = SqlTransaction(conn)
            yield tx
            tx._before_commit()

    def schema_revisions(self) -> tuple[str | None, str]:
        with self.engine.connect() as conn:
            return current_revision(conn), head_revision()

    def listener(self, wake: Mapping[Change, Callable[[], None]]) -> ChangeListener | None:
        """A listener (not started) calling `wake[change]` for each change any replica
        announces; None on SQLite, where there are no other replicas."""
        return None if self._sqlite else ChangeListener(self.engine, wake)

    def pool_use(self) -> PoolUse:
        """The connection pool's use now (on SQLite each thread that reads keeps one
        connection checked out)."""
        return pool_use(self.engine)

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self.engine.dispose()


def _owner_only(database: Path) -> None:
    """Make a SQLite database's files (with its -wal and -shm) readable by their owner only:
    they hold every access key's secret."""
    for path in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        with suppress(FileNotFoundError):
            path.chmod(0o600)
