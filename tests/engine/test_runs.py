"""One window run, on a fake clock: priorities, rate control, cutoff, statuses (SPEC.md §d)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.world import START, World
from tests.support.servers import BACKEND_PARAMS
from transom.domain.executions import ExecutionStatus as S

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_a_window_runs_its_task_on_every_node_its_target_matches(world: World) -> None:
    web = [world.node(f"web{i}", role="web") for i in range(3)]
    world.node("db", role="db")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web", owner="team-web")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], ["echo hi"])

    world.run_until(START + timedelta(hours=1, minutes=5))

    [execution] = world.executions(window)
    assert execution.status is S.SUCCESS
    assert execution.scheduled_time == START + timedelta(hours=1)
    _, [task] = world.services.history.execution(execution.window_execution_id)
    assert task.status is S.SUCCESS
    invocations = world.services.history.invocations(
        execution.window_execution_id, task.task_execution_id
    )
    assert sorted(i.resource_id or "" for i in invocations) == sorted(web)
    assert {i.owner_information for i in invocations} == {"team-web"}
    assert {i.window_target_id for i in invocations} == {target}
    assert all(i.status is S.SUCCESS and i.execution_id for i in invocations)
