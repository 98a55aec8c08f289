"""The `Store` contract (transom.store.port), run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.support.servers import BACKEND_PARAMS, Database
from transom.domain.executions import ExecutionStatus, PlannedTask, WindowExecution
from transom.domain.windows import (
    AccessKey,
    ResourceType,
    Tag,
    TargetSpec,
    TaskSpec,
    TaskType,
    Window,
    WindowQuery,
    WindowSpec,
    WindowTarget,
    WindowTask,
)
from transom.store.ports.configuration import IdempotencyRecord
from transom.store.sql import SqlStore

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
NOW = datetime(2026, 3, 29, 1, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture
def store(fresh_db: Database) -> Iterator[SqlStore]:
    opened = fresh_db.open_store()
    yield opened
    opened.close()


def _window(n: int, name: str = "w", enabled: bool = True) -> Window:
    spec = WindowSpec(
        name=f"{name}-{n}",
        schedule="rate(1 day)",
        duration=2,
        cutoff=1,
        allow_unassociated_targets=False,
        enabled=enabled,
        schedule_timezone="Europe/Berlin",
    )
    return Window(f"mw-{n:017x}", spec, NOW, NOW + timedelta(seconds=n), NOW)


def test_a_window_round_trips_with_aware_utc_instants(store: SqlStore) -> None:
    window = _window(1)
    with store.write() as tx:
        tx.insert_window(window)
    with store.read() as tx:
        assert tx.get_window(window.window_id) == window
        assert tx.get_window("mw-00000000000000099") is None


def test_a_failed_write_leaves_nothing_behind(store: SqlStore) -> None:
    def write_then_fail() -> None:
        with store.write() as tx:
            tx.insert_window(_window(2))
            tx.put_tags("MaintenanceWindow", _window(2).window_id, [Tag("a", "b")])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with store.read() as tx:
        assert tx.count_windows() == 0
        assert tx.get_tags("MaintenanceWindow", _window(2).window_id) == []


def test_windows_list_in_creation_order_with_filters_and_pages(store: SqlStore) -> None:
    with store.write() as tx:
        for n in range(1, 8):
            tx.insert_window(_window(n, "a_b" if n % 2 else "other", enabled=n != 3))
    with store.read() as tx:
        first = tx.list_windows(WindowQuery(name_prefixes=("a_b",)), None, 2)
        assert [w.window_id for w in first.items] == [_window(1).window_id, _window(3).window_id]
        rest = tx.list_windows(WindowQuery(name_prefixes=("a_b",)), first.next_after, 10)
        assert [w.spec.name for w in rest.items] == ["a_b-5", "a_b-7"]
        assert rest.next_after is None
        # the underscore is a literal, not a LIKE wildcard
        assert tx.list_windows(WindowQuery(name_prefixes=("a%",)), None, 10).items == []
        enabled = tx.list_windows(WindowQuery(name_prefixes=("a_b",), enabled=True), None, 10)
        assert [w.spec.name for w in enabled.items] == ["a_b-1", "a_b-5", "a_b-7"]


def test_deleting_a_window_takes_its_targets_tasks_and_tags(store: SqlStore) -> None:
    window = _window(4)
    target = WindowTarget(
        window.window_id,
        "00000000-0000-0000-0000-000000000001",
        TargetSpec(ResourceType.INSTANCE, [{"Key": "tag:a", "Values": ["b"]}], "owner"),
    )
    task = WindowTask(
        window.window_id,
        "00000000-0000-0000-0000-000000000002",
        TaskSpec(
            "AWS-RunShellScript",
            TaskType.RUN_COMMAND,
            [{"Key": "WindowTargetIds", "Values": [target.window_target_id]}],
            task_invocation_parameters={"RunCommand": {"Parameters": {"commands": ["ü"]}}},
            max_concurrency="10%",
            max_errors="0",
        ),
    )
    with store.write() as tx:
        tx.insert_window(window)
        tx.insert_target(target)
        tx.insert_task(task)
        tx.put_tags("MaintenanceWindow", window.window_id, [Tag("k", "v"), Tag("k", "w")])
    with store.read() as tx:
        assert tx.list_targets(window.window_id) == [target]
        assert tx.get_task(window.window_id, task.window_task_id) == task
        assert tx.get_tags("MaintenanceWindow", window.window_id) == [Tag("k", "w")]
    with store.write() as tx:
        assert tx.delete_window(window.window_id)
        assert not tx.delete_window(window.window_id)
    with store.read() as tx:
        assert tx.list_targets(window.window_id) == []
        assert tx.list_tasks(window.window_id) == []
        assert tx.get_tags("MaintenanceWindow", window.window_id) == []


def test_idempotency_records_and_access_keys_round_trip(store: SqlStore) -> None:
    key = AccessKey("AKIACONTRACT00000001", "s" * 40, None, NOW)
    with store.write() as tx:
        tx.put_idempotency("Op", "token", IdempotencyRecord("f" * 64, "mw-1"), NOW)
        tx.insert_access_key(key)
    with store.read() as tx:
        assert tx.get_idempotency("Op", "token") == IdempotencyRecord("f" * 64, "mw-1")
        assert tx.get_idempotency("Other", "token") is None
        assert key in tx.list_access_keys()
    with store.write() as tx:
        assert tx.delete_access_key(key.access_key_id)
    with store.read() as tx:
        assert tx.get_access_key(key.access_key_id) is None


def test_writers_holding_the_same_lock_do_not_interleave(store: SqlStore) -> None:
    """Check-then-insert under `lock()` from many threads never exceeds the count checked."""
    limit = 5

    def insert_if_room(n: int) -> None:
        with store.write() as tx:
            tx.lock("quota")
            if tx.count_windows() < limit:
                tx.insert_window(_window(100 + n))

    threads = [threading.Thread(target=insert_if_room, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as tx:
        assert tx.count_windows() == limit


def test_opening_twice_migrates_once_to_the_newest_revision(fresh_db: Database) -> None:
    for _ in range(2):
        store = fresh_db.open_store()
        with store.engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        store.close()
        assert [v for (v,) in versions] == ["0005"]


def _execution(n: int, status: ExecutionStatus = ExecutionStatus.PENDING) -> WindowExecution:
    return WindowExecution(
        window_execution_id=f"00000000-0000-0000-0000-{n:012d}",
        window_id=_window(1).window_id,
        status=status,
        status_details="",
        start_time=NOW,
        end_time=None,
        scheduled_time=NOW + timedelta(days=n),
        window_end=NOW + timedelta(hours=2),
        cutoff_at=NOW + timedelta(hours=1),
        plan=(PlannedTask("t-1", 0), PlannedTask("t-2", 5)),
        wake_at=NOW,
    )


def test_window_executions_round_trip_and_are_unique_per_occurrence(store: SqlStore) -> None:
    first, second = _execution(1), _execution(2)
    with store.write() as tx:
        tx.insert_window_executions([first, second])
    with store.read() as tx:
        assert sorted(
            tx.get_window_executions([first.window_execution_id, second.window_execution_id]),
            key=lambda e: e.window_execution_id,
        ) == [first, second]
    again = dataclasses.replace(first, window_execution_id="00000000-0000-0000-0000-000000000009")
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_window_executions([again])


def test_compare_and_set_applies_only_to_records_still_holding_the_values_expected(
    store: SqlStore,
) -> None:
    first, second, third = _execution(1), _execution(2), _execution(3)
    pending, running = ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS
    later = NOW + timedelta(seconds=30)
    with store.write() as tx:
        tx.insert_window_executions([first, second, third])
        tx.wake_window_execution(third.window_execution_id, later)  # a command ended
        changed = tx.set_window_executions(
            [
                (first.window_execution_id, {"status": pending}, {"status": running}),
                (second.window_execution_id, {"status": running}, {"wake_at": None}),
                (
                    third.window_execution_id,
                    {"status": pending, "wake_at": NOW},
                    {"wake_at": NOW + timedelta(hours=1)},
                ),
            ]
        )
    assert changed == 1
    with store.read() as tx:
        got = {
            e.window_execution_id: e
            for e in tx.get_window_executions(
                [e.window_execution_id for e in (first, second, third)]
            )
        }
    assert got[first.window_execution_id].status is ExecutionStatus.IN_PROGRESS
    assert got[second.window_execution_id] == second
    assert got[third.window_execution_id].wake_at == later


def test_a_wake_applies_to_running_executions_only(store: SqlStore) -> None:
    running, ended = _execution(1), dataclasses.replace(_execution(2), wake_at=None)
    later = NOW + timedelta(seconds=30)
    with store.write() as tx:
        tx.insert_window_executions([running, ended])
        tx.wake_window_execution(running.window_execution_id, later)
        tx.wake_window_execution(ended.window_execution_id, later)
    with store.read() as tx:
        assert tx.due_window_executions(later, 10) == [running.window_execution_id]


def test_cursors_move_only_from_where_the_mover_saw_them(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_window(_window(1))
        tx.insert_window(_window(2))
        tx.set_cursor(_window(1).window_id, NOW, NOW)
        tx.set_cursor(_window(2).window_id, NOW, NOW)
        moved = tx.advance_cursors(
            [
                (_window(1).window_id, NOW, NOW + timedelta(days=1)),
                (_window(2).window_id, NOW - timedelta(days=1), None),
            ]
        )
    assert moved == 1
    with store.read() as tx:
        assert tx.due_cursors(NOW + timedelta(days=2)) == [
            (_window(2).window_id, NOW),
            (_window(1).window_id, NOW + timedelta(days=1)),
        ]


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
        tx.lock_all(["b", "c"])
        order.append("second in")
    holder.join()
    assert order == ["first in", "first out", "second in"]
