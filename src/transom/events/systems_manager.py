"""The `aws.ssm` events of maintenance windows and Run Command, with the detail types and
detail fields of AWS's page "Amazon EventBridge event examples for Systems Manager".

Each builder takes the record as it stands after the change and the change's instant. A
detail field whose value is not known yet (an end time before the end) is left out.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from transom.domain.commands import Command, CommandStatus, Invocation
from transom.domain.events import AWS_SSM, Event, Realm
from transom.domain.executions import TaskExecution, TaskInvocation, WindowExecution
from transom.domain.ids import new_uuid

WINDOW_STATE = "Maintenance Window State-change Notification"
TARGET_REGISTRATION = "Maintenance Window Target Registration Notification"
TASK_REGISTRATION = "Maintenance Window Task Registration Notification"
WINDOW_EXECUTION = "Maintenance Window Execution State-change Notification"
TASK_EXECUTION = "Maintenance Window Task Execution State-change Notification"
TASK_INVOCATION = "Maintenance Window Task Target Invocation State-change Notification"
COMMAND = "EC2 Command Status-change Notification"
COMMAND_INVOCATION = "EC2 Command Invocation Status-change Notification"


@functools.lru_cache(maxsize=256)
def instant(at: datetime) -> str:
    """A detail's date-time, as AWS writes them: UTC to the millisecond, `Z`. Remembered for
    the last instants given: a batch's events share a few (their command's request, now)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def window_arn(realm: Realm, window_id: str) -> str:
    return realm.arn("ssm", f"maintenancewindow/{window_id}")


def instance_arn(realm: Realm, instance_id: str) -> str:
    """The node's ARN in Run Command events (AWS writes EC2 instance ARNs there)."""
    return realm.arn("ec2", f"instance/{instance_id}")


def new_event(
    at: datetime,
    source: str,
    detail_type: str,
    resources: Iterable[str],
    detail: Mapping[str, Any],
) -> Event:
    """An event with a new random id; detail members whose value is None are left out."""
    return Event(
        event_id=new_uuid(),
        time=at,
        source=source,
        detail_type=detail_type,
        resources=tuple(resources),
        detail={k: v for k, v in detail.items() if v is not None},
    )


def _times(start: datetime | None, end: datetime | None) -> dict[str, str | None]:
    return {
        "start-time": None if start is None else instant(start),
        "end-time": None if end is None else instant(end),
    }


# maintenance windows
def window_state(realm: Realm, window_id: str, enabled: bool, at: datetime) -> Event:
    """The window is now enabled or disabled (created, updated, or deleted while enabled)."""
    return new_event(
        at,
        AWS_SSM,
        WINDOW_STATE,
        [window_arn(realm, window_id)],
        {"window-id": window_id, "status": "ENABLED" if enabled else "DISABLED"},
    )


def target_registration(
    realm: Realm, window_id: str, window_target_id: str, registered: bool, at: datetime
) -> Event:
    return new_event(
        at,
        AWS_SSM,
        TARGET_REGISTRATION,
        [window_arn(realm, window_id), realm.arn("ssm", f"windowtarget/{window_target_id}")],
        {
            "window-target-id": window_target_id,
            "window-id": window_id,
            "status": "REGISTERED" if registered else "DEREGISTERED",
        },
    )


def task_registration(
    realm: Realm, window_id: str, window_task_id: str, registered: bool, at: datetime
) -> Event:
    """A task registered or deregistered. AWS lists this detail type among the maintenance
    window events without an example; Transom shapes it after the target registration one,
    with `window-task-id` in place of `window-target-id`."""
    return new_event(
        at,
        AWS_SSM,
        TASK_REGISTRATION,
        [window_arn(realm, window_id), realm.arn("ssm", f"windowtask/{window_task_id}")],
        {
            "window-task-id": window_task_id,
            "window-id": window_id,
            "status": "REGISTERED" if registered else "DEREGISTERED",
        },
    )


def window_execution(realm: Realm, execution: WindowExecution, at: datetime) -> Event:
    return new_event(
        at,
        AWS_SSM,
        WINDOW_EXECUTION,
        [window_arn(realm, execution.window_id)],
        {
            **_times(execution.start_time, execution.end_time),
            "window-id": execution.window_id,
            "window-execution-id": execution.window_execution_id,
            "status": str(execution.status),
        },
    )


def task_execution(realm: Realm, window_id: str, task: TaskExecution, at: datetime) -> Event:
    return new_event(
        at,
        AWS_SSM,
        TASK_EXECUTION,
        [window_arn(realm, window_id)],
        {
            "start-time": instant(task.start_time),
            "task-execution-id": task.task_execution_id,
            "end-time": None if task.end_time is None else instant(task.end_time),
            "window-id": window_id,
            "window-execution-id": task.window_execution_id,
            "status": str(task.status),
        },
    )


def task_invocation(
    realm: Realm, window_id: str, invocation: TaskInvocation, at: datetime
) -> Event:
    return new_event(
        at,
        AWS_SSM,
        TASK_INVOCATION,
        [window_arn(realm, window_id)],
        {
            **_times(invocation.start_time, invocation.end_time),
            "window-id": window_id,
            "window-execution-id": invocation.window_execution_id,
            "task-execution-id": invocation.task_execution_id,
            "window-target-id": invocation.window_target_id,
            "status": str(invocation.status),
            "owner-information": invocation.owner_information,
        },
    )


# Run Command
def command_status(realm: Realm, command: Command, status: CommandStatus, at: datetime) -> Event:
    """The command's Status is now `status` (Run Command's spelling: Pending, InProgress,
    Success, ...)."""
    return new_event(
        at,
        AWS_SSM,
        COMMAND,
        [instance_arn(realm, i) for i in command.instance_ids],
        {
            "command-id": command.command_id,
            "document-name": command.document_name,
            "expire-after": instant(command.expires_after),
            "parameters": command.parameters,
            "requested-date-time": instant(command.requested_date),
            "status": str(status),
        },
    )


def invocation_status(
    realm: Realm, command: Command, instance_id: str, status: CommandStatus, at: datetime
) -> Event:
    """The command's invocation on the node has the Status `status` now."""
    return new_event(
        at,
        AWS_SSM,
        COMMAND_INVOCATION,
        [instance_arn(realm, instance_id)],
        {
            "command-id": command.command_id,
            "document-name": command.document_name,
            "instance-id": instance_id,
            "requested-date-time": instant(command.requested_date),
            "status": str(status),
        },
    )


def command_sent(realm: Realm, command: Command, invocations: Iterable[Invocation]) -> list[Event]:
    """A new command's events: the command's status and each invocation's, as sent."""
    at = command.requested_date
    return [
        command_status(realm, command, command.status, at),
        *(invocation_status(realm, command, i.instance_id, i.status, at) for i in invocations),
    ]
