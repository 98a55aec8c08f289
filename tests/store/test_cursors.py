"""The cursor port: the scheduler's place in each enabled window's timetable."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, window
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND
DAY = timedelta(days=1)


@covers("set_cursor", "advance_cursors", "due_cursors")
def test_cursors_move_only_from_where_the_mover_saw_them(store: SqlStore) -> None:
    one, two, three = (window(n).window_id for n in (1, 2, 3))
    with store.write() as tx:
        for n in (1, 2, 3):
            tx.insert_window(window(n))
        tx.set_cursor(one, NOW, NOW)
        tx.set_cursor(two, NOW, NOW)
        tx.set_cursor(three, NOW + 5 * DAY, NOW)
        assert tx.advance_cursors([]) == 0
        moved = tx.advance_cursors([(one, NOW, NOW + DAY), (two, NOW - DAY, None)])
    assert moved == 1
    with store.read() as tx:
        assert tx.due_cursors(NOW + 2 * DAY) == [(two, NOW), (one, NOW + DAY)]
        assert tx.due_cursors(NOW - DAY) == []
    with store.write() as tx:
        tx.set_cursor(two, None, NOW + DAY)  # overwritten: nothing more is due
    with store.read() as tx:
        assert tx.due_cursors(NOW + 9 * DAY) == [(one, NOW + DAY), (three, NOW + 5 * DAY)]


@covers("advance_cursor", "next_cursor_due")
def test_a_cursor_advances_by_compare_and_set(store: SqlStore) -> None:
    one, two = window(1).window_id, window(2).window_id
    with store.write() as tx:
        assert tx.next_cursor_due() is None
        tx.insert_window(window(1))
        tx.insert_window(window(2))
        tx.set_cursor(one, NOW, NOW)
        tx.set_cursor(two, None, NOW)
        assert tx.next_cursor_due() == NOW
        assert tx.advance_cursor(one, NOW, NOW + DAY)
        assert not tx.advance_cursor(one, NOW, NOW + 2 * DAY)  # another moved it first
        assert tx.next_cursor_due() == NOW + DAY
        assert tx.advance_cursor(one, NOW + DAY, None)
        assert tx.next_cursor_due() is None


@covers("unsynced_windows")
def test_enabled_windows_without_a_current_cursor_are_unsynced(store: SqlStore) -> None:
    with store.write() as tx:
        for n in (1, 2, 3, 4):
            tx.insert_window(window(n, enabled=n != 4))
        assert tx.unsynced_windows() == [window(n).window_id for n in (1, 2, 3)]
        tx.set_cursor(window(1).window_id, NOW, window(1).modified_date)
        tx.set_cursor(window(2).window_id, None, window(2).modified_date)
        tx.set_cursor(window(3).window_id, NOW, window(3).modified_date)
        modified = dataclasses.replace(window(3), modified_date=NOW + DAY)
        tx.update_window(modified)
        assert tx.unsynced_windows() == [window(3).window_id]


@covers("stale_cursors", "drop_stale_cursors")
def test_cursors_of_deleted_or_disabled_windows_are_stale(store: SqlStore) -> None:
    with store.write() as tx:
        for n in (1, 2, 3):
            tx.insert_window(window(n))
            tx.set_cursor(window(n).window_id, NOW, NOW)
        assert not tx.stale_cursors()
        assert tx.drop_stale_cursors() == 0
        tx.delete_window(window(1).window_id)
        tx.update_window(dataclasses.replace(window(2), spec=window(2, enabled=False).spec))
        assert tx.stale_cursors()
        assert tx.drop_stale_cursors() == 2
        assert not tx.stale_cursors()
        assert tx.due_cursors(NOW) == [(window(3).window_id, NOW)]
