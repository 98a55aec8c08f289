"""Changes between replicas on PostgreSQL: LISTEN/NOTIFY on one channel per schema.

A write transaction that announced changes (`ChangePort.announce`) ends with one statement
that NOTIFYs each kind once (`NOTIFY`), so they are heard only if it commits. Each replica's
`ChangeListener` holds a connection of its own that LISTENs, in a thread, and calls the wake
of each change it hears, its own replica's included. Nothing is kept while the connection is
down, so each time it starts listening, first or again after the connection was lost (it
reconnects with back-off), it calls every wake once: what was missed is looked for. Until
then each loop's periodic re-check is the safety net.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from transom.store.ports.changes import Change

if TYPE_CHECKING:  # imported when first used: SQLite never needs it
    import psycopg

log = logging.getLogger(__name__)

_CHANNEL = "'transom:' || coalesce(current_schema(), '')"
"""The channel of the schema in use: replicas on one schema hear each other, and only."""
NOTIFY = sa.text(f"SELECT count(pg_notify({_CHANNEL}, k)) FROM unnest(CAST(:ks AS text[])) AS k")
"""NOTIFYs each of `ks` (a list of `Change` values) once the transaction commits."""
APPLICATION_NAME = "transom listener"
"""The listener's connection as `pg_stat_activity` shows it."""
POLL_SECONDS = 0.5
"""How often the listener's thread looks whether it was told to stop."""
BACKOFF = (0.1, 5.0)
"""The first and the longest wait before connecting again, doubling in between."""


class ChangeListener:
    """Calls `wake[change]` (from its own thread) for every change announced on the store's
    schema, by any replica, and every wake each time it starts listening; changes it does
    not know (a newer replica's) are ignored."""

    def __init__(self, engine: Engine, wake: Mapping[Change, Callable[[], None]]) -> None:
        self._engine = engine
        self._wake = dict(wake)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="transom-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2 * POLL_SECONDS) -> None:
        """Stop listening; wait up to `timeout` seconds for the thread to end."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        delay, lost = BACKOFF[0], False
        while not self._stopping.is_set():
            try:
                with self._connect() as conn:
                    if lost:
                        log.info("listening for other replicas' changes again")
                    self._wake_all()  # what was announced before it listened: look for it
                    delay, lost = BACKOFF[0], False
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=POLL_SECONDS):
                            self._heard(notice.payload)
            except Exception as exc:
                if not lost:
                    log.warning(
                        "lost the connection that hears other replicas' changes (%s); reconnecting",
                        type(exc).__name__,
                    )
                lost = True
                self._stopping.wait(delay)
                delay = min(delay * 2, BACKOFF[1])

    def _connect(self) -> psycopg.Connection[Any]:
        """A psycopg connection in autocommit that LISTENs on the schema's channel."""
        import psycopg
        from psycopg import sql

        cargs, cparams = self._engine.dialect.create_connect_args(self._engine.url)
        cparams.pop("context", None)  # SQLAlchemy's adapters: this connection needs none
        conn = psycopg.connect(
            *cargs, **cparams, autocommit=True, application_name=APPLICATION_NAME
        )
        try:
            channel = conn.execute(f"SELECT {_CHANNEL}").fetchone()
            assert channel is not None
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel[0])))
        except BaseException:
            conn.close()
            raise
        return conn

    def _heard(self, payload: str) -> None:
        try:
            wake = self._wake.get(Change(payload))
        except ValueError:
            return
        if wake is not None:
            wake()

    def _wake_all(self) -> None:
        for wake in self._wake.values():
            wake()
