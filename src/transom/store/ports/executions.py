"""Execution history: window executions, their task executions and per-target task
invocations, and the retention that purges them.

Updates are typed records of the columns that change (keys are column names), so a misspelt
column fails the type checker, not a run."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict, TypeVar

from transom.domain.executions import (
    ExecutionStatus,
    PlannedTask,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.store.ports.paging import Page


@dataclass(frozen=True)
class WindowRun:
    """A window execution as a calendar draws it: when, and how it went."""

    window_execution_id: str
    window_id: str
    status: ExecutionStatus
    start_time: datetime
    window_end: datetime
    cutoff_at: datetime


class WindowExecutionUpdate(TypedDict, total=False):
    """The columns of a window execution that change after it is inserted."""

    status: ExecutionStatus
    status_details: str
    end_time: datetime | None
    plan: tuple[PlannedTask, ...]
    cancel_requested: bool
    wake_at: datetime | None


class TaskExecutionUpdate(TypedDict, total=False):
    """The columns of a task execution that change after it is inserted."""

    status: ExecutionStatus
    status_details: str
    end_time: datetime | None


class TaskInvocationUpdate(TypedDict, total=False):
    """The columns of a task invocation that change after it is inserted."""

    status: ExecutionStatus
    status_details: str
    parameters: str | None
    execution_id: str | None
    start_time: datetime | None
    end_time: datetime | None


U = TypeVar("U", WindowExecutionUpdate, TaskExecutionUpdate, TaskInvocationUpdate)
"""One of the typed updates: a record's expected and new values are of the same one."""
Change = tuple[str, U, U]
"""(record id, the values it must still have, the values to set)."""


class ExecutionPort(Protocol):
    # window executions
    def insert_window_executions(self, executions: Sequence[WindowExecution]) -> None:
        """In one statement (none: a no-op). Raises the database's integrity error when a
        window already has an execution for the same scheduled time."""

    def get_window_execution(self, window_execution_id: str) -> WindowExecution | None:
        """The execution, or None when there is none with this id."""

    def get_window_executions(self, ids: Collection[str]) -> list[WindowExecution]:
        """The executions with these ids that exist, in no particular order."""

    def set_window_executions(self, changes: Sequence[Change[WindowExecutionUpdate]]) -> int:
        """Compare-and-set many: each change applies if its record still has the values
        expected (None matching None); how many applied."""

    def update_window_execution(
        self,
        window_execution_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: WindowExecutionUpdate,
    ) -> bool:
        """Compare-and-set: set `values` if the status is in `from_statuses`; whether it did."""

    def list_window_executions(
        self,
        window_id: str | None,
        started_after: datetime | None,
        started_before: datetime | None,
        after: int | None,
        limit: int,
    ) -> Page[WindowExecution]:
        """The window's executions (every window's when `window_id` is None) started in the
        (inclusive) range, newest first, up to `limit` from position `after` (of a previous
        page)."""

    def window_runs_overlapping(
        self, window_id: str | None, start: datetime, end: datetime, limit: int
    ) -> list[WindowRun]:
        """The executions of existing windows (or only of `window_id`) that overlap
        [start, end) (started before `end`, window ending after `start`), by start time then
        window id: the first `limit`, read as a calendar draws them."""

    def latest_window_executions(self, window_ids: Collection[str]) -> dict[str, WindowExecution]:
        """The newest execution (last inserted) of each of these windows that has one, by
        window id."""

    def active_window_executions_of(self, window_ids: Collection[str]) -> list[WindowExecution]:
        """The PENDING, IN_PROGRESS or CANCELLING executions of these windows, in no
        particular order."""

    def active_window_executions(self) -> list[WindowExecution]:
        """The PENDING, IN_PROGRESS or CANCELLING executions of every window that exists, in
        no particular order (one read, whatever the number of windows)."""

    def active_window_execution(self, window_id: str) -> WindowExecution | None:
        """An execution of the window that is PENDING, IN_PROGRESS or CANCELLING, if any."""

    def due_window_executions(self, at: datetime, limit: int) -> list[str]:
        """Ids of up to `limit` executions whose `wake_at` is at or before `at`, most
        overdue first."""

    def next_window_execution_wake(self) -> datetime | None:
        """The earliest `wake_at` of all executions; None when none will wake."""

    def count_window_executions(self) -> dict[ExecutionStatus, int]:
        """The window executions kept, counted by status (statuses with none are absent)."""

    def wake_window_execution(self, window_execution_id: str, at: datetime) -> None:
        """Set the execution's `wake_at` to `at` unless it has ended (`wake_at` None). Always
        a write: a runner that loaded the execution before it then fails its compare-and-set."""

    def wake_window_executions(self, window_execution_ids: Collection[str], at: datetime) -> None:
        """`wake_window_execution` for each of these executions, in one statement (none: a
        no-op)."""

    # task executions
    def insert_task_executions(self, executions: Sequence[TaskExecution]) -> None:
        """In one statement (none: a no-op); one per (window execution, window task)."""

    def task_executions_of(self, window_execution_ids: Collection[str]) -> list[TaskExecution]:
        """Every task execution of these window executions, in start (insertion) order."""

    def list_task_executions(self, window_execution_id: str) -> list[TaskExecution]:
        """The window execution's task executions in start (insertion) order."""

    def set_task_executions(self, changes: Sequence[Change[TaskExecutionUpdate]]) -> int:
        """As `set_window_executions`, for task executions."""

    # task invocations
    def insert_task_invocations(self, invocations: Sequence[TaskInvocation]) -> None:
        """In one statement (none: a no-op); `seq` is unique within a task execution."""

    def task_invocations_of(self, window_execution_ids: Collection[str]) -> list[TaskInvocation]:
        """Every invocation of these window executions, in `seq` order within a task."""

    def list_task_invocations(self, task_execution_id: str) -> list[TaskInvocation]:
        """The task execution's invocations in `seq` order."""

    def set_task_invocations(self, changes: Sequence[Change[TaskInvocationUpdate]]) -> int:
        """As `set_window_executions`, for task invocations."""

    # retention
    def purge_history(self, ended_before: datetime) -> int:
        """Delete window executions that ended before the instant (with their task executions
        and invocations) and commands requested before it whose invocations are all final
        (with them); how many executions and commands went."""
