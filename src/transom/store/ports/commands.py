"""Run Command: commands and their per-node invocations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol, TypedDict

from transom.domain.commands import (
    Command,
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
    PluginRun,
)


class InvocationUpdate(TypedDict, total=False):
    """The columns of an invocation that change after it is inserted (keys are column names);
    an update sets only those given."""

    details: InvocationDetails
    lease: str | None
    dispatched_date: datetime | None
    started_date: datetime | None
    finished_date: datetime | None
    response_code: int
    stdout: str
    stderr: str


class InvocationMove(NamedTuple):
    """One compare-and-set of `transition_many`: the invocation, the lease it must have
    (None: any) and the values to set."""

    command_id: str
    instance_id: str
    lease: str | None
    values: InvocationUpdate


class CommandPort(Protocol):
    # commands
    def insert_command(self, command: Command, invocations: Sequence[Invocation]) -> None:
        """Add the command (its id must be new) with its invocations."""

    def insert_commands(self, commands: Sequence[tuple[Command, Sequence[Invocation]]]) -> None:
        """`insert_command` for many (none: a no-op), in a few statements."""

    def get_command(self, command_id: str) -> Command | None:
        """The command, or None when there is none with this id."""

    def commands_of(self, command_ids: Collection[str]) -> list[Command]:
        """Those of these commands that exist, in one read, in no particular order."""

    def get_command_status(self, command_id: str) -> tuple[CommandStatus, CommandDetails] | None:
        """(Status, StatusDetails) of the command without the rest; None when there is none."""

    def command_statuses_of(
        self, command_ids: Collection[str]
    ) -> dict[str, tuple[CommandStatus, CommandDetails]]:
        """`get_command_status` of each of these commands that exists, by id, in one read."""

    def mark_commands_started(self, command_ids: Collection[str]) -> set[str]:
        """Pending -> InProgress (details In Progress) for each of these commands, in one
        statement; no change unless status and details are both still Pending (a command
        cancelling or ended stays as it is). Those that changed (unknown ids: none)."""

    def list_commands(self) -> list[Command]:
        """All commands, newest first."""

    def set_command_status(
        self, command_id: str, status: CommandStatus, details: CommandDetails
    ) -> None:
        """Overwrite the command's Status and StatusDetails, whatever they were."""

    def set_command_statuses(
        self, statuses: Sequence[tuple[str, CommandStatus, CommandDetails]]
    ) -> None:
        """`set_command_status` for each (command id, status, details), in one statement
        (none: a no-op)."""

    # invocations
    def get_invocation(self, command_id: str, instance_id: str) -> Invocation | None:
        """The command's invocation on the node, or None when there is none."""

    def invocations_of(self, command_ids: Collection[str]) -> list[Invocation]:
        """Every invocation of these commands, in no particular order."""

    def list_invocations(
        self, command_id: str | None = None, instance_id: str | None = None
    ) -> list[Invocation]:
        """Invocations of a command and/or a node (all when neither is given), oldest
        command first, then by node id."""

    def count_invocations(self, command_id: str) -> dict[InvocationDetails, int]:
        """The command's invocations counted by details (details with none are absent)."""

    def count_invocations_of(
        self, command_ids: Collection[str]
    ) -> dict[str, dict[InvocationDetails, int]]:
        """`count_invocations` of each of these commands, by id, in one read (a command
        without invocations is absent)."""

    def count_all_invocations(self) -> dict[InvocationDetails, int]:
        """Every command's invocations counted by details (details with none are absent)."""

    def node_work(self, instance_ids: Collection[str]) -> list[Invocation]:
        """These nodes' invocations that are Pending, Cancelling, or handed out (In Progress)
        but not yet accepted, oldest first."""

    def in_flight(self, command_id: str) -> int:
        """How many of the command's invocations are In Progress or Cancelling."""

    def transition(
        self,
        command_id: str,
        instance_id: str,
        from_details: Collection[InvocationDetails],
        lease: str | None,
        values: InvocationUpdate,
    ) -> bool:
        """Set `values` on the invocation if its details are in `from_details` (and its lease
        is `lease`, unless None); whether it changed. Compare-and-set: safe under races."""

    def transition_many(
        self, from_details: Collection[InvocationDetails], moves: Sequence[InvocationMove]
    ) -> list[bool]:
        """`transition` for each move (from `from_details`), in order, as if one after the
        other; whether each changed. A run of moves setting the same columns is one statement
        when each of them applies."""

    def transition_all(
        self, command_id: str, from_details: Collection[InvocationDetails], values: InvocationUpdate
    ) -> list[str]:
        """`transition` for every invocation of the command in `from_details`, whatever its
        lease; the nodes of those that changed, in no particular order."""

    def insert_plugins(self, plugins: Sequence[tuple[str, str, Sequence[PluginRun]]]) -> None:
        """Add each (command id, node, its steps' results) (an invocation's, once: when its
        final result applies); none: a no-op."""

    def list_plugins(
        self, command_id: str, instance_id: str | None = None
    ) -> dict[str, list[PluginRun]]:
        """The steps' results of the command's invocations (on one node when given), by
        node, each in document order; a node with none is absent."""

    def undelivered(self, expired_by: datetime) -> list[Invocation]:
        """Invocations not final and never accepted by their agent (no `started_date`) whose
        command expired at or before `expired_by`, in no particular order."""

    def stranded(self) -> list[Invocation]:
        """Invocations not final (Pending, In Progress, Cancelling) whose node is
        deregistered: its agent can no longer take or report them."""
