"""Window execution history (SPEC.md §b.17-b.23): reads, cancellation, and retention."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.errors import DoesNotExistError
from transom.domain.events import Realm
from transom.domain.executions import (
    ACTIVE,
    ExecutionStatus,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.events import systems_manager as ssm_events
from transom.store.port import Store, Transaction
from transom.store.ports.changes import Change
from transom.store.ports.paging import Page


def _require(tx: Transaction, window_execution_id: str) -> WindowExecution:
    execution = tx.get_window_execution(window_execution_id)
    if execution is None:
        raise DoesNotExistError(
            f"Window execution {window_execution_id} does not exist (or its history was "
            "purged after the retention period)."
        )
    return execution


def _require_task(tx: Transaction, window_execution_id: str, task_id: str) -> TaskExecution:
    _require(tx, window_execution_id)
    for task in tx.list_task_executions(window_execution_id):
        if task.task_execution_id == task_id:
            return task
    raise DoesNotExistError(
        f"Task execution {task_id} does not exist in window execution {window_execution_id}."
    )


class HistoryService:
    def __init__(self, store: Store, clock: Clock, retention: timedelta, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._retention = retention
        self._realm = realm

    def executions(
        self,
        window_id: str,
        after: datetime | None = None,
        before: datetime | None = None,
        position: int | None = None,
        limit: int = 100,
    ) -> Page[WindowExecution]:
        """The window's executions started in [after, before], newest first, a page of up to
        `limit` from `position`; none for an unknown window."""
        with self._store.read() as tx:
            return tx.list_window_executions(window_id, after, before, position, limit)

    def execution(self, window_execution_id: str) -> tuple[WindowExecution, list[TaskExecution]]:
        with self._store.read() as tx:
            execution = _require(tx, window_execution_id)
            return execution, tx.list_task_executions(window_execution_id)

    def task(self, window_execution_id: str, task_execution_id: str) -> TaskExecution:
        with self._store.read() as tx:
            return _require_task(tx, window_execution_id, task_execution_id)

    def invocations(self, window_execution_id: str, task_execution_id: str) -> list[TaskInvocation]:
        with self._store.read() as tx:
            _require_task(tx, window_execution_id, task_execution_id)
            return tx.list_task_invocations(task_execution_id)

    def invocation(
        self, window_execution_id: str, task_execution_id: str, invocation_id: str
    ) -> TaskInvocation:
        for invocation in self.invocations(window_execution_id, task_execution_id):
            if invocation.invocation_id == invocation_id:
                return invocation
        raise DoesNotExistError(
            f"Invocation {invocation_id} does not exist in task execution {task_execution_id}."
        )

    def cancel(self, window_execution_id: str) -> None:
        """Stop starting tasks: the execution is CANCELLING until its running tasks end, then
        CANCELLED. An execution that has ended is left as it is."""
        now = self._clock.now()
        with self._store.write() as tx:
            tx.lock(f"window-execution:{window_execution_id}")
            execution = _require(tx, window_execution_id)
            changed = execution.status in ACTIVE and tx.update_window_execution(
                window_execution_id,
                ACTIVE,
                {"status": ExecutionStatus.CANCELLING, "cancel_requested": True, "wake_at": now},
            )
            if changed:
                tx.announce(Change.WINDOWS)
            if changed and execution.status is not ExecutionStatus.CANCELLING:
                cancelling = dataclasses.replace(
                    execution, status=ExecutionStatus.CANCELLING, cancel_requested=True
                )
                tx.append_events([ssm_events.window_execution(self._realm, cancelling, now)])

    def purge(self) -> int:
        """Forget executions, commands, relayed events and finished deliveries older than
        the retention period; how many."""
        before = self._clock.now() - self._retention
        with self._store.write() as tx:
            return tx.purge_history(before) + tx.prune_events(before) + tx.prune_deliveries(before)
