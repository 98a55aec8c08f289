"""`Store` itself: transactions, locks and migrations."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, window
from tests.support.servers import Database
from transom.domain.windows import SealedSecret, StoredKey, Tag
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


@covers("write")
def test_a_failed_write_leaves_nothing_behind(store: SqlStore) -> None:
    def write_then_fail() -> None:
        with store.write() as tx:
            tx.insert_window(window(2))
            tx.put_tags("MaintenanceWindow", window(2).window_id, [Tag("a", "b")])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with store.read() as tx:
        assert tx.count_windows() == 0
        assert tx.get_tags("MaintenanceWindow", window(2).window_id) == []


@covers("read", "close")
def test_reads_see_what_another_store_committed_and_closed(
    store: SqlStore, fresh_db: Database
) -> None:
    with store.read() as tx:
        assert tx.get_window(window(1).window_id) is None
    other = fresh_db.open_store()
    with other.write() as tx:
        tx.insert_window(window(1))
    other.close()
    with store.read() as tx:
        assert tx.get_window(window(1).window_id) == window(1)
    with store.read() as tx:  # a read after a read, on the same thread
        assert tx.count_windows() == 1


@covers("lock")
def test_writers_holding_the_same_lock_do_not_interleave(store: SqlStore) -> None:
    """Check-then-insert under `lock()` from many threads never exceeds the count checked."""
    limit = 5

    def insert_if_room(n: int) -> None:
        with store.write() as tx:
            tx.lock("quota")
            if tx.count_windows() < limit:
                tx.insert_window(window(100 + n))

    threads = [threading.Thread(target=insert_if_room, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as tx:
        assert tx.count_windows() == limit


@covers("lock_all")
def test_writers_locking_overlapping_key_sets_do_not_interleave(store: SqlStore) -> None:
    order: list[str] = []
    entered = threading.Event()

    def hold() -> None:
        with store.write() as tx:
            tx.lock_all(["a", "b"])
            entered.set()
            order.append("first in")
            time.sleep(0.3)
            order.append("first out")

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    with store.write() as tx:
        tx.lock_all([])  # no keys: nothing to wait for
        tx.lock_all(["b", "c"])
        order.append("second in")
    holder.join()
    assert order == ["first in", "first out", "second in"]


def test_opening_twice_migrates_once_to_the_newest_revision(fresh_db: Database) -> None:
    for _ in range(2):
        store = fresh_db.open_store()
        with store.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        store.close()
        assert [v for (v,) in versions] == ["0011"]


def test_a_database_error_never_carries_the_statement_parameters(store: SqlStore) -> None:
    secret = "s3cr3t-that-must-never-reach-a-log-line"
    key = StoredKey("AKIAEXAMPLEEXAMPLE00", SealedSecret(None, secret.encode()), None, NOW)
    with store.write() as tx:
        tx.insert_access_key(key)
    with pytest.raises(sa.exc.IntegrityError) as raised, store.write() as tx:
        tx.insert_access_key(key)
    assert secret not in str(raised.value)
    assert "parameters hidden" in str(raised.value)
