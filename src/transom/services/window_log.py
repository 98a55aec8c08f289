"""The log lines of window executions: one when an execution starts, one when it ends.

The service that makes the change (the scheduler, which records executions; the runner,
which ends them) writes the line once its transaction has committed, so each line is written
once, by the replica that made the change. Fields: `window_id`, `execution_id`, `status`,
and `tasks` (how many: planned when it starts, run when it ends); an ended line adds
`invocations` (how many), `task_statuses` and `invocation_statuses` (counts by status),
`duration_seconds` and `details` (its status details). A line never holds task parameters.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from transom.domain.executions import ACTIVE, ExecutionStatus, WindowExecution

log = logging.getLogger(__name__)
_WARN = frozenset({ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT})
"""Ends logged as warnings; every other line is info."""


def recorded(executions: Iterable[WindowExecution]) -> None:
    """Log executions just recorded: started, or ended at once (a missed occurrence, one
    skipped while another ran), then with no tasks."""
    for execution in executions:
        if execution.status in ACTIVE:
            started(execution)
        else:
            ended(execution, [], [])


def started(execution: WindowExecution) -> None:
    fields = _identity(execution) | {"tasks": len(execution.plan)}
    if execution.scheduled_time is not None:
        fields["scheduled_time"] = execution.scheduled_time
    log.info("window execution started", extra=fields)


def ended(
    execution: WindowExecution,
    tasks: Sequence[ExecutionStatus],
    invocations: Sequence[ExecutionStatus],
) -> None:
    """Log the end of `execution`, whose task executions and their invocations ended with
    these statuses."""
    fields = _identity(execution) | {
        "tasks": len(tasks),
        "invocations": len(invocations),
        "task_statuses": dict(Counter(str(s) for s in tasks)),
        "invocation_statuses": dict(Counter(str(s) for s in invocations)),
    }
    if execution.end_time is not None:
        seconds = (execution.end_time - execution.start_time).total_seconds()
        fields["duration_seconds"] = round(seconds, 3)
    if execution.status_details:
        fields["details"] = execution.status_details
    level = logging.WARNING if execution.status in _WARN else logging.INFO
    log.log(level, "window execution ended", extra=fields)


def _identity(execution: WindowExecution) -> dict[str, Any]:
    return {
        "window_id": execution.window_id,
        "execution_id": execution.window_execution_id,
        "status": str(execution.status),
    }
