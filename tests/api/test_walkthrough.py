"""The seed walkthrough (the AWS blog post), run as written with the real `aws` CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import AwsCli
from tests.support.servers import ServerProcess


def test_the_blog_walkthrough_configures_a_window_that_reads_back_field_for_field(
    server: ServerProcess, tmp_path: Path
) -> None:
    aws = AwsCli(server.endpoint, tmp_path)
    window_id = aws(
        "create-maintenance-window",
        "--name",
        "Every-Tuesday",
        "--schedule",
        "cron(0 16 ? * TUE *)",
        "--duration",
        "4",
        "--cutoff",
        "1",
        "--no-allow-unassociated-targets",
    )["WindowId"]

    tag_target = aws(
        "register-target-with-maintenance-window",
        "--window-id",
        window_id,
        "--targets",
        "Key=tag:Project,Values=Website",
        "--owner-information",
        "Website instances",
        "--resource-type",
        "INSTANCE",
    )["WindowTargetId"]
    id_target = aws(
        "register-target-with-maintenance-window",
        "--window-id",
        window_id,
        "--targets",
        "Key=InstanceIds,Values=i-0123456,i-789abcd",
        "--owner-information",
        "Database servers",
        "--resource-type",
        "INSTANCE",
    )["WindowTargetId"]

    common = [
        "--task-arn",
        "AWS-RunPowerShellScript",
        "--service-role-arn",
        "arn:aws:iam::123456789012:role/mw-task-role",
        "--task-type",
        "RUN_COMMAND",
        "--task-parameters",
        '{"commands":{"Values":["ipconfig.exe"]}}',
        "--max-concurrency",
        "1",
        "--max-errors",
        "1",
        "--priority",
        "1",
    ]
    target_task = aws(
        "register-task-with-maintenance-window",
        "--window-id",
        window_id,
        "--targets",
        f"Key=WindowTargetIds,Values={tag_target}",
        *common,
    )["WindowTaskId"]
    instance_task = aws(
        "register-task-with-maintenance-window",
        "--window-id",
        window_id,
        "--targets",
        "Key= InstanceIds,Values=i-0123456,i-789abcd",
        *common,
    )["WindowTaskId"]

    window = aws("get-maintenance-window", "--window-id", window_id)
    created, modified = window.pop("CreatedDate"), window.pop("ModifiedDate")
    assert isinstance(created, float)
    assert created == modified
    assert window.pop("NextExecutionTime").endswith("T16:00Z")
    assert window == {
        "WindowId": window_id,
        "Name": "Every-Tuesday",
        "Schedule": "cron(0 16 ? * TUE *)",
        "Duration": 4,
        "Cutoff": 1,
        "AllowUnassociatedTargets": False,
        "Enabled": True,
    }

    targets = aws("describe-maintenance-window-targets", "--window-id", window_id)["Targets"]
    assert targets == [
        {
            "WindowId": window_id,
            "WindowTargetId": tag_target,
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "tag:Project", "Values": ["Website"]}],
            "OwnerInformation": "Website instances",
        },
        {
            "WindowId": window_id,
            "WindowTargetId": id_target,
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456", "i-789abcd"]}],
            "OwnerInformation": "Database servers",
        },
    ]

    def expected_task(task_id: str, targets: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "WindowId": window_id,
            "WindowTaskId": task_id,
            "TaskArn": "AWS-RunPowerShellScript",
            "Targets": targets,
            "ServiceRoleArn": "arn:aws:iam::123456789012:role/mw-task-role",
            "TaskParameters": {"commands": {"Values": ["ipconfig.exe"]}},
            "Priority": 1,
            "MaxConcurrency": "1",
            "MaxErrors": "1",
            "CutoffBehavior": "CONTINUE_TASK",
        }

    by_target = expected_task(target_task, [{"Key": "WindowTargetIds", "Values": [tag_target]}])
    by_instance = expected_task(
        instance_task, [{"Key": "InstanceIds", "Values": ["i-0123456", "i-789abcd"]}]
    )
    got = aws(
        "get-maintenance-window-task", "--window-id", window_id, "--window-task-id", target_task
    )
    assert got == by_target | {"TaskType": "RUN_COMMAND"}
    tasks = aws("describe-maintenance-window-tasks", "--window-id", window_id)["Tasks"]
    assert tasks == [by_target | {"Type": "RUN_COMMAND"}, by_instance | {"Type": "RUN_COMMAND"}]
    listed = aws("describe-maintenance-windows", "--filters", "Key=Name,Values=Every-Tuesday")
    assert window_id in json.dumps(listed["WindowIdentities"])
