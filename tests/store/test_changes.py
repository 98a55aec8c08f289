"""Changes announced in a write transaction reach every listener on the schema once it commits
(PostgreSQL); on SQLite, one process, announcing does nothing and there is no listener."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.support.listeners import kill_listeners
from tests.support.servers import Database
from tests.support.waiting import wait_for
from transom.store.notify import ChangeListener
from transom.store.ports.changes import Change
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


class Heard:
    """What a listener called, in order: each change's name, `*` for every wake at once."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def wakes(self) -> dict[Change, Callable[[], None]]:
        return {change: partial(self._add, change.value) for change in Change}

    def _add(self, name: str) -> None:
        with self._lock:
            self.calls.append(name)

    def since(self, start: int) -> list[str]:
        with self._lock:
            return self.calls[start:]

    def listening(self, start: int) -> bool:
        """Every wake was called at once after `start`: the listener (re)connected."""
        return set(Change) <= set(self.since(start))


@pytest.fixture
def heard(store: SqlStore) -> Iterator[tuple[Heard, ChangeListener | None]]:
    found = Heard()
    listener = store.listener(found.wakes())
    if listener is not None:
        listener.start()
        wait_for(lambda: found.listening(0), what="the listener to listen")
    yield found, listener
    if listener is not None:
        listener.stop()


def _announce(store: SqlStore, *changes: Change, fail: bool = False) -> None:
    with store.write() as tx:
        for change in changes:
            tx.announce(change)
        if fail:
            raise RuntimeError("rolled back")


@covers("announce")
def test_a_committed_change_is_heard_once_and_a_rolled_back_one_never(
    store: SqlStore, heard: tuple[Heard, ChangeListener | None], fresh_db: Database
) -> None:
    found, listener = heard
    if listener is None:
        assert fresh_db.kind == "sqlite"
        _announce(store, Change.COMMANDS)  # accepted, and nobody to tell
        return
    start = len(found.calls)
    _announce(store, Change.COMMANDS, Change.COMMANDS, Change.WINDOWS)
    with pytest.raises(RuntimeError):
        _announce(store, Change.COMMANDS, fail=True)
    _announce(store, Change.WINDOWS)
    # notifications arrive in commit order: the last one heard, all before it were
    wait_for(lambda: found.since(start).count("windows") == 2, what="both commits heard")
    assert sorted(found.since(start)) == ["commands", "windows", "windows"]


def test_the_listener_reconnects_after_its_connection_is_killed(
    store: SqlStore, heard: tuple[Heard, ChangeListener | None], fresh_db: Database
) -> None:
    """It listens again, calling every wake once for what it may have missed."""
    found, listener = heard
    if listener is None:
        return
    start = len(found.calls)
    assert kill_listeners(fresh_db) == 1
    wait_for(lambda: found.listening(start), what="the listener to listen again")
    start = len(found.calls)
    _announce(store, Change.COMMANDS)
    wait_for(lambda: found.since(start) == ["commands"], what="a change after the reconnect")
