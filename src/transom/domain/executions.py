"""Window runs as history records: a window execution, its task executions, and their
per-target invocations, with the status model of SPEC.md §d.8."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ExecutionStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    SKIPPED_OVERLAPPING = "SKIPPED_OVERLAPPING"


ACTIVE = frozenset(
    {ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING}
)
"""Statuses of a record that may still change."""

ERRORS = frozenset({ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT})
"""Invocation outcomes that count toward a task's MaxErrors."""


@dataclass(frozen=True)
class PlannedTask:
    """A task as it stood when its window execution began: what will run, in which group."""

    window_task_id: str
    priority: int


@dataclass(frozen=True)
class WindowExecution:
    """One run of a window. `scheduled_time` is the occurrence it runs for (None when started
    by hand); `plan` the tasks it will run; `wake_at` when the runner must look at it next
    (None once it has ended)."""

    window_execution_id: str
    window_id: str
    status: ExecutionStatus
    status_details: str
    start_time: datetime
    end_time: datetime | None
    scheduled_time: datetime | None
    window_end: datetime
    cutoff_at: datetime
    plan: tuple[PlannedTask, ...]
    cancel_requested: bool = False
    wake_at: datetime | None = None


@dataclass(frozen=True)
class TaskExecution:
    """One task of a window execution, its configuration snapshotted when it started.

    `invocation_parameters` is the effective TaskInvocationParameters document (wire form);
    `task_parameters` the list shown by GetMaintenanceWindowExecutionTask."""

    task_execution_id: str
    window_execution_id: str
    window_task_id: str
    task_arn: str
    task_type: str
    priority: int
    service_role_arn: str | None
    max_concurrency: str
    max_errors: str
    cutoff_behavior: str
    invocation_parameters: dict[str, Any]
    task_parameters: list[dict[str, Any]]
    status: ExecutionStatus
    status_details: str
    start_time: datetime
    end_time: datetime | None = None


@dataclass(frozen=True)
class TaskInvocation:
    """One target of a task execution. `batch` is the window target's position (targets run
    one batch after another); `execution_id` the Run Command command id once launched, and
    `parameters` the JSON of the request that launched it."""

    invocation_id: str
    task_execution_id: str
    window_execution_id: str
    seq: int
    batch: int
    window_target_id: str | None
    owner_information: str | None
    resource_id: str | None
    status: ExecutionStatus
    status_details: str
    parameters: str | None = None
    execution_id: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
