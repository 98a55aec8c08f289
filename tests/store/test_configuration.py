"""The configuration port: windows, their targets and tasks, tags, idempotency tokens."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, target, task, window
from transom.domain.windows import Tag, WindowQuery
from transom.store.ports.configuration import IdempotencyRecord
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


@covers("insert_window", "get_window")
def test_a_window_round_trips_with_aware_utc_instants(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_window(window(1))
    with store.read() as tx:
        assert tx.get_window(window(1).window_id) == window(1)
        assert tx.get_window(window(99).window_id) is None


@covers("windows_of", "count_windows")
def test_windows_of_returns_those_that_exist(store: SqlStore) -> None:
    with store.write() as tx:
        assert tx.count_windows() == 0
        for n in (1, 2, 3):
            tx.insert_window(window(n))
    with store.read() as tx:
        assert tx.count_windows() == 3
        found = tx.windows_of([window(3).window_id, window(1).window_id, window(9).window_id])
        assert sorted(found, key=lambda w: w.window_id) == [window(1), window(3)]
        assert tx.windows_of([]) == []


@covers("list_windows")
def test_windows_list_in_creation_order_with_filters_and_pages(store: SqlStore) -> None:
    with store.write() as tx:
        for n in range(1, 8):
            tx.insert_window(window(n, "a_b" if n % 2 else "other", enabled=n != 3))
    with store.read() as tx:
        first = tx.list_windows(WindowQuery(name_prefixes=("a_b",)), None, 2)
        assert [w.window_id for w in first.items] == [window(1).window_id, window(3).window_id]
        rest = tx.list_windows(WindowQuery(name_prefixes=("a_b",)), first.next_after, 10)
        assert [w.spec.name for w in rest.items] == ["a_b-5", "a_b-7"]
        assert rest.next_after is None
        # the underscore is a literal, not a LIKE wildcard
        assert tx.list_windows(WindowQuery(name_prefixes=("a%",)), None, 10).items == []
        enabled = tx.list_windows(WindowQuery(name_prefixes=("a_b",), enabled=True), None, 10)
        assert [w.spec.name for w in enabled.items] == ["a_b-1", "a_b-5", "a_b-7"]
        everything = tx.list_windows(WindowQuery(), None, 7)
        assert [w.window_id for w in everything.items] == [window(n).window_id for n in range(1, 8)]
        assert everything.next_after is None


@covers("update_window")
def test_an_updated_window_keeps_its_place(store: SqlStore) -> None:
    changed = dataclasses.replace(
        window(1),
        spec=dataclasses.replace(window(1).spec, name="renamed", enabled=False),
        modified_date=NOW,
    )
    with store.write() as tx:
        tx.insert_window(window(1))
        tx.insert_window(window(2))
        tx.update_window(changed)
    with store.read() as tx:
        assert tx.get_window(changed.window_id) == changed
        assert tx.get_window(window(2).window_id) == window(2)
        listed = tx.list_windows(WindowQuery(), None, 10).items
        assert [w.window_id for w in listed] == [window(1).window_id, window(2).window_id]


@covers("delete_window", "insert_target", "insert_task", "list_targets", "list_tasks")
def test_deleting_a_window_takes_its_targets_tasks_and_tags(store: SqlStore) -> None:
    w = window(4)
    with store.write() as tx:
        tx.insert_window(w)
        tx.insert_target(target(w.window_id, 1))
        tx.insert_task(task(w.window_id, 1))
        tx.put_tags("MaintenanceWindow", w.window_id, [Tag("k", "v")])
    with store.read() as tx:
        assert tx.list_targets(w.window_id) == [target(w.window_id, 1)]
        assert tx.list_tasks(w.window_id) == [task(w.window_id, 1)]
    with store.write() as tx:
        assert tx.delete_window(w.window_id)
        assert not tx.delete_window(w.window_id)
    with store.read() as tx:
        assert tx.get_window(w.window_id) is None
        assert tx.list_targets(w.window_id) == []
        assert tx.list_tasks(w.window_id) == []
        assert tx.get_tags("MaintenanceWindow", w.window_id) == []


@covers("windows_version")
def test_the_windows_version_changes_with_every_committed_window_change(
    store: SqlStore,
) -> None:
    def version() -> int:
        with store.read() as tx:
            return tx.windows_version()

    seen = [version()]
    with store.write() as tx:
        tx.insert_window(window(1))
        tx.insert_window(window(2))
        assert tx.windows_version() == seen[-1]  # counted as the transaction commits
    seen.append(version())
    renamed = dataclasses.replace(window(1).spec, name="renamed")
    with store.write() as tx:
        tx.update_window(dataclasses.replace(window(1), spec=renamed))
    seen.append(version())
    with store.write() as tx:
        tx.delete_window(window(2).window_id)
    seen.append(version())
    assert len(set(seen)) == 4, seen

    def insert_then_fail() -> None:
        with store.write() as tx:
            tx.insert_window(window(3))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with store.write() as tx:  # writes of no window, reads of windows
        tx.put_tags("MaintenanceWindow", window(1).window_id, [Tag("k", "v")])
        tx.list_windows(WindowQuery(), None, 10)
    assert version() == seen[-1]


@covers("tags_of")
def test_the_tags_of_many_resources_come_in_one_read_sorted_by_key(store: SqlStore) -> None:
    with store.write() as tx:
        tx.put_tags("ManagedInstance", "mi-1", [Tag("z", "1"), Tag("a", "2")])
        tx.put_tags("ManagedInstance", "mi-2", [Tag("k", "3")])
        tx.put_tags("MaintenanceWindow", "mi-3", [Tag("other", "type")])
    with store.read() as tx:
        assert tx.tags_of("ManagedInstance", ["mi-1", "mi-3", "mi-9"]) == {
            "mi-1": [Tag("a", "2"), Tag("z", "1")]
        }
        assert tx.tags_of("ManagedInstance", ["mi-2", "mi-1"]) == {
            "mi-1": [Tag("a", "2"), Tag("z", "1")],
            "mi-2": [Tag("k", "3")],
        }
        assert tx.tags_of("ManagedInstance", []) == {}


@covers(
    "get_target",
    "update_target",
    "delete_target",
    "count_targets",
    "targets_of",
    "list_targets",
)
def test_targets_belong_to_their_window_in_registration_order(store: SqlStore) -> None:
    one, two = window(1).window_id, window(2).window_id
    with store.write() as tx:
        tx.insert_window(window(1))
        tx.insert_window(window(2))
        for n in (3, 1, 2):
            tx.insert_target(target(one if n != 2 else two, n))
        moved = dataclasses.replace(
            target(one, 3), spec=dataclasses.replace(target(one, 3).spec, name="renamed")
        )
        tx.update_target(moved)
    with store.read() as tx:
        assert tx.list_targets(one) == [moved, target(one, 1)]
        assert tx.targets_of([one, two]) == [moved, target(one, 1), target(two, 2)]
        assert tx.targets_of([]) == []
        assert tx.get_target(one, moved.window_target_id) == moved
        assert tx.get_target(two, moved.window_target_id) is None
        assert (tx.count_targets(one), tx.count_targets(two), tx.count_targets("mw-x")) == (2, 1, 0)
    with store.write() as tx:
        assert not tx.delete_target(two, moved.window_target_id)
        assert tx.delete_target(one, moved.window_target_id)
        assert not tx.delete_target(one, moved.window_target_id)
    with store.read() as tx:
        assert tx.list_targets(one) == [target(one, 1)]


@covers("get_task", "update_task", "delete_task", "count_tasks", "tasks_of", "list_tasks")
def test_tasks_belong_to_their_window_in_registration_order(store: SqlStore) -> None:
    one, two = window(1).window_id, window(2).window_id
    with store.write() as tx:
        tx.insert_window(window(1))
        tx.insert_window(window(2))
        for n in (3, 1, 2):
            tx.insert_task(task(one if n != 2 else two, n))
        moved = dataclasses.replace(
            task(one, 3), spec=dataclasses.replace(task(one, 3).spec, priority=9)
        )
        tx.update_task(moved)
    with store.read() as tx:
        assert tx.list_tasks(one) == [moved, task(one, 1)]
        assert tx.tasks_of([one, two]) == [moved, task(one, 1), task(two, 2)]
        assert tx.tasks_of([]) == []
        assert tx.get_task(one, moved.window_task_id) == moved
        assert tx.get_task(two, moved.window_task_id) is None
        assert (tx.count_tasks(one), tx.count_tasks(two), tx.count_tasks("mw-x")) == (2, 1, 0)
    with store.write() as tx:
        assert not tx.delete_task(two, moved.window_task_id)
        assert tx.delete_task(one, moved.window_task_id)
        assert not tx.delete_task(one, moved.window_task_id)
    with store.read() as tx:
        assert tx.list_tasks(one) == [task(one, 1)]


@covers("get_tags", "put_tags", "remove_tags")
def test_tags_overwrite_by_key_and_list_sorted(store: SqlStore) -> None:
    resource = window(1).window_id
    with store.write() as tx:
        tx.put_tags("MaintenanceWindow", resource, [Tag("z", "1"), Tag("a", "1"), Tag("a", "2")])
        tx.put_tags("MaintenanceWindow", resource, [Tag("z", "3"), Tag("m", "1")])
        tx.put_tags("MaintenanceWindow", resource, [])
        tx.put_tags("ManagedInstance", resource, [Tag("a", "other")])
    with store.read() as tx:
        assert tx.get_tags("MaintenanceWindow", resource) == [
            Tag("a", "2"),
            Tag("m", "1"),
            Tag("z", "3"),
        ]
        assert tx.get_tags("MaintenanceWindow", "mw-never") == []
    with store.write() as tx:
        tx.remove_tags("MaintenanceWindow", resource, ["a", "absent"])
        tx.remove_tags("MaintenanceWindow", resource, [])
    with store.read() as tx:
        assert tx.get_tags("MaintenanceWindow", resource) == [Tag("m", "1"), Tag("z", "3")]
        assert tx.get_tags("ManagedInstance", resource) == [Tag("a", "other")]


@covers("get_idempotency", "put_idempotency")
def test_a_client_token_is_recorded_once_per_operation(store: SqlStore) -> None:
    record = IdempotencyRecord("f" * 64, "mw-1")
    with store.write() as tx:
        tx.put_idempotency("Op", "token", record, NOW)
        tx.put_idempotency("Other", "token", IdempotencyRecord("e" * 64, "mw-2"), NOW)
    with store.read() as tx:
        assert tx.get_idempotency("Op", "token") == record
        assert tx.get_idempotency("Other", "token") == IdempotencyRecord("e" * 64, "mw-2")
        assert tx.get_idempotency("Op", "other-token") is None
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.put_idempotency("Op", "token", IdempotencyRecord("0" * 64, "mw-3"), NOW)
    with store.read() as tx:
        assert tx.get_idempotency("Op", "token") == record
