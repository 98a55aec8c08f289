"""Maintenance windows run by the server's engine on real agents, seen through the history API
with boto3 and the `aws` CLI, and across a kill -9 of the server mid-window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess
from tests.support.cli import AwsCli
from tests.support.nodes import activation
from tests.support.schedules import at_in
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client, free_port
from tests.support.waiting import wait_for
from tests.support.window_tasks import window_with_task as fleet_window_with_task

ENDED = ("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING")


def window_with_task(ssm: Any, marker: str, commands: list[str], **task: Any) -> str:
    """A window due in a few seconds whose one task runs `commands` on the nodes tagged
    Fleet=marker, one at a time, stopping after more than one error (the seed's settings)."""
    window, _ = fleet_window_with_task(
        ssm,
        f"e2e-{marker}",
        at_in(3),
        ("Fleet", marker),
        target={"OwnerInformation": "Database servers"},
        ServiceRoleArn="arn:aws:iam::123456789012:role/mw-task-role",
        TaskParameters={"commands": {"Values": commands}},
        MaxConcurrency=task.pop("MaxConcurrency", "1"),
        MaxErrors=task.pop("MaxErrors", "1"),
        Priority=1,
        **task,
    )
    return window


def ended_execution(ssm: Any, window: str, seconds: float = 60) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        found = ssm.describe_maintenance_window_executions(WindowId=window)["WindowExecutions"]
        return found[0] if found and found[0]["Status"] in ENDED else None

    return dict(wait_for(ended, seconds, what=f"an execution of {window} to end"))


def test_the_seed_scenario_stops_after_one_error_and_shows_each_commands_output(
    ssm: Any, fleet: tuple[str, list[AgentProcess]], server: ServerProcess, tmp_path: Path
) -> None:
    marker, agents = fleet
    for agent in agents[:2]:
        (agent.state_dir / "fail").touch()
    window = window_with_task(
        ssm,
        marker,
        ["if [ -e ../../fail ]; then echo broken; exit 3; fi", "echo fine on {{TARGET_ID}}"],
    )

    execution = ended_execution(ssm, window)

    assert execution["Status"] == "FAILED"
    aws = AwsCli(server.endpoint, tmp_path)
    executions = aws("describe-maintenance-window-executions", "--window-id", window)
    assert [e["WindowExecutionId"] for e in executions["WindowExecutions"]] == [
        execution["WindowExecutionId"]
    ]
    tasks = aws(
        "describe-maintenance-window-execution-tasks",
        "--window-execution-id",
        execution["WindowExecutionId"],
    )["WindowExecutionTaskIdentities"]
    assert [(t["TaskArn"], t["TaskType"], t["Status"]) for t in tasks] == [
        ("AWS-RunShellScript", "RUN_COMMAND", "FAILED")
    ]
    invocations = aws(
        "describe-maintenance-window-execution-task-invocations",
        "--window-execution-id",
        execution["WindowExecutionId"],
        "--task-id",
        tasks[0]["TaskExecutionId"],
    )["WindowExecutionTaskInvocationIdentities"]
    # one at a time; the second error passes MaxErrors 1, so the third never starts
    assert [i["Status"] for i in invocations] == ["FAILED", "FAILED", "CANCELLED"]
    assert {i["OwnerInformation"] for i in invocations} == {"Database servers"}
    for invocation, agent in zip(invocations[:2], agents, strict=False):
        request = json.loads(invocation["Parameters"])
        assert request["instanceIds"] == [agent.instance_id]
        [command] = aws("list-commands", "--command-id", invocation["ExecutionId"])["Commands"]
        assert (command["Status"], command["DocumentName"]) == ("Failed", "AWS-RunShellScript")
        output = ssm.get_command_invocation(
            CommandId=invocation["ExecutionId"], InstanceId=agent.instance_id
        )
        assert (output["StandardOutputContent"], output["ResponseCode"]) == ("broken\n", 3)
    assert "ExecutionId" not in invocations[2]
    cancelled = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution["WindowExecutionId"],
        TaskId=tasks[0]["TaskExecutionId"],
        Filters=[{"Key": "STATUS", "Values": ["CANCELLED"]}],
    )["WindowExecutionTaskInvocationIdentities"]
    got = ssm.get_maintenance_window_execution_task_invocation(
        WindowExecutionId=execution["WindowExecutionId"],
        TaskId=tasks[0]["TaskExecutionId"],
        InvocationId=invocations[2]["InvocationId"],
    )
    del got["ResponseMetadata"]
    assert cancelled == [got]


def test_a_window_runs_on_every_host_and_substitutes_pseudo_parameters(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    marker, agents = fleet
    window = window_with_task(
        ssm, marker, ["echo {{WINDOW_ID}} {{RESOURCE_ID}}"], MaxConcurrency="100%"
    )

    execution = ended_execution(ssm, window)

    assert execution["Status"] == "SUCCESS"
    got = ssm.get_maintenance_window_execution(WindowExecutionId=execution["WindowExecutionId"])
    [task_id] = got["TaskIds"]
    task = ssm.get_maintenance_window_execution_task(
        WindowExecutionId=execution["WindowExecutionId"], TaskId=task_id
    )
    assert sorted(task["TaskParameters"][0]["aws:InstanceId"]["Values"]) == sorted(
        a.instance_id for a in agents
    )
    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution["WindowExecutionId"], TaskId=task_id
    )["WindowExecutionTaskInvocationIdentities"]
    for invocation in invocations:
        node = json.loads(invocation["Parameters"])["instanceIds"][0]
        output = ssm.get_command_invocation(CommandId=invocation["ExecutionId"], InstanceId=node)
        assert output["StandardOutputContent"] == f"{window} {node}\n"


def test_cancelling_a_running_window_lets_the_running_task_finish_and_starts_no_more(
    ssm: Any, fleet: tuple[str, list[AgentProcess]], tmp_path: Path
) -> None:
    marker, _ = fleet
    started = tmp_path / "started"
    window = window_with_task(
        ssm, marker, [f"touch {started}", "sleep 2", "echo done"], MaxConcurrency="100%"
    )
    ssm.register_task_with_maintenance_window(
        WindowId=window,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=ssm.describe_maintenance_window_tasks(WindowId=window)["Tasks"][0]["Targets"],
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["echo never"]}}},
        MaxConcurrency="1",
        MaxErrors="0",
        Priority=2,
    )
    wait_for(started.exists, seconds=30, what="the first task to start")
    [running] = ssm.describe_maintenance_window_executions(WindowId=window)["WindowExecutions"]
    ssm.cancel_maintenance_window_execution(WindowExecutionId=running["WindowExecutionId"])
    assert ssm.get_maintenance_window_execution(WindowExecutionId=running["WindowExecutionId"])[
        "Status"
    ] in ("CANCELLING", "CANCELLED")

    execution = ended_execution(ssm, window)

    assert execution["Status"] == "CANCELLED"
    [task] = ssm.describe_maintenance_window_execution_tasks(
        WindowExecutionId=execution["WindowExecutionId"]
    )["WindowExecutionTaskIdentities"]
    assert task["Status"] == "SUCCESS"  # the running task finished; the second never started


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_window_survives_a_kill_of_the_server_and_runs_nothing_twice(
    fresh_db: Database, tmp_path: Path
) -> None:
    port = ["--port", str(free_port())]
    server = ServerProcess(fresh_db, port).start()
    ssm = boto3_client(server.endpoint)
    activation_id, code = activation(
        ssm, RegistrationLimit=3, Tags=[{"Key": "Fleet", "Value": "kill"}]
    )
    agents = [
        AgentProcess.register(server.endpoint, activation_id, code, tmp_path / f"agent{i}")
        for i in range(3)
    ]
    runs = tmp_path / "runs"
    try:
        for agent in agents:
            agent.start()
        window = window_with_task(
            ssm, "kill", [f"echo {{{{RESOURCE_ID}}}} >> {runs}", "sleep 2", "echo done"]
        )

        def second_host() -> str | None:
            started = runs.read_text().split() if runs.exists() else []
            return started[1] if len(started) > 1 else None

        second = wait_for(second_host, seconds=60, what="the second host to start")
        server.kill()  # kill -9 in the middle of the window
        [spooled] = [a.state_dir / "spool" / "results" for a in agents if a.instance_id == second]
        wait_for(
            lambda: list(spooled.glob("*.json")),
            what="the second host's script to end while no server listens",
        )
        server = ServerProcess(fresh_db, port).start()
        ssm = boto3_client(server.endpoint)

        execution = ended_execution(ssm, window, seconds=90)

        assert execution["Status"] == "SUCCESS"
        assert sorted(runs.read_text().split()) == sorted(a.instance_id for a in agents)
        [task] = ssm.describe_maintenance_window_execution_tasks(
            WindowExecutionId=execution["WindowExecutionId"]
        )["WindowExecutionTaskIdentities"]
        invocations = ssm.describe_maintenance_window_execution_task_invocations(
            WindowExecutionId=execution["WindowExecutionId"], TaskId=task["TaskExecutionId"]
        )["WindowExecutionTaskInvocationIdentities"]
        assert [i["Status"] for i in invocations] == ["SUCCESS"] * 3
        commands = ssm.list_commands()["Commands"]
        assert len(commands) == 3  # one per host, none sent twice
    finally:
        for agent in agents:
            agent.kill()
        server.kill()


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_two_replicas_on_one_database_run_each_window_once(
    fresh_db: Database, tmp_path: Path
) -> None:
    replicas = [ServerProcess(fresh_db).start() for _ in range(2)]
    ssm = boto3_client(replicas[0].endpoint)
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": "replicas"}])
    agent = AgentProcess.register(replicas[1].endpoint, activation_id, code, tmp_path / "agent")
    runs = tmp_path / "runs"
    try:
        agent.start()
        windows = [
            window_with_task(ssm, "replicas", [f"echo {i} >> {runs}"], MaxConcurrency="1")
            for i in range(5)
        ]
        for window in windows:
            assert ended_execution(ssm, window)["Status"] == "SUCCESS"
        # A scheduler starts a window only from its due cursor, and makes one only for a window
        # changed since its last: with every cursor spent, no replica can start these again.
        store = fresh_db.open_store()
        try:
            with store.read() as tx:
                startable = {w for w, _ in tx.due_cursors(datetime(9999, 1, 1, tzinfo=UTC))}
                startable |= set(tx.unsynced_windows())
        finally:
            store.close()
        assert not startable & set(windows)

        for window in windows:
            assert (
                len(ssm.describe_maintenance_window_executions(WindowId=window)["WindowExecutions"])
                == 1
            )
        assert sorted(runs.read_text().split()) == [str(i) for i in range(5)]
        assert len(ssm.list_commands()["Commands"]) == 5
    finally:
        agent.kill()
        for replica in replicas:
            replica.kill()
