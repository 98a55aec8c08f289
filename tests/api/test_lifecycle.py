"""The server process: restart keeps state, SIGTERM stops it cleanly, quotas are configurable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def _configure(ssm: Any) -> tuple[str, str, str]:
    window_id = ssm.create_maintenance_window(
        Name="survivor",
        Schedule="cron(0 4 ? * MON *)",
        ScheduleTimezone="Europe/Berlin",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
        Tags=[{"Key": "keep", "Value": "me"}],
    )["WindowId"]
    target = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=[{"Key": "tag:a", "Values": ["b"]}]
    )["WindowTargetId"]
    task = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
        MaxConcurrency="2",
        MaxErrors="1",
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["uptime"]}}},
    )["WindowTaskId"]
    return window_id, target, task


def _snapshot(ssm: Any, window_id: str) -> dict[str, Any]:
    def clean(response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    return {
        "window": clean(ssm.get_maintenance_window(WindowId=window_id)),
        "targets": clean(ssm.describe_maintenance_window_targets(WindowId=window_id)),
        "tasks": clean(ssm.describe_maintenance_window_tasks(WindowId=window_id)),
        "tags": clean(
            ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
        ),
    }


def test_a_restarted_server_keeps_everything(fresh_db: Database) -> None:
    first = ServerProcess(fresh_db).start()
    try:
        window_id, _, task = _configure(boto3_client(first.endpoint))
        before = _snapshot(boto3_client(first.endpoint), window_id)
    finally:
        assert first.stop() == 0
    assert any("transom server stopped" in line for line in first.log)
    second = ServerProcess(fresh_db).start()
    try:
        ssm = boto3_client(second.endpoint)
        assert _snapshot(ssm, window_id) == before
        assert ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task)[
            "TaskInvocationParameters"
        ] == {"RunCommand": {"Parameters": {"commands": ["uptime"]}}}
    finally:
        second.stop()


def test_a_killed_server_loses_no_acknowledged_write(fresh_db: Database) -> None:
    first = ServerProcess(fresh_db).start()
    window_id, _, _ = _configure(boto3_client(first.endpoint))
    first.kill()
    second = ServerProcess(fresh_db).start()
    try:
        assert (
            boto3_client(second.endpoint).get_maintenance_window(WindowId=window_id)["Name"]
            == "survivor"
        )
    finally:
        second.stop()


def test_quotas_are_configurable_and_answer_resource_limit_exceeded(fresh_db: Database) -> None:
    server = ServerProcess(
        fresh_db,
        ["--max-windows", "2", "--max-targets-per-window", "1", "--max-tasks-per-window", "1"],
    ).start()
    try:
        ssm = boto3_client(server.endpoint)
        window_id, _, _ = _configure(ssm)
        ssm.create_maintenance_window(
            Name="second",
            Schedule="rate(1 day)",
            Duration=1,
            Cutoff=0,
            AllowUnassociatedTargets=False,
        )
        attempts: list[Callable[[], Any]] = [
            lambda: ssm.create_maintenance_window(
                Name="third",
                Schedule="rate(1 day)",
                Duration=1,
                Cutoff=0,
                AllowUnassociatedTargets=False,
            ),
            lambda: ssm.register_target_with_maintenance_window(
                WindowId=window_id,
                ResourceType="INSTANCE",
                Targets=[{"Key": "tag:c", "Values": ["d"]}],
            ),
            lambda: ssm.register_task_with_maintenance_window(
                WindowId=window_id, TaskArn="AWS-RestartEC2Instance", TaskType="AUTOMATION"
            ),
        ]
        for attempt in attempts:
            with pytest.raises(ClientError) as error:
                attempt()
            assert error.value.response["Error"]["Code"] == "ResourceLimitExceededException"
        listed = ssm.describe_maintenance_windows()["WindowIdentities"]
        assert len(listed) == 2
    finally:
        server.stop()
