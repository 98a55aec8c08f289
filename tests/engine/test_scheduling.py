"""Starting runs on schedule over days of fake time: once per occurrence, overlap, downtime."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest

from tests.engine.world import START, Finish, World
from tests.support.servers import BACKEND_PARAMS, Database
from transom.domain.events import Realm
from transom.domain.executions import ExecutionStatus as S
from transom.events.systems_manager import WINDOW_EXECUTION
from transom.services.event_relay import EventRelay
from transom.services.scheduler import Scheduler

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_a_daily_window_runs_once_a_day_at_its_time_in_its_zone(world: World) -> None:
    window = world.window("cron(30 9 ? * * *)", schedule_timezone="Europe/Berlin")

    world.run_until(START + timedelta(days=3))

    executions = world.executions(window)
    assert [e.scheduled_time for e in executions] == [
        START + timedelta(days=d, hours=8, minutes=30)
        for d in range(3)  # 09:30 CET
    ]
    assert [e.status for e in executions] == [S.SUCCESS] * 3
    assert all(e.start_time == e.scheduled_time for e in executions)


def test_a_run_still_going_at_the_next_occurrence_skips_it_as_overlapping(world: World) -> None:
    world.node("n", role="web")
    window = world.window("rate(1 hour)", duration=3, cutoff=1)
    target = world.target(window, role="web")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], ["slow"])
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=90))

    world.run_until(START + timedelta(hours=4, minutes=30))

    executions = world.executions(window)
    assert [e.status for e in executions] == [
        S.SUCCESS,  # 01:00, ends 02:30
        S.SKIPPED_OVERLAPPING,  # 02:00
        S.SUCCESS,  # 03:00
        S.SKIPPED_OVERLAPPING,  # 04:00
    ]
    skipped = executions[1]
    assert executions[0].window_execution_id in skipped.status_details
    assert skipped.start_time == skipped.end_time


def test_after_downtime_a_run_before_its_cutoff_starts_late_and_says_so(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)", duration=4, cutoff=1)
    world.run_until(START)

    world.clock.set(START + timedelta(hours=2))  # the server was down 00:00-02:00
    world.run_until(START + timedelta(hours=2, minutes=1))

    [execution] = world.executions(window)
    assert execution.status is S.SUCCESS
    assert execution.start_time == START + timedelta(hours=2)
    assert execution.status_details.startswith("Started 3600 s late")


def test_after_downtime_runs_past_their_cutoff_are_recorded_as_missed(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)", duration=2, cutoff=1)
    world.run_until(START)

    world.clock.set(START + timedelta(days=2, hours=1, minutes=30))  # down for two days
    world.run_until(START + timedelta(days=2, hours=2))

    executions = world.executions(window)
    assert [e.scheduled_time for e in executions] == [
        START + timedelta(days=d, hours=1) for d in range(3)
    ]
    assert [e.status for e in executions] == [S.TIMED_OUT, S.TIMED_OUT, S.SUCCESS]
    assert all(e.status_details.startswith("Missed") for e in executions[:2])
    assert executions[2].status_details.startswith("Started 1800 s late")


def test_two_schedulers_racing_on_one_database_start_each_occurrence_exactly_once(
    world: World, fresh_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    windows = [world.window("rate(30 minutes)") for _ in range(5)]
    rounds = 8
    stores = [fresh_db.open_store() for _ in range(2)]  # two replicas, their own connections
    schedulers = [Scheduler(store, world.clock, Realm()) for store in stores]
    together = threading.Barrier(3, timeout=60)  # the two schedulers and this thread
    handled: list[list[int]] = [[] for _ in schedulers]
    failures: list[BaseException] = []

    def replica(scheduler: Scheduler, counts: list[int]) -> None:
        try:
            for _ in range(rounds):
                together.wait()  # the clock has moved: both start at once
                scheduler.sync()
                counts.append(scheduler.tick())
                together.wait()  # both done: the clock may move
        except BaseException as error:  # the test reports it
            failures.append(error)
            together.abort()

    threads = [
        threading.Thread(target=replica, args=(scheduler, counts))
        for scheduler, counts in zip(schedulers, handled, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for _ in range(rounds):
            world.clock.advance(timedelta(minutes=30))
            together.wait()
            together.wait()
            world.services.runner.advance_due()
    finally:
        for thread in threads:
            thread.join(timeout=60)
        for store in stores:
            store.close()

    assert not failures, failures
    # each round, every due window was handled by one scheduler or the other, never both
    assert [a + b for a, b in zip(*handled, strict=True)] == [len(windows)] * rounds
    assert not [r.getMessage() for r in caplog.records if "scheduler" in r.name]  # no failed batch
    for window in windows:
        executions = world.executions(window)
        assert [e.scheduled_time for e in executions] == [
            START + timedelta(minutes=30 * i) for i in range(1, rounds + 1)
        ]
        assert {e.status for e in executions} == {S.SUCCESS}
    # and each start was reported once: one PENDING event per execution, none for the loser
    with world.store.read() as tx:
        stored = tx.events_after(0, 10_000)
    pending = [
        e.event.detail["window-execution-id"]
        for e in stored
        if e.event.detail_type == WINDOW_EXECUTION and e.event.detail["status"] == "PENDING"
    ]
    assert sorted(pending) == sorted(
        e.window_execution_id for window in windows for e in world.executions(window)
    )
    # and logged once as it started and once as it ended
    logged = [
        sorted(r.__dict__["execution_id"] for r in caplog.records if r.getMessage() == message)
        for message in ("window execution started", "window execution ended")
    ]
    assert logged == [sorted(pending)] * 2


def test_a_scheduler_that_read_a_cursor_another_then_moved_starts_nothing(
    world: World,
) -> None:
    window = world.window("rate(30 minutes)")
    world.services.scheduler.sync()
    world.clock.advance(timedelta(minutes=30))
    late = Scheduler(world.store, world.clock, Realm())
    with world.store.read() as tx:
        stale = tx.due_cursors(world.clock.now())  # what `late` read before the other fired

    world.services.scheduler.tick()

    assert late._fire(stale, world.clock.now()) == 0
    assert len(world.executions(window)) == 1


def test_a_disabled_window_does_not_run_and_resumes_from_when_it_is_enabled(
    world: World,
) -> None:
    window = world.window("rate(1 hour)")
    world.run_until(START + timedelta(hours=1, minutes=10))
    world.services.windows.update(window, {"enabled": False}, replace=False)
    world.run_until(START + timedelta(hours=5, minutes=10))

    world.services.windows.update(window, {"enabled": True}, replace=False)
    world.run_until(START + timedelta(hours=7, minutes=10))

    scheduled = [e.scheduled_time for e in world.executions(window)]
    assert scheduled == [START + timedelta(hours=h) for h in (1, 6, 7)]
    assert all(e.status is S.SUCCESS for e in world.executions(window))


def test_a_changed_schedule_applies_from_the_change(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")
    world.run_until(START + timedelta(hours=1, minutes=10))
    world.services.windows.update(window, {"schedule": "cron(0 3 * * ? *)"}, replace=False)

    world.run_until(START + timedelta(days=1, hours=4))

    scheduled = [e.scheduled_time for e in world.executions(window)]
    assert scheduled == [
        START + timedelta(hours=1),
        START + timedelta(hours=3),
        START + timedelta(days=1, hours=3),
    ]


def test_a_one_time_window_runs_once(world: World) -> None:
    window = world.window("at(2026-03-02T05:00:00)")

    world.run_until(START + timedelta(days=2))

    assert [e.scheduled_time for e in world.executions(window)] == [START + timedelta(hours=5)]


def test_a_deleted_window_stops_running_and_keeps_its_history(world: World) -> None:
    window = world.window("rate(1 hour)")
    world.run_until(START + timedelta(hours=2, minutes=10))
    world.services.windows.delete(window)

    world.run_until(START + timedelta(hours=5))

    assert len(world.executions(window)) == 2


def test_history_older_than_the_retention_is_purged(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")
    world.run_until(START + timedelta(days=32))
    assert len(world.executions(window)) == 32
    relay = EventRelay(world.store, Realm(), world.services.rules)
    while relay.relay():
        pass

    world.services.history.purge()

    kept = world.executions(window)
    assert len(kept) == 30
    assert kept[0].scheduled_time == START + timedelta(days=2, hours=1)
    with world.store.read() as tx:
        oldest = tx.events_after(0, 1)[0].event
    assert oldest.time >= world.clock.now() - timedelta(days=30)


def test_history_pages_newest_first_within_the_time_range(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")
    world.run_until(START + timedelta(days=25))
    history = world.services.history
    since = START + timedelta(days=2)

    seen: list[datetime] = []
    position = None
    while True:
        page = history.executions(window, after=since, position=position, limit=10)
        seen += [e.start_time for e in page.items]
        if page.next_after is None:
            break
        position = page.next_after

    assert seen == [START + timedelta(days=d, hours=1) for d in range(24, 1, -1)]
