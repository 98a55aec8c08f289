"""What follows an invocation's final result on every path that ends one (results, cancels,
expiry): the command's error budget, its status, and the window execution waiting for it;
and the Run Command events of those paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from transom.domain.clock import Clock
from transom.domain.commands import (
    ERROR_DETAILS,
    FINAL_STATUSES,
    Command,
    CommandDetails,
    CommandStatus,
    InvocationDetails,
)
from transom.domain.events import Event, Realm
from transom.events import systems_manager as ssm_events
from transom.execution.command_status import command_status
from transom.execution.limits import concurrency_limit, error_threshold
from transom.services.command_cache import CommandCache
from transom.store.port import Transaction
from transom.store.ports.changes import Change


def command_lock(command_id: str) -> str:
    """The key of the lock that serializes a command's hand-outs and result counting."""
    return f"command:{command_id}"


def held_back(command: Command) -> bool:
    """Whether MaxConcurrency holds back some of the command's invocations."""
    targets = len(command.instance_ids)
    return concurrency_limit(command.max_concurrency, targets) < targets


class CommandProgress:
    def __init__(self, clock: Clock, cache: CommandCache, realm: Realm) -> None:
        self._clock = clock
        self._cache = cache
        self.realm = realm

    def invocation_event(
        self,
        tx: Transaction,
        command_id: str,
        instance_id: str,
        status: CommandStatus,
        at: datetime,
    ) -> Event:
        """The event of the command's invocation on the node reaching `status`, built from
        the cached command (no read once cached)."""
        command = self._cache.get(tx, command_id)
        return ssm_events.invocation_status(self.realm, command, instance_id, status, at)

    def refresh(
        self, tx: Transaction, command: Command, counts: dict[InvocationDetails, int] | None = None
    ) -> Command:
        """Store the command's status as its invocations (counted by details) now say; a
        command that ended wakes its window execution."""
        counts = counts if counts is not None else tx.count_invocations(command.command_id)
        writes = _Writes(self._clock.now())
        command = self._refreshed(command, counts, writes)
        writes.apply(tx)
        return command

    def after_final(self, tx: Transaction, command_id: str) -> set[str]:
        """Stop a command past its error budget (its Pending invocations end Terminated) and
        refresh its status; the nodes that may now take its Pending invocations (none unless
        MaxConcurrency held them back: the others were told when it was sent). The caller
        holds `command_lock(command_id)` (results are counted one at a time)."""
        return self.after_final_all(tx, [command_id])

    def after_final_all(self, tx: Transaction, command_ids: Sequence[str]) -> set[str]:
        """`after_final` for each of these commands, in this order, reading them and writing
        their statuses in a few statements for all (not a few for each). The caller holds
        each one's `command_lock`."""
        if not command_ids:
            return set()
        statuses = tx.command_statuses_of(command_ids)
        cached = self._cache.get_all(tx, command_ids)
        all_counts = tx.count_invocations_of(command_ids)
        now = self._clock.now()
        writes = _Writes(now)
        woken: set[str] = set()
        for command_id in command_ids:
            status, details = statuses[command_id]
            command = dataclasses.replace(cached[command_id], status=status, status_details=details)
            counts = all_counts.get(command_id, {})
            errors = sum(counts.get(d, 0) for d in ERROR_DETAILS)
            if errors > error_threshold(command.max_errors, sum(counts.values())) and counts.get(
                InvocationDetails.PENDING
            ):
                terminated = tx.transition_all(
                    command_id,
                    (InvocationDetails.PENDING,),
                    {"details": InvocationDetails.TERMINATED, "finished_date": now},
                )
                writes.events += [
                    ssm_events.invocation_status(
                        self.realm, command, instance_id, CommandStatus.CANCELLED, now
                    )
                    for instance_id in terminated
                ]
                counts = tx.count_invocations(command_id)
            command = self._refreshed(command, counts, writes)
            if (
                held_back(command)
                and counts.get(InvocationDetails.PENDING)
                and command.status in (CommandStatus.PENDING, CommandStatus.IN_PROGRESS)
            ):
                woken |= {
                    i.instance_id
                    for i in tx.list_invocations(command_id)
                    if i.details == InvocationDetails.PENDING
                }
        writes.apply(tx)
        return woken

    def _refreshed(
        self, command: Command, counts: dict[InvocationDetails, int], writes: _Writes
    ) -> Command:
        """The command with the status its invocations (counted by details) now say, noting
        in `writes` what storing it takes."""
        threshold = error_threshold(command.max_errors, sum(counts.values()))
        status, details = command_status(
            counts, threshold, cancelled=command.status_details == CommandDetails.CANCELLING
        )
        if (
            command.status_details == CommandDetails.CANCELLING
            and details == CommandDetails.IN_PROGRESS
        ):
            status, details = CommandStatus.CANCELLING, CommandDetails.CANCELLING
        if (status, details) == (command.status, command.status_details):
            return command
        writes.statuses.append((command.command_id, status, details))
        if status != command.status:
            writes.events.append(ssm_events.command_status(self.realm, command, status, writes.now))
        if command.window_execution_id and status in FINAL_STATUSES:
            writes.woken_executions.append(command.window_execution_id)
        return dataclasses.replace(command, status=status, status_details=details)


@dataclasses.dataclass
class _Writes:
    """What refreshing commands' statuses at `now` takes, written together by `apply`:
    statuses to store, events to append (in order), window executions to wake."""

    now: datetime
    statuses: list[tuple[str, CommandStatus, CommandDetails]] = dataclasses.field(
        default_factory=list
    )
    events: list[Event] = dataclasses.field(default_factory=list)
    woken_executions: list[str] = dataclasses.field(default_factory=list)

    def apply(self, tx: Transaction) -> None:
        tx.set_command_statuses(self.statuses)
        tx.append_events(self.events)
        if self.woken_executions:
            tx.wake_window_executions(self.woken_executions, self.now)
            tx.announce(Change.WINDOWS)
