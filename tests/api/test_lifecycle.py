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


def _snapshot(ssm: Any, window_id: str, task_id: str) -> dict[str, Any]:
    """Everything the API returns about the window and what was registered with it."""

    def clean(response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    return {
        "window": clean(ssm.get_maintenance_window(WindowId=window_id)),
        "targets": clean(ssm.describe_maintenance_window_targets(WindowId=window_id)),
        "tasks": clean(ssm.describe_maintenance_window_tasks(WindowId=window_id)),
        "task": clean(ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task_id)),
        "tags": clean(
            ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
        ),
    }


def _assert_holds_what_was_written(
    snapshot: dict[str, Any], window_id: str, target_id: str, task_id: str
) -> None:
    """`snapshot` shows each of `_configure`'s writes with every value it sent."""
    window = snapshot["window"]
    assert {k: window[k] for k in window if k not in ("CreatedDate", "ModifiedDate")} == {
        "WindowId": window_id,
        "Name": "survivor",
        "Schedule": "cron(0 4 ? * MON *)",
        "ScheduleTimezone": "Europe/Berlin",
        "Duration": 2,
        "Cutoff": 1,
        "AllowUnassociatedTargets": False,
        "Enabled": True,
        "NextExecutionTime": window["NextExecutionTime"],
    }
    assert window["CreatedDate"] <= window["ModifiedDate"]
    targets = [{"Key": "tag:a", "Values": ["b"]}]
    assert snapshot["targets"]["Targets"] == [
        {
            "WindowId": window_id,
            "WindowTargetId": target_id,
            "ResourceType": "INSTANCE",
            "Targets": targets,
        }
    ]
    task_targets = [{"Key": "WindowTargetIds", "Values": [target_id]}]
    common = {
        "WindowId": window_id,
        "WindowTaskId": task_id,
        "TaskArn": "AWS-RunShellScript",
        "Targets": task_targets,
        "MaxConcurrency": "2",
        "MaxErrors": "1",
    }
    [listed] = snapshot["tasks"]["Tasks"]
    assert {k: listed[k] for k in common} == common
    assert listed["Type"] == snapshot["task"]["TaskType"] == "RUN_COMMAND"
    assert {k: snapshot["task"][k] for k in common} == common
    assert snapshot["task"]["TaskInvocationParameters"] == {
        "RunCommand": {"Parameters": {"commands": ["uptime"]}}
    }
    assert snapshot["tags"]["TagList"] == [{"Key": "keep", "Value": "me"}]


def test_a_restarted_server_keeps_every_field_of_a_configured_window(fresh_db: Database) -> None:
    first = ServerProcess(fresh_db).start()
    try:
        window_id, target, task = _configure(boto3_client(first.endpoint))
        before = _snapshot(boto3_client(first.endpoint), window_id, task)
    finally:
        assert first.stop() == 0
    assert any("server stopped" in line for line in first.log)
    second = ServerProcess(fresh_db).start()
    try:
        after = _snapshot(boto3_client(second.endpoint), window_id, task)
    finally:
        second.stop()
    assert after == before
    _assert_holds_what_was_written(after, window_id, target, task)


def test_a_killed_server_keeps_every_write_it_acknowledged_whole(fresh_db: Database) -> None:
    first = ServerProcess(fresh_db).start()
    try:
        ssm = boto3_client(first.endpoint)
        window_id, target, task = _configure(ssm)
        acknowledged = _snapshot(ssm, window_id, task)
    finally:
        first.kill()
    second = ServerProcess(fresh_db).start()
    try:
        after = _snapshot(boto3_client(second.endpoint), window_id, task)
    finally:
        second.stop()
    assert after == acknowledged
    _assert_holds_what_was_written(after, window_id, target, task)


def test_quotas_are_configurable_and_answer_resource_limit_exceeded(fresh_db: Database) -> None:
    server = ServerProcess(
        fresh_db,
        ["--max-windows", "2", "--max-targets-per-window", "1", "--max-tasks-per-window", "1"],
    ).start()
    try:
        ssm = boto3_client(server.endpoint)
        window_id, target, _ = _configure(ssm)
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
                WindowId=window_id,
                TaskArn="AWS-RunShellScript",
                TaskType="RUN_COMMAND",
                Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
                MaxConcurrency="1",
                MaxErrors="0",
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
