"""Maintenance windows made through the API for tests: a window whose one target is the nodes
of one tag, and RUN_COMMAND tasks on that target with whatever members a test needs."""

from __future__ import annotations

from typing import Any


def tagged_window(
    ssm: Any,
    name: str,
    schedule: str,
    tag: tuple[str, str],
    *,
    duration: int = 1,
    cutoff: int = 0,
    **target: Any,
) -> tuple[str, str]:
    """Create a window on `schedule` whose one target is the nodes tagged `tag` (key, value),
    with the `target`'s extra members (such as OwnerInformation); return the window's id and
    the target's."""
    window = str(
        ssm.create_maintenance_window(
            Name=name,
            Schedule=schedule,
            Duration=duration,
            Cutoff=cutoff,
            AllowUnassociatedTargets=False,
        )["WindowId"]
    )
    key, value = tag
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window,
        ResourceType="INSTANCE",
        Targets=[{"Key": f"tag:{key}", "Values": [value]}],
        **target,
    )["WindowTargetId"]
    return window, str(target_id)


def run_command_task(ssm: Any, window: str, target: str, **task: Any) -> str:
    """Register a RUN_COMMAND task on the window's `target` with the `task`'s members
    (TaskArn AWS-RunShellScript unless given; MaxConcurrency, MaxErrors, Priority,
    ServiceRoleArn, TaskInvocationParameters, ... as given); return its id."""
    return str(
        ssm.register_task_with_maintenance_window(
            WindowId=window,
            TaskType="RUN_COMMAND",
            Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
            TaskArn=task.pop("TaskArn", "AWS-RunShellScript"),
            **task,
        )["WindowTaskId"]
    )


def window_with_task(
    ssm: Any,
    name: str,
    schedule: str,
    tag: tuple[str, str],
    *,
    target: dict[str, Any] | None = None,
    **task: Any,
) -> tuple[str, str]:
    """A `tagged_window` (with the `target`'s extra members) with one `run_command_task` of
    the `task`'s members; the window's id and the target's."""
    window, target_id = tagged_window(ssm, name, schedule, tag, **(target or {}))
    run_command_task(ssm, window, target_id, **task)
    return window, target_id
