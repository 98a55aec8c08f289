"""One window run, on a fake clock: priorities, rate control, cutoff, statuses (SPEC.md §d)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.engine.world import START, Finish, World
from tests.support.servers import BACKEND_PARAMS
from transom.domain.commands import InvocationDetails
from transom.domain.executions import ExecutionStatus as S
from transom.domain.windows import TaskType

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


def _task_executions(world: World, window: str) -> list[Any]:
    [execution] = world.executions(window)
    return world.services.history.execution(execution.window_execution_id)[1]


def _invocations(world: World, task: Any) -> list[Any]:
    return world.services.history.invocations(task.window_execution_id, task.task_execution_id)


def test_lower_priorities_run_first_and_equal_ones_together(world: World) -> None:
    node = world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    on = [{"Key": "WindowTargetIds", "Values": [target]}]
    world.task(window, on, ["late"], priority=5)
    world.task(window, on, ["first-a"], priority=0)
    world.task(window, on, ["first-b"], priority=0)
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=3))

    world.run_until(START + timedelta(hours=1, minutes=30))

    tasks = _task_executions(world, window)
    by_command = {
        world.services.commands.view(_invocations(world, t)[0].execution_id).command.parameters[
            "commands"
        ][0]: t
        for t in tasks
    }
    first_a, first_b, late = by_command["first-a"], by_command["first-b"], by_command["late"]
    assert first_a.start_time == first_b.start_time  # one group, started together
    assert late.start_time >= max(first_a.end_time, first_b.end_time)
    assert all(t.status is S.SUCCESS for t in tasks)
    assert world.statuses(window) == [S.SUCCESS]
    assert node


def test_max_concurrency_bounds_the_invocations_running_at_once(world: World) -> None:
    for i in range(6):
        world.node(f"n{i}", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    world.task(
        window, [{"Key": "WindowTargetIds", "Values": [target]}], ["x"], max_concurrency="50%"
    )
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=1))

    world.run_until(START + timedelta(hours=1, minutes=30))

    starts = sorted(at for _, _, at in world.agents.started)
    assert len(starts) == 6
    assert starts[0] == starts[2] < starts[3] == starts[5]  # 3 at a time
    assert world.statuses(window) == [S.SUCCESS]


@pytest.mark.parametrize(("max_errors", "launched"), [("0", 1), ("1", 2), ("40%", 3)])
def test_a_task_stops_launching_once_errors_pass_max_errors(
    world: World, max_errors: str, launched: int
) -> None:
    for i in range(5):
        world.node(f"n{i}", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    world.task(
        window,
        [{"Key": "WindowTargetIds", "Values": [target]}],
        ["exit 1"],
        max_concurrency="1",
        max_errors=max_errors,
    )
    world.agents.script = lambda _n, _c: Finish(InvocationDetails.FAILED, 1)

    world.run_until(START + timedelta(hours=1, minutes=30))

    [task] = _task_executions(world, window)
    statuses = [i.status for i in _invocations(world, task)]
    assert statuses == [S.FAILED] * launched + [S.CANCELLED] * (5 - launched)
    assert task.status is S.FAILED
    assert world.statuses(window) == [S.FAILED]


def test_a_failed_task_does_not_stop_later_priorities(world: World) -> None:
    world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    on = [{"Key": "WindowTargetIds", "Values": [target]}]
    world.task(window, on, ["fail"], priority=1)
    world.task(window, on, ["ok"], priority=2)
    world.agents.script = lambda _n, c: (
        Finish(InvocationDetails.FAILED, 2) if c == ["fail"] else Finish()
    )

    world.run_until(START + timedelta(hours=1, minutes=30))

    assert sorted(t.status for t in _task_executions(world, window)) == [S.FAILED, S.SUCCESS]
    assert world.statuses(window) == [S.FAILED]


def test_no_task_starts_after_the_cutoff(world: World) -> None:
    world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)", duration=3, cutoff=1)  # cutoff at 03:00
    target = world.target(window, role="web")
    on = [{"Key": "WindowTargetIds", "Values": [target]}]
    world.task(window, on, ["long"], priority=1)
    world.task(window, on, ["never"], priority=2)
    world.agents.script = lambda _n, _c: Finish(after=timedelta(hours=2, minutes=30))

    world.run_until(START + timedelta(hours=6))

    [task] = _task_executions(world, window)  # the second task never got a record
    assert task.status is S.SUCCESS  # CONTINUE_TASK: it ran to its end
    [execution] = world.executions(window)
    assert execution.status is S.TIMED_OUT
    assert "cutoff" in execution.status_details


def test_cancel_task_cancels_running_commands_at_the_cutoff(world: World) -> None:
    for i in range(3):
        world.node(f"n{i}", role="web")
    window = world.window("cron(0 1 * * ? *)", duration=2, cutoff=1)  # cutoff at 02:00
    target = world.target(window, role="web")
    world.task(
        window,
        [{"Key": "WindowTargetIds", "Values": [target]}],
        ["sleep"],
        max_concurrency="2",
        cutoff_behavior="CANCEL_TASK",
    )
    world.agents.script = lambda _n, _c: None  # runs until cancelled

    world.run_until(START + timedelta(hours=3))

    [task] = _task_executions(world, window)
    statuses = sorted(i.status for i in _invocations(world, task))
    assert statuses == [S.CANCELLED] * 3  # two cancelled running, one never started
    assert task.status is S.TIMED_OUT
    assert world.statuses(window) == [S.TIMED_OUT]
    assert not world.agents.running


def test_a_task_running_past_the_window_end_times_it_out(world: World) -> None:
    world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)", duration=1, cutoff=0)
    target = world.target(window, role="web")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], ["slow"])
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=90))

    world.run_until(START + timedelta(hours=4))

    [task] = _task_executions(world, window)
    assert [i.status for i in _invocations(world, task)] == [S.SUCCESS]  # never killed
    assert task.status is S.TIMED_OUT
    assert world.statuses(window) == [S.TIMED_OUT]


COMMANDS = [
    "echo {{WINDOW_ID}} {{WINDOW_EXECUTION_ID}} {{TASK_EXECUTION_ID}} {{INVOCATION_ID}}",
    "echo {{WINDOW_TARGET_ID}} {{TARGET_ID}} {{RESOURCE_ID}} {{UNKNOWN}}",
]


def test_pseudo_parameters_are_substituted_per_invocation(world: World) -> None:
    node = world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], COMMANDS)

    world.run_until(START + timedelta(hours=1, minutes=10))

    [task] = _task_executions(world, window)
    [invocation] = _invocations(world, task)
    sent = world.services.commands.view(invocation.execution_id).command.parameters["commands"]
    assert sent == [
        f"echo {window} {task.window_execution_id} {task.task_execution_id} "
        f"{invocation.invocation_id}",
        f"echo {target} {node} {node} {{{{UNKNOWN}}}}",
    ]
    request = json.loads(invocation.parameters)
    assert request["instanceIds"] == [node]
    assert request["documentName"] == "AWS-RunShellScript"
    assert request["parameters"]["commands"] == sent
    assert task.task_parameters == [
        {
            "commands": {"Values": COMMANDS},
            "aws:InstanceId": {"Values": [node]},
        }
    ]


def test_an_unregistered_node_named_by_a_task_fails_as_undeliverable(world: World) -> None:
    node = world.node("n")
    window = world.window("cron(0 1 * * ? *)")
    missing = "mi-0123456789abcdef0"
    world.task(
        window,
        [{"Key": "InstanceIds", "Values": [missing, node]}],
        ["true"],
        max_errors="1",
    )

    world.run_until(START + timedelta(hours=1, minutes=10))

    [task] = _task_executions(world, window)
    first, second = _invocations(world, task)
    assert (first.resource_id, first.status) == (missing, S.FAILED)
    assert first.status_details.startswith("Undeliverable")
    assert (second.resource_id, second.status) == (node, S.SUCCESS)
    assert task.status is S.FAILED


@pytest.mark.parametrize("task_type", [TaskType.AUTOMATION, TaskType.LAMBDA])
def test_a_task_type_without_an_executor_fails_with_a_clear_detail(
    world: World, task_type: TaskType
) -> None:
    window = world.window("cron(0 1 * * ? *)")
    world.stored_task(window, task_type, "SomeFunction")  # registration refuses it today

    world.run_until(START + timedelta(hours=1, minutes=10))

    [task] = _task_executions(world, window)
    [invocation] = _invocations(world, task)
    assert invocation.status is S.FAILED
    assert "no executor" in invocation.status_details
    assert task.status is S.FAILED


def test_a_window_without_tasks_succeeds_saying_so(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")

    world.run_until(START + timedelta(hours=1, minutes=1))

    [execution] = world.executions(window)
    assert (execution.status, execution.status_details) == (S.SUCCESS, "No tasks to execute.")


def test_a_task_without_matching_nodes_succeeds_with_no_invocations(world: World) -> None:
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="nobody")
    world.task(window, [{"Key": "WindowTargetIds", "Values": [target]}], ["x"])

    world.run_until(START + timedelta(hours=1, minutes=1))

    [task] = _task_executions(world, window)
    assert (task.status, _invocations(world, task)) == (S.SUCCESS, [])


def test_cancelling_lets_running_tasks_finish_and_starts_no_more(world: World) -> None:
    world.node("n", role="web")
    window = world.window("cron(0 1 * * ? *)")
    target = world.target(window, role="web")
    on = [{"Key": "WindowTargetIds", "Values": [target]}]
    world.task(window, on, ["first"], priority=1)
    world.task(window, on, ["second"], priority=2)
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=10))
    world.run_until(START + timedelta(hours=1, minutes=2))
    [execution] = world.executions(window)

    world.services.history.cancel(execution.window_execution_id)
    assert world.statuses(window) == [S.CANCELLING]
    world.run_until(START + timedelta(hours=1, minutes=30))

    [task] = _task_executions(world, window)
    assert task.status is S.SUCCESS
    assert world.statuses(window) == [S.CANCELLED]
    world.services.history.cancel(execution.window_execution_id)  # ended: unchanged
    assert world.statuses(window) == [S.CANCELLED]


def test_window_targets_of_one_task_run_one_after_another(world: World) -> None:
    a = world.node("a", role="a")
    b = world.node("b", role="b")
    window = world.window("cron(0 1 * * ? *)")
    targets = [world.target(window, role="a"), world.target(window, role="b")]
    world.task(window, [{"Key": "WindowTargetIds", "Values": targets}], ["x"])
    world.agents.script = lambda _n, _c: Finish(after=timedelta(minutes=5))

    world.run_until(START + timedelta(hours=1, minutes=30))

    started = {node: at for _, node, at in world.agents.started}
    assert started[b] >= started[a] + timedelta(minutes=5)
