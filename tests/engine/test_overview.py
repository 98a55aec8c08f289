"""The console's overview and window list as the services compute them, on a fake clock over
a real store: one line per window among the next runs, nodes counted by ping status with the
deregistered ones as Inactive, and the window list a page at a time with each window's
latest execution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.world import START, Finish, World
from tests.support.servers import BACKEND_PARAMS
from transom.domain.executions import ExecutionStatus as S

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_next_runs_show_each_soonest_window_once_not_every_run_of_one(world: World) -> None:
    minutely = world.window("rate(1 minute)", name="every-minute")
    hourly = world.window("cron(30 * * * ? *)", name="hourly")
    daily = world.window("cron(0 3 * * ? *)", name="daily")
    world.window("cron(0 4 ? * SUN *)", name="disabled", enabled=False)

    runs = world.services.overview.overview(next_runs=3).next_runs

    assert [(r.window_id, r.run) for r in runs] == [
        (minutely, START + timedelta(minutes=1)),
        (hourly, START + timedelta(minutes=30)),
        (daily, START + timedelta(hours=3)),
    ]
    assert world.services.overview.overview(next_runs=2).next_runs == runs[:2]


def test_nodes_are_counted_online_connection_lost_and_inactive(world: World) -> None:
    world.node("quiet")
    world.services.nodes.deregister(world.node("gone"))
    world.clock.advance(timedelta(minutes=10))
    world.node("heard")

    counts = world.services.overview.overview().nodes

    assert counts == {"Online": 1, "ConnectionLost": 1, "Inactive": 1}


def test_the_window_list_pages_with_each_window_latest_run(world: World) -> None:
    made = [world.window("cron(0 3 * * ? *)", name=f"patch-{n}") for n in range(5)]
    for window_id in (made[1], made[3], made[1]):
        world.services.scheduler.run_now(window_id)
        world.run_for(timedelta(minutes=1))

    first = world.services.overview.window_rows("", 0, 2)
    second = world.services.overview.window_rows("", 2, 2)
    found = world.services.overview.window_rows("patch-3", 0, 2)

    assert [r.window.window_id for r in first.rows] == made[:2]
    assert [r.window.window_id for r in second.rows] == made[2:4]
    assert first.matching == second.matching == 5
    assert [r.window.window_id for r in found.rows] == [made[3]]
    assert found.matching == 1
    latest = {r.window.window_id: r.last for r in first.rows + second.rows}
    assert latest[made[0]] is None
    assert latest[made[2]] is None
    assert latest[made[1]] == world.executions(made[1])[-1]
    last = latest[made[3]]
    assert last is not None
    assert last.status == S.SUCCESS


def test_running_executions_show_with_their_window_and_tasks_done(world: World) -> None:
    world.node("web-1", role="web")
    window_id = world.window("cron(0 3 * * ? *)", name="slow-patch")
    target = world.target(window_id, role="web")
    targets = [{"Key": "WindowTargetIds", "Values": [target]}]
    world.task(window_id, targets, ["quick"], priority=1)
    world.task(window_id, targets, ["slow"], priority=2)
    world.agents.script = lambda _node, commands: None if commands == ["slow"] else Finish()
    world.services.scheduler.run_now(window_id)
    world.run_for(timedelta(minutes=1))

    (running,) = world.services.overview.overview().running
    assert running.execution.window_id == window_id
    assert running.execution.status == S.IN_PROGRESS
    assert (running.window_name, running.tasks_done, running.tasks_planned) == ("slow-patch", 1, 2)
