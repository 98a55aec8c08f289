"""The records of a batch of window executions, read in a few statements and written back in
a few: what lets the runner advance hundreds of executions per second.

Reads come from what was loaded; changes are applied to the loaded records at once (later
reads see them) and kept until `flush`, which writes them inside the caller's transaction.
Updates are compare-and-set on the status each record had when loaded: if another writer
changed one meanwhile, `flush` raises `ConcurrentChange` and the transaction must roll back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from transom.domain.commands import Command, Invocation
from transom.domain.executions import (
    ExecutionStatus,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.nodes import Node
from transom.domain.windows import WindowTarget, WindowTask
from transom.store.port import Change, Transaction

R = TypeVar("R", WindowExecution, TaskExecution, TaskInvocation)
_LAUNCHED = (ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING)


class ConcurrentChange(RuntimeError):
    """A record changed under the batch: roll back and look again."""


class _Changes:
    """Inserted records and compare-and-set updates of one kind of record."""

    def __init__(self, compared: tuple[str, ...]) -> None:
        self.compared = compared
        self.inserted: dict[str, Any] = {}
        self.loaded: dict[str, dict[str, Any]] = {}
        self.updated: dict[str, dict[str, Any]] = {}

    def change(self, key: str, record: R, values: dict[str, Any]) -> R:
        changed = dataclasses.replace(record, **values)
        if key in self.inserted:
            self.inserted[key] = changed
        else:
            self.loaded.setdefault(key, {c: getattr(record, c) for c in self.compared})
            self.updated.setdefault(key, {}).update(values)
        return changed

    def updates(self) -> list[Change]:
        return [(k, self.loaded[k], v) for k, v in self.updated.items()]


class RunState:
    def __init__(self, tx: Transaction, executions: Iterable[WindowExecution]) -> None:
        self.tx = tx
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
        # an execution is also compared on `wake_at`: a command ending while the batch runs
        # sets it, and the batch must then not overwrite it with a later time
        self._executions = _Changes(("status", "wake_at"))
        self._tasks = _Changes(("status",))
        self._invocations = _Changes(("status",))
        self._new_commands: list[tuple[Command, list[Invocation]]] = []

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
    def change_execution(self, execution: WindowExecution, **values: Any) -> WindowExecution:
        changed = self._executions.change(execution.window_execution_id, execution, values)
        self.executions[execution.window_execution_id] = changed
        return changed

    def add_task_execution(self, task: TaskExecution) -> None:
        self._tasks.inserted[task.task_execution_id] = task
        self._tasks_of[task.window_execution_id].append(task)

    def change_task_execution(self, task: TaskExecution, **values: Any) -> TaskExecution:
        changed = self._tasks.change(task.task_execution_id, task, values)
        siblings = self._tasks_of[task.window_execution_id]
        siblings[:] = [
            changed if t.task_execution_id == task.task_execution_id else t for t in siblings
        ]
        return changed

    def add_invocations(self, invocations: Collection[TaskInvocation]) -> None:
        for invocation in invocations:
            self._invocations.inserted[invocation.invocation_id] = invocation
            self._invocations_of.setdefault(invocation.task_execution_id, []).append(invocation)

    def change_invocation(self, invocation: TaskInvocation, **values: Any) -> TaskInvocation:
        changed = self._invocations.change(invocation.invocation_id, invocation, values)
        siblings = self._invocations_of[invocation.task_execution_id]
        siblings[:] = [
            changed if i.invocation_id == invocation.invocation_id else i for i in siblings
        ]
        return changed

    def add_command(self, command: Command, invocations: list[Invocation]) -> None:
        self._new_commands.append((command, invocations))

    def flush(self) -> None:
        """Write every change; `ConcurrentChange` if a record changed under the batch."""
        tx = self.tx
        tx.insert_commands(self._new_commands)
        tx.insert_task_executions(list(self._tasks.inserted.values()))
        tx.insert_task_invocations(list(self._invocations.inserted.values()))
        for changes, apply in (
            (self._executions.updates(), tx.set_window_executions),
            (self._tasks.updates(), tx.set_task_executions),
            (self._invocations.updates(), tx.set_task_invocations),
        ):
            if changes and apply(changes) != len(changes):
                raise ConcurrentChange("a window execution record changed under the runner")
