"""The `Store` port: what services may ask of persistence. Every implementation passes
`tests/store/test_contract.py`.

A unit of work is a `Transaction`: everything done through one either commits together or not
at all. `Store.write()` serialises writers that take the same `lock()` key, so check-then-insert
sequences (quotas, idempotency tokens) are race-free across threads and server replicas.
Instants go in and come out as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from transom.domain.commands import (
    Command,
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
)
from transom.domain.executions import (
    ExecutionStatus,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.nodes import Activation, Node, NodeFacts
from transom.domain.windows import (
    AccessKey,
    Tag,
    Window,
    WindowQuery,
    WindowTarget,
    WindowTask,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Up to `limit` items after `after` (a position from a previous page), and the position
    of the last item when more may follow, else None."""

    items: list[T]
    next_after: int | None


Change = tuple[str, Mapping[str, Any], Mapping[str, Any]]
"""(record id, the column values it must still have, the values to set)."""


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    resource_id: str


class Transaction(Protocol):
    def lock(self, key: str) -> None:
        """Hold `key` until the transaction ends; other writers locking it wait."""

    def lock_all(self, keys: Collection[str]) -> None:
        """`lock` every key, in an order every caller shares (so two never deadlock)."""

    # windows
    def insert_window(self, window: Window) -> None: ...
    def get_window(self, window_id: str) -> Window | None: ...
    def windows_of(self, window_ids: Collection[str]) -> list[Window]:
        """The windows with these ids that exist, in no particular order."""

    def update_window(self, window: Window) -> None:
        """Overwrite the window with the same id; it must exist."""

    def delete_window(self, window_id: str) -> bool:
        """Delete the window, its targets, tasks and tags. False when it did not exist."""

    def count_windows(self) -> int: ...
    def list_windows(self, query: WindowQuery, after: int | None, limit: int) -> Page[Window]:
        """Windows in creation order."""

    # targets
    def insert_target(self, target: WindowTarget) -> None: ...
    def get_target(self, window_id: str, window_target_id: str) -> WindowTarget | None: ...
    def update_target(self, target: WindowTarget) -> None: ...
    def delete_target(self, window_id: str, window_target_id: str) -> bool: ...
    def count_targets(self, window_id: str) -> int: ...
    def targets_of(self, window_ids: Collection[str]) -> list[WindowTarget]:
        """All targets of these windows in registration order."""

    def list_targets(self, window_id: str) -> list[WindowTarget]:
        """All targets of the window in registration order."""

    # tasks
    def insert_task(self, task: WindowTask) -> None: ...
    def get_task(self, window_id: str, window_task_id: str) -> WindowTask | None: ...
    def update_task(self, task: WindowTask) -> None: ...
    def delete_task(self, window_id: str, window_task_id: str) -> bool: ...
    def count_tasks(self, window_id: str) -> int: ...
    def tasks_of(self, window_ids: Collection[str]) -> list[WindowTask]:
        """All tasks of these windows in registration order."""

    def list_tasks(self, window_id: str) -> list[WindowTask]:
        """All tasks of the window in registration order."""

    # tags
    def get_tags(self, resource_type: str, resource_id: str) -> list[Tag]:
        """Tags sorted by key."""

    def put_tags(self, resource_type: str, resource_id: str, tags: Sequence[Tag]) -> None:
        """Add tags, overwriting the values of keys already present."""

    def remove_tags(self, resource_type: str, resource_id: str, keys: Sequence[str]) -> None:
        """Remove the keys present; absent keys are ignored."""

    # idempotency
    def get_idempotency(self, operation: str, client_token: str) -> IdempotencyRecord | None: ...
    def put_idempotency(
        self, operation: str, client_token: str, record: IdempotencyRecord, at: datetime
    ) -> None: ...

    # activations
    def insert_activation(self, activation: Activation) -> None: ...
    def get_activation(self, activation_id: str) -> Activation | None: ...
    def list_activations(self) -> list[Activation]:
        """All activations, oldest first."""

    def delete_activation(self, activation_id: str) -> bool: ...
    def claim_registration(self, activation_id: str) -> bool:
        """Count one registration against the activation's limit; False when it is used up."""

    # nodes
    def insert_node(self, node: Node) -> None: ...
    def get_node(self, instance_id: str) -> Node | None:
        """The node, deregistered or not."""

    def nodes_of(self, instance_ids: Collection[str]) -> list[Node]:
        """The nodes with these ids that exist (deregistered or not), in no particular order."""

    def list_nodes(self) -> list[Node]:
        """Registered (not deregistered) nodes in registration order."""

    def record_ping(self, instance_id: str, at: datetime, facts: NodeFacts | None) -> None:
        """Note that the node was heard from at `at`, and its new facts if given."""

    def deregister_node(self, instance_id: str, at: datetime) -> bool:
        """Mark a registered node deregistered; False when it was not registered."""

    # commands
    def insert_command(self, command: Command, invocations: Sequence[Invocation]) -> None: ...
    def insert_commands(self, commands: Sequence[tuple[Command, Sequence[Invocation]]]) -> None:
        """`insert_command` for many, in a few statements."""

    def get_command(self, command_id: str) -> Command | None: ...
    def get_command_status(self, command_id: str) -> tuple[CommandStatus, CommandDetails] | None:
        """(Status, StatusDetails) of the command, without the rest."""

    def mark_command_started(self, command_id: str) -> None:
        """Pending -> InProgress, unless the command has left Pending (or is cancelling)."""

    def list_commands(self) -> list[Command]:
        """All commands, newest first."""

    def set_command_status(
        self, command_id: str, status: CommandStatus, details: CommandDetails
    ) -> None: ...
    def get_invocation(self, command_id: str, instance_id: str) -> Invocation | None: ...
    def invocations_of(self, command_ids: Collection[str]) -> list[Invocation]:
        """Every invocation of these commands, in no particular order."""

    def list_invocations(
        self, command_id: str | None = None, instance_id: str | None = None
    ) -> list[Invocation]:
        """Invocations of a command and/or a node, oldest command first, then by node."""

    def count_invocations(self, command_id: str) -> dict[InvocationDetails, int]:
        """The command's invocations counted by details."""

    def node_work(self, instance_ids: Collection[str]) -> list[Invocation]:
        """These nodes' invocations that are Pending, Cancelling, or handed out but not yet
        accepted, oldest first."""

    def in_flight(self, command_id: str) -> int:
        """How many of the command's invocations are In Progress or Cancelling."""

    def transition(
        self,
        command_id: str,
        instance_id: str,
        from_details: Collection[InvocationDetails],
        lease: str | None,
        values: Mapping[str, Any],
    ) -> bool:
        """Set `values` on the invocation if its details are in `from_details` (and its lease
        is `lease`, unless None); say whether it changed. Compare-and-set: safe under races."""

    def transition_all(
        self,
        command_id: str,
        from_details: Collection[InvocationDetails],
        values: Mapping[str, Any],
    ) -> int:
        """`transition` for every invocation of the command in `from_details`; the count."""

    def undelivered(self, expired_by: datetime) -> list[Invocation]:
        """Invocations never accepted by their agent whose command expired by then."""

    def stranded(self) -> list[Invocation]:
        """Invocations not final (Pending, In Progress, Cancelling) whose node is
        deregistered: its agent can no longer take or report them."""

    # window executions
    def insert_window_executions(self, executions: Sequence[WindowExecution]) -> None:
        """In one statement. Raises the database's integrity error when a window already has
        an execution for the same scheduled time."""

    def get_window_executions(self, ids: Collection[str]) -> list[WindowExecution]:
        """The executions with these ids that exist, in no particular order."""

    def task_executions_of(self, window_execution_ids: Collection[str]) -> list[TaskExecution]:
        """Every task execution of these window executions, in start order."""

    def task_invocations_of(self, window_execution_ids: Collection[str]) -> list[TaskInvocation]:
        """Every invocation of these window executions, in `seq` order within a task."""

    def insert_task_executions(self, executions: Sequence[TaskExecution]) -> None: ...
    def set_window_executions(self, changes: Sequence[Change]) -> int:
        """Compare-and-set many: each change applies if its record still has the values
        expected; how many applied."""

    def set_task_executions(self, changes: Sequence[Change]) -> int:
        """As `set_window_executions`."""

    def set_task_invocations(self, changes: Sequence[Change]) -> int:
        """As `set_window_executions`."""

    def get_window_execution(self, window_execution_id: str) -> WindowExecution | None: ...
    def update_window_execution(
        self,
        window_execution_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: Mapping[str, Any],
    ) -> bool:
        """Compare-and-set: set `values` if the status is in `from_statuses`; whether it did."""

    def list_window_executions(
        self,
        window_id: str,
        started_after: datetime | None,
        started_before: datetime | None,
        after: int | None,
        limit: int,
    ) -> Page[WindowExecution]:
        """The window's executions started in the (inclusive) range, newest first, up to
        `limit` from position `after` (of a previous page)."""

    def active_window_executions_of(self, window_ids: Collection[str]) -> list[WindowExecution]:
        """The PENDING, IN_PROGRESS or CANCELLING executions of these windows."""

    def active_window_execution(self, window_id: str) -> WindowExecution | None:
        """An execution of the window that is PENDING, IN_PROGRESS or CANCELLING, if any."""

    def due_window_executions(self, at: datetime, limit: int) -> list[str]:
        """Ids of executions whose `wake_at` is at or before `at`, most overdue first."""

    def next_window_execution_wake(self) -> datetime | None:
        """The earliest `wake_at` of all executions."""

    def wake_window_execution(self, window_execution_id: str, at: datetime) -> None:
        """Set the execution's `wake_at` to `at` unless it has ended. Always a write: a
        runner that loaded the execution before it then fails its compare-and-set."""

    # task executions and their invocations
    def list_task_executions(self, window_execution_id: str) -> list[TaskExecution]:
        """In start order."""

    def insert_task_invocations(self, invocations: Sequence[TaskInvocation]) -> None: ...
    def list_task_invocations(self, task_execution_id: str) -> list[TaskInvocation]:
        """In `seq` order."""

    def purge_history(self, ended_before: datetime) -> int:
        """Delete window executions that ended before the instant (with their task executions
        and invocations) and finished commands requested before it; how many records went."""

    # the scheduler's cursors
    def unsynced_windows(self) -> list[str]:
        """Enabled windows without a cursor, or modified since their cursor was computed."""

    def stale_cursors(self) -> bool:
        """Whether a deleted or disabled window still has a cursor."""

    def drop_stale_cursors(self) -> int:
        """Delete the cursors of windows deleted or disabled; how many went."""

    def set_cursor(self, window_id: str, due_at: datetime | None, anchor: datetime) -> None: ...
    def due_cursors(self, at: datetime) -> list[tuple[str, datetime]]:
        """(window id, due time) of cursors due at or before `at`, earliest first."""

    def advance_cursors(self, moves: Sequence[tuple[str, datetime, datetime | None]]) -> int:
        """`advance_cursor` for many (window id, from, to); how many moved."""

    def advance_cursor(self, window_id: str, due_at: datetime, to: datetime | None) -> bool:
        """Compare-and-set the cursor from `due_at` to `to`; False when another moved it."""

    def next_cursor_due(self) -> datetime | None: ...

    def node_tags(self) -> dict[str, dict[str, str]]:
        """Every registered node (in registration order) with its tags."""

    # access keys
    def insert_access_key(self, key: AccessKey) -> None: ...
    def get_access_key(self, access_key_id: str) -> AccessKey | None: ...
    def list_access_keys(self) -> list[AccessKey]: ...
    def delete_access_key(self, access_key_id: str) -> bool: ...


class Store(Protocol):
    def read(self) -> AbstractContextManager[Transaction]:
        """Reads only. Each statement sees a committed state, but on SQLite two statements
        may see different ones; use `write()` where several reads must agree."""

    def write(self) -> AbstractContextManager[Transaction]:
        """A transaction that commits when the block exits normally and rolls back otherwise."""

    def close(self) -> None: ...
