"""The execution port: window executions, task executions, task invocations, retention."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import (
    NOW,
    command,
    execution,
    invocations,
    node,
    task_execution,
    task_invocation,
    window,
)
from transom.domain.commands import InvocationDetails
from transom.domain.executions import ACTIVE, ExecutionStatus, PlannedTask
from transom.store.ports.executions import (
    TaskInvocationUpdate,
    WindowExecutionUpdate,
    WindowRun,
)
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND
S = ExecutionStatus
DAY = timedelta(days=1)


@covers("insert_window_executions", "get_window_executions", "get_window_execution")
def test_window_executions_round_trip_and_are_unique_per_occurrence(store: SqlStore) -> None:
    first, second = execution(1), execution(2)
    with store.write() as tx:
        tx.insert_window_executions([first, second])
        tx.insert_window_executions([])
    with store.read() as tx:
        assert tx.get_window_execution(first.window_execution_id) == first
        assert tx.get_window_execution(execution(9).window_execution_id) is None
        assert sorted(
            tx.get_window_executions(
                [first.window_execution_id, second.window_execution_id, "missing"]
            ),
            key=lambda e: e.window_execution_id,
        ) == [first, second]
        assert tx.get_window_executions([]) == []
    again = dataclasses.replace(first, window_execution_id=execution(9).window_execution_id)
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_window_executions([again])


@covers("set_window_executions", "wake_window_execution")
def test_compare_and_set_applies_only_to_records_still_holding_the_values_expected(
    store: SqlStore,
) -> None:
    first, second, third = execution(1), execution(2), execution(3)
    later = NOW + timedelta(seconds=30)
    with store.write() as tx:
        tx.insert_window_executions([first, second, third])
        tx.wake_window_execution(third.window_execution_id, later)  # a command ended
        changed = tx.set_window_executions(
            [
                (
                    first.window_execution_id,
                    {"status": S.PENDING},
                    {"status": S.IN_PROGRESS, "plan": (PlannedTask("t-3", 1),)},
                ),
                (second.window_execution_id, {"status": S.IN_PROGRESS}, {"wake_at": None}),
                (
                    third.window_execution_id,
                    {"status": S.PENDING, "wake_at": third.wake_at},
                    {"wake_at": NOW + timedelta(hours=1)},
                ),
            ]
        )
        assert tx.set_window_executions([]) == 0
    assert changed == 1
    with store.read() as tx:
        got = {
            e.window_execution_id: e
            for e in tx.get_window_executions(
                [e.window_execution_id for e in (first, second, third)]
            )
        }
    assert got[first.window_execution_id] == dataclasses.replace(
        first, status=S.IN_PROGRESS, plan=(PlannedTask("t-3", 1),)
    )
    assert got[second.window_execution_id] == second
    assert got[third.window_execution_id] == dataclasses.replace(third, wake_at=later)


@covers("set_window_executions")
def test_compare_and_set_matches_none_with_none(store: SqlStore) -> None:
    ended = dataclasses.replace(execution(1), wake_at=None, status=S.SUCCESS)
    with store.write() as tx:
        tx.insert_window_executions([ended])
        assert tx.set_window_executions(
            [(ended.window_execution_id, {"wake_at": None}, {"status_details": "seen"})]
        )
        assert not tx.set_window_executions(
            [(ended.window_execution_id, {"wake_at": NOW}, {"status_details": "not seen"})]
        )
    with store.read() as tx:
        assert tx.get_window_execution(ended.window_execution_id) == dataclasses.replace(
            ended, status_details="seen"
        )


@covers("update_window_execution")
def test_an_update_applies_only_from_the_statuses_given(store: SqlStore) -> None:
    running, ended = execution(1, S.IN_PROGRESS), execution(2, S.SUCCESS)
    with store.write() as tx:
        tx.insert_window_executions([running, ended])
        values: WindowExecutionUpdate = {
            "status": S.CANCELLING,
            "cancel_requested": True,
            "wake_at": NOW,
        }
        assert tx.update_window_execution(running.window_execution_id, ACTIVE, values)
        assert not tx.update_window_execution(
            ended.window_execution_id, ACTIVE, {"status": S.CANCELLING}
        )
        assert not tx.update_window_execution("missing", ACTIVE, {"status": S.CANCELLING})
    with store.read() as tx:
        assert tx.get_window_execution(running.window_execution_id) == dataclasses.replace(
            running, status=S.CANCELLING, cancel_requested=True, wake_at=NOW
        )
        assert tx.get_window_execution(ended.window_execution_id) == ended


@covers("list_window_executions")
def test_window_executions_list_newest_first_within_the_range_given(store: SqlStore) -> None:
    mine = [execution(n) for n in range(1, 6)]  # started NOW + n days
    other = execution(6, window_id=window(2).window_id)
    with store.write() as tx:
        tx.insert_window_executions([*mine, other])
    one = window(1).window_id
    with store.read() as tx:
        first = tx.list_window_executions(one, None, None, None, 2)
        assert first.items == [mine[4], mine[3]]
        rest = tx.list_window_executions(one, None, None, first.next_after, 10)
        assert rest.items == [mine[2], mine[1], mine[0]]
        assert rest.next_after is None
        ranged = tx.list_window_executions(one, NOW + 2 * DAY, NOW + 4 * DAY, None, 10)
        assert ranged.items == [mine[3], mine[2], mine[1]]  # both ends inclusive
        assert tx.list_window_executions(window(3).window_id, None, None, None, 10).items == []
        every = tx.list_window_executions(None, NOW + 4 * DAY, None, None, 10)
        assert every.items == [other, mine[4], mine[3]]  # None: every window's


@covers("active_window_executions_of", "active_window_executions", "active_window_execution")
def test_active_executions_are_pending_in_progress_or_cancelling(store: SqlStore) -> None:
    one, two, three = (window(n).window_id for n in (1, 2, 3))
    gone = execution(6, S.IN_PROGRESS, window(9).window_id)  # of a window deleted since
    executions = [
        execution(1, S.PENDING, one),
        execution(2, S.SUCCESS, one),
        execution(3, S.IN_PROGRESS, two),
        execution(4, S.CANCELLING, three),
        execution(5, S.CANCELLED, three),
    ]
    with store.write() as tx:
        for n in (1, 2, 3):
            tx.insert_window(window(n))
        tx.insert_window_executions([*executions, gone])
    with store.read() as tx:
        everywhere = tx.active_window_executions()
        assert sorted(everywhere, key=lambda e: e.window_execution_id) == [
            executions[0],
            executions[2],
            executions[3],
        ]
        found = tx.active_window_executions_of([one, two, three])
        assert sorted(found, key=lambda e: e.window_execution_id) == [
            executions[0],
            executions[2],
            executions[3],
        ]
        assert tx.active_window_executions_of([]) == []
        assert tx.active_window_execution(one) == executions[0]
        assert tx.active_window_execution(three) == executions[3]
        assert tx.active_window_execution(window(4).window_id) is None


@covers("window_runs_overlapping")
def test_executions_overlapping_a_span_come_by_start_for_existing_windows(
    store: SqlStore,
) -> None:
    one, two = window(1), window(2)
    runs = {
        n: dataclasses.replace(
            execution(n, S.SUCCESS, (one if n % 2 else two).window_id),
            start_time=NOW + timedelta(hours=n),
            window_end=NOW + timedelta(hours=n + 2),
        )
        for n in range(1, 7)
    }
    gone = dataclasses.replace(execution(9, S.SUCCESS, window(3).window_id), start_time=NOW)
    with store.write() as tx:
        tx.insert_window(one)
        tx.insert_window(two)
        tx.insert_window_executions([runs[n] for n in (5, 2, 6, 1, 4, 3)] + [gone])
    span = (NOW + timedelta(hours=3), NOW + timedelta(hours=6))

    def drawn(*ns: int) -> list[WindowRun]:
        return [
            WindowRun(
                runs[n].window_execution_id,
                runs[n].window_id,
                runs[n].status,
                runs[n].start_time,
                runs[n].window_end,
                runs[n].cutoff_at,
            )
            for n in ns
        ]

    with store.read() as tx:
        assert tx.window_runs_overlapping(None, *span, 10) == drawn(2, 3, 4, 5)
        assert tx.window_runs_overlapping(None, *span, 2) == drawn(2, 3)
        assert tx.window_runs_overlapping(one.window_id, *span, 10) == drawn(3, 5)


@covers("latest_window_executions")
def test_the_latest_execution_of_each_window_is_the_last_inserted(store: SqlStore) -> None:
    one, two, three = (window(n).window_id for n in (1, 2, 3))
    executions = [
        execution(3, S.SUCCESS, one),
        execution(1, S.FAILED, two),
        execution(2, S.IN_PROGRESS, one),
        execution(4, S.SUCCESS, two),
    ]
    with store.write() as tx:
        for made in executions:
            tx.insert_window_executions([made])
    with store.read() as tx:
        assert tx.latest_window_executions([one, two, three]) == {
            one: executions[2],
            two: executions[3],
        }
        assert tx.latest_window_executions([two]) == {two: executions[3]}
        assert tx.latest_window_executions([]) == {}


@covers("due_window_executions", "next_window_execution_wake")
def test_due_executions_come_most_overdue_first(store: SqlStore) -> None:
    with store.write() as tx:
        assert tx.next_window_execution_wake() is None
        ended = dataclasses.replace(execution(1), wake_at=None, status=S.SUCCESS)
        tx.insert_window_executions([execution(3), execution(2), ended, execution(4)])
    ids = [execution(n).window_execution_id for n in range(5)]
    with store.read() as tx:
        assert tx.next_window_execution_wake() == NOW + 2 * DAY
        assert tx.due_window_executions(NOW + 3 * DAY, 10) == [ids[2], ids[3]]
        assert tx.due_window_executions(NOW + 9 * DAY, 2) == [ids[2], ids[3]]
        assert tx.due_window_executions(NOW, 10) == []


@covers("wake_window_execution", "wake_window_executions")
def test_a_wake_applies_to_running_executions_only(store: SqlStore) -> None:
    running, also, asleep = execution(1), execution(2), execution(3)
    ended = dataclasses.replace(execution(4), wake_at=None, status=S.SUCCESS)
    with store.write() as tx:
        tx.insert_window_executions([running, also, asleep, ended])
        tx.wake_window_execution(running.window_execution_id, NOW)
        tx.wake_window_execution(ended.window_execution_id, NOW)
        tx.wake_window_executions([], NOW)
        tx.wake_window_executions([also.window_execution_id, ended.window_execution_id], NOW)
    with store.read() as tx:
        assert sorted(tx.due_window_executions(NOW, 10)) == sorted(
            [running.window_execution_id, also.window_execution_id]
        )
        assert tx.get_window_execution(ended.window_execution_id) == ended


@covers(
    "insert_task_executions",
    "task_executions_of",
    "list_task_executions",
    "set_task_executions",
)
def test_task_executions_list_in_start_order_and_change_by_compare_and_set(
    store: SqlStore,
) -> None:
    one, two = execution(1).window_execution_id, execution(2).window_execution_id
    tasks = [task_execution(one, 2), task_execution(two, 3), task_execution(one, 1)]
    with store.write() as tx:
        tx.insert_task_executions(tasks)
        tx.insert_task_executions([])
        changed = tx.set_task_executions(
            [
                (tasks[0].task_execution_id, {"status": S.IN_PROGRESS}, {"status": S.SUCCESS}),
                (tasks[1].task_execution_id, {"status": S.PENDING}, {"status": S.FAILED}),
                (
                    tasks[2].task_execution_id,
                    {"status": S.IN_PROGRESS},
                    {"status": S.FAILED, "status_details": "1 failed", "end_time": NOW},
                ),
            ]
        )
    assert changed == 2
    done = dataclasses.replace(tasks[0], status=S.SUCCESS)
    failed = dataclasses.replace(tasks[2], status=S.FAILED, status_details="1 failed", end_time=NOW)
    with store.read() as tx:
        assert tx.list_task_executions(one) == [done, failed]
        assert tx.list_task_executions(execution(9).window_execution_id) == []
        assert tx.task_executions_of([two, one]) == [done, tasks[1], failed]
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_task_executions(
            [dataclasses.replace(task_execution(one, 1), task_execution_id="another")]
        )


@covers(
    "insert_task_invocations",
    "task_invocations_of",
    "list_task_invocations",
    "set_task_invocations",
)
def test_task_invocations_list_in_seq_order_and_change_by_compare_and_set(
    store: SqlStore,
) -> None:
    first = task_execution(execution(1).window_execution_id, 1)
    second = task_execution(execution(2).window_execution_id, 2)
    a, b, c = task_invocation(first, 2), task_invocation(first, 1), task_invocation(second, 1)
    with store.write() as tx:
        tx.insert_task_invocations([a, b, c])
        tx.insert_task_invocations([])
        launched: TaskInvocationUpdate = {
            "status": S.IN_PROGRESS,
            "execution_id": "command-1",
            "parameters": "{}",
            "start_time": NOW,
        }
        changed = tx.set_task_invocations(
            [
                (b.invocation_id, {"status": S.PENDING}, launched),
                (c.invocation_id, {"status": S.CANCELLED}, {"status": S.FAILED}),
                (a.invocation_id, {"execution_id": None}, {"end_time": NOW}),
            ]
        )
    assert changed == 2
    b_launched = dataclasses.replace(
        b, status=S.IN_PROGRESS, execution_id="command-1", parameters="{}", start_time=NOW
    )
    a_ended = dataclasses.replace(a, end_time=NOW)
    with store.read() as tx:
        assert tx.list_task_invocations(first.task_execution_id) == [b_launched, a_ended]
        assert tx.list_task_invocations(second.task_execution_id) == [c]
        found = tx.task_invocations_of([second.window_execution_id, first.window_execution_id])
        assert [i for i in found if i.task_execution_id == first.task_execution_id] == [
            b_launched,
            a_ended,
        ]
        assert [i for i in found if i.task_execution_id == second.task_execution_id] == [c]
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_task_invocations([dataclasses.replace(a, invocation_id=node(9).instance_id)])


@covers("purge_history")
def test_purging_takes_ended_executions_and_finished_commands_before_the_instant(
    store: SqlStore,
) -> None:
    old = dataclasses.replace(execution(1), status=S.SUCCESS, end_time=NOW, wake_at=None)
    recent = dataclasses.replace(
        execution(2), status=S.SUCCESS, end_time=NOW + 2 * DAY, wake_at=None
    )
    running = execution(3)
    old_task = task_execution(old.window_execution_id, 1)
    recent_task = task_execution(recent.window_execution_id, 2)
    finished = command(1, (node(1).instance_id,), at=NOW - DAY)
    unfinished = command(2, (node(1).instance_id, node(2).instance_id), at=NOW - DAY)
    late = command(3, (node(1).instance_id,), at=NOW + DAY)
    with store.write() as tx:
        tx.insert_window_executions([old, recent, running])
        tx.insert_task_executions([old_task, recent_task])
        tx.insert_task_invocations([task_invocation(old_task, 1), task_invocation(recent_task, 1)])
        tx.insert_commands(
            [
                (finished, invocations(finished, InvocationDetails.SUCCESS)),
                (
                    unfinished,
                    [
                        *invocations(unfinished, InvocationDetails.SUCCESS)[:1],
                        *invocations(unfinished)[1:],
                    ],
                ),
                (late, invocations(late, InvocationDetails.SUCCESS)),
            ]
        )
        tx.transition(
            unfinished.command_id,
            node(2).instance_id,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.IN_PROGRESS},
        )
    with store.write() as tx:
        assert tx.purge_history(NOW + DAY) == 2  # one execution, one command
        assert tx.purge_history(NOW + DAY) == 0
    with store.read() as tx:
        assert tx.get_window_execution(old.window_execution_id) is None
        assert tx.list_task_executions(old.window_execution_id) == []
        assert tx.list_task_invocations(old_task.task_execution_id) == []
        assert tx.get_window_execution(recent.window_execution_id) == recent
        assert tx.get_window_execution(running.window_execution_id) == running
        assert tx.list_task_executions(recent.window_execution_id) == [recent_task]
        assert len(tx.list_task_invocations(recent_task.task_execution_id)) == 1
        assert tx.get_command(finished.command_id) is None
        assert tx.list_invocations(finished.command_id) == []
        assert tx.get_command(unfinished.command_id) == unfinished
        assert tx.get_command(late.command_id) == late
