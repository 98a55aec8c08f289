"""A maintenance window with one shell task on the nodes of one tag, made through the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def shell_window(
    ssm: Any,
    schedule: str,
    tag: tuple[str, str],
    commands: Sequence[str],
    *,
    name: str = "shell",
    duration: int = 1,
    cutoff: int = 0,
    max_concurrency: str = "1",
    max_errors: str = "0",
) -> str:
    """Create a window on `schedule` whose one target is the nodes tagged `tag` (key, value)
    and whose one task runs `commands` there with AWS-RunShellScript; return its id."""
    window_id = str(
        ssm.create_maintenance_window(
            Name=name,
            Schedule=schedule,
            Duration=duration,
            Cutoff=cutoff,
            AllowUnassociatedTargets=False,
        )["WindowId"]
    )
    key, value = tag
    target = ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        ResourceType="INSTANCE",
        Targets=[{"Key": f"tag:{key}", "Values": [value]}],
    )["WindowTargetId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": list(commands)}}},
        MaxConcurrency=max_concurrency,
        MaxErrors=max_errors,
    )
    return window_id
