"""The records of a batch of window executions, read in a few statements and written back in
a few: what lets the runner advance hundreds of executions per second.

Reads come from what was loaded; changes are applied to the loaded records at once (later
reads see them) and kept until `flush`, which writes them inside the caller's transaction.
Updates are compare-and-set on the status each record had when loaded: if another writer
changed one meanwhile, `flush` raises `ConcurrentChange` and the transaction must roll back.

Every record added, and every change of a record's status, is an event (each status a record
passes through, even within one batch); `flush` appends them with the changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Generic, TypeVar, Unpack

from transom.domain.commands import Command, Invocation
from transom.domain.events import Event, Realm
from transom.domain.executions import (
    ACTIVE,
    ExecutionStatus,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.nodes import Node
from transom.domain.windows import WindowTarget, WindowTask
from transom.events import systems_manager as ssm_events
from transom.store.port import Transaction
from transom.store.ports.executions import (
    Change,
    TaskExecutionUpdate,
    TaskInvocationUpdate,
    U,
    WindowExecutionUpdate,
)

R = TypeVar("R", WindowExecution, TaskExecution, TaskInvocation)
_LAUNCHED = (ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING)


class ConcurrentChange(RuntimeError):
    """A record changed under the batch: roll back and look again."""


class _Changes(Generic[R, U]):
    """Inserted records and compare-and-set updates of one kind of record."""

    def __init__(self) -> None:
        self.inserted: dict[str, R] = {}
        self.loaded: dict[str, U] = {}
        self.updated: dict[str, U] = {}

    def change(self, key: str, changed: R, loaded: U, values: U) -> R:
        """Note `values` set on record `key`, now `changed`: in place if it was inserted in
        this batch, else as an update compared on what it held when `loaded`."""
        if key in self.inserted:
            self.inserted[key] = changed
        else:
            self.loaded.setdefault(key, loaded)
            self.updated.setdefault(key, {}).update(values)
        return changed

    def updates(self) -> list[Change[U]]:
        return [(k, self.loaded[k], v) for k, v in self.updated.items()]


class RunState:
    def __init__(
        self,
        tx: Transaction,
        executions: Iterable[WindowExecution],
        realm: Realm,
        now: datetime,
    ) -> None:
        """The batch of `executions`, changed at `now` (the instant of their events)."""
        self.tx = tx
        self._realm = realm
        self._now = now
        self._events: list[Event] = []
        self.executions = {e.window_execution_id: e for e in executions}
        ids = list(self.executions)
        self._tasks_of: dict[str, list[TaskExecution]] = {i: [] for i in ids}
        for execution in tx.task_executions_of(ids) if ids else ():
            self._tasks_of[execution.window_execution_id].append(execution)
        self._invocations_of: dict[str, list[TaskInvocation]] = {}
        for invocation in tx.task_invocations_of(ids) if ids else ():
            self._invocations_of.setdefault(invocation.task_execution_id, []).append(invocation)
        launched = {
            i.execution_id
            for invocations in self._invocations_of.values()
            for i in invocations
            if i.status in _LAUNCHED and i.execution_id
        }
        self._commands = {
            (i.command_id, i.instance_id): i
            for i in (tx.invocations_of(launched) if launched else ())
        }
        windows = {e.window_id for e in self.executions.values()}
        self._window_tasks: dict[str, dict[str, WindowTask]] = {w: {} for w in windows}
        for task in tx.tasks_of(windows) if windows else ():
            self._window_tasks[task.window_id][task.window_task_id] = task
        self._targets: dict[str, list[WindowTarget]] = {w: [] for w in windows}
        for target in tx.targets_of(windows) if windows else ():
            self._targets[target.window_id].append(target)
        self._node_tags: dict[str, dict[str, str]] | None = None
        self._nodes: dict[str, Node] | None = None
        self._executions: _Changes[WindowExecution, WindowExecutionUpdate] = _Changes()
        self._tasks: _Changes[TaskExecution, TaskExecutionUpdate] = _Changes()
        self._invocations: _Changes[TaskInvocation, TaskInvocationUpdate] = _Changes()
        self._new_commands: list[tuple[Command, list[Invocation]]] = []
        self.ended: list[str] = []
        """The executions this batch ended, by id."""

    # reads
    def task_executions(self, window_execution_id: str) -> list[TaskExecution]:
        return list(self._tasks_of[window_execution_id])

    def invocations(self, task_execution_id: str) -> list[TaskInvocation]:
        return list(self._invocations_of.get(task_execution_id, []))

    def command_invocation(self, command_id: str, instance_id: str) -> Invocation | None:
        """The Run Command invocation as loaded (a command launched in this batch has none)."""
        return self._commands.get((command_id, instance_id))

    def task(self, window_id: str, window_task_id: str) -> WindowTask | None:
        return self._window_tasks.get(window_id, {}).get(window_task_id)

    def targets(self, window_id: str) -> list[WindowTarget]:
        return self._targets.get(window_id, [])

    def node_tags(self) -> dict[str, dict[str, str]]:
        if self._node_tags is None:
            self._node_tags = self.tx.node_tags()
        return self._node_tags

    def node(self, instance_id: str) -> Node | None:
        if self._nodes is None:
            self._nodes = {n.instance_id: n for n in self.tx.list_nodes()}
        return self._nodes.get(instance_id)

    # changes
    def change_execution(
        self, execution: WindowExecution, **values: Unpack[WindowExecutionUpdate]
    ) -> WindowExecution:
        changed = self._executions.change(
            execution.window_execution_id,
            dataclasses.replace(execution, **values),
            # compared on `wake_at` too: a command ending while the batch runs sets it, and
            # the batch must then not overwrite it with a later time
            {"status": execution.status, "wake_at": execution.wake_at},
            values,
        )
        self.executions[execution.window_execution_id] = changed
        if changed.status is not execution.status:
            self._events.append(ssm_events.window_execution(self._realm, changed, self._now))
            if changed.status not in ACTIVE:
                self.ended.append(execution.window_execution_id)
        return changed

    def add_task_execution(self, task: TaskExecution) -> None:
        self._tasks.inserted[task.task_execution_id] = task
        self._tasks_of[task.window_execution_id].append(task)
        self._task_event(task)

    def change_task_execution(
        self, task: TaskExecution, **values: Unpack[TaskExecutionUpdate]
    ) -> TaskExecution:
        changed = self._tasks.change(
            task.task_execution_id,
            dataclasses.replace(task, **values),
            {"status": task.status},
            values,
        )
        siblings = self._tasks_of[task.window_execution_id]
        siblings[:] = [
            changed if t.task_execution_id == task.task_execution_id else t for t in siblings
        ]
        if changed.status is not task.status:
            self._task_event(changed)
        return changed

    def add_invocations(self, invocations: Collection[TaskInvocation]) -> None:
        for invocation in invocations:
            self._invocations.inserted[invocation.invocation_id] = invocation
            self._invocations_of.setdefault(invocation.task_execution_id, []).append(invocation)
            self._invocation_event(invocation)

    def change_invocation(
        self, invocation: TaskInvocation, **values: Unpack[TaskInvocationUpdate]
    ) -> TaskInvocation:
        changed = self._invocations.change(
            invocation.invocation_id,
            dataclasses.replace(invocation, **values),
            {"status": invocation.status},
            values,
        )
        siblings = self._invocations_of[invocation.task_execution_id]
        siblings[:] = [
            changed if i.invocation_id == invocation.invocation_id else i for i in siblings
        ]
        if changed.status is not invocation.status:
            self._invocation_event(changed)
        return changed

    def add_command(self, command: Command, invocations: list[Invocation]) -> None:
        self._new_commands.append((command, invocations))
        self._events += ssm_events.command_sent(self._realm, command, invocations)

    def _task_event(self, task: TaskExecution) -> None:
        window_id = self.executions[task.window_execution_id].window_id
        self._events.append(ssm_events.task_execution(self._realm, window_id, task, self._now))

    def _invocation_event(self, invocation: TaskInvocation) -> None:
        window_id = self.executions[invocation.window_execution_id].window_id
        self._events.append(
            ssm_events.task_invocation(self._realm, window_id, invocation, self._now)
        )

    def flush(self) -> None:
        """Write every change; `ConcurrentChange` if a record changed under the batch."""
        tx = self.tx
        tx.insert_commands(self._new_commands)
        tx.insert_task_executions(list(self._tasks.inserted.values()))
        tx.insert_task_invocations(list(self._invocations.inserted.values()))
        executions, tasks = self._executions.updates(), self._tasks.updates()
        invocations = self._invocations.updates()
        if (
            (executions and tx.set_window_executions(executions) != len(executions))
            or (tasks and tx.set_task_executions(tasks) != len(tasks))
            or (invocations and tx.set_task_invocations(invocations) != len(invocations))
        ):
            raise ConcurrentChange("a window execution record changed under the runner")
        tx.append_events(self._events)
