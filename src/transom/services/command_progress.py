"""What follows an invocation's final result on every path that ends one (results, cancels,
expiry): the command's error budget, its status, and the window execution waiting for it;
and the Run Command events of those paths."""

from __future__ import annotations

import dataclasses
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
        threshold = error_threshold(command.max_errors, sum(counts.values()))
        status, details = command_status(
            counts, threshold, cancelled=command.status_details == CommandDetails.CANCELLING
        )
        if (
            command.status_details == CommandDetails.CANCELLING
            and details == CommandDetails.IN_PROGRESS
        ):
            status, details = CommandStatus.CANCELLING, CommandDetails.CANCELLING
        if (status, details) != (command.status, command.status_details):
            tx.set_command_status(command.command_id, status, details)
            if status != command.status:
                event = ssm_events.command_status(self.realm, command, status, self._clock.now())
                tx.append_events([event])
            command = dataclasses.replace(command, status=status, status_details=details)
            if command.window_execution_id and status in FINAL_STATUSES:
                tx.wake_window_execution(command.window_execution_id, self._clock.now())
                tx.announce(Change.WINDOWS)
        return command

    def after_final(self, tx: Transaction, command_id: str) -> set[str]:
        """Stop a command past its error budget (its Pending invocations end Terminated) and
        refresh its status; the nodes that may now take its Pending invocations (none unless
        MaxConcurrency held them back: the others were told when it was sent). The caller
        holds `command_lock(command_id)` (results are counted one at a time)."""
        status = tx.get_command_status(command_id)
        assert status is not None
        command = dataclasses.replace(
            self._cache.get(tx, command_id), status=status[0], status_details=status[1]
        )
        counts = tx.count_invocations(command_id)
        errors = sum(counts.get(d, 0) for d in ERROR_DETAILS)
        if errors > error_threshold(command.max_errors, sum(counts.values())) and counts.get(
            InvocationDetails.PENDING
        ):
            now = self._clock.now()
            terminated = tx.transition_all(
                command_id,
                (InvocationDetails.PENDING,),
                {"details": InvocationDetails.TERMINATED, "finished_date": now},
            )
            tx.append_events(
                [
                    ssm_events.invocation_status(
                        self.realm, command, instance_id, CommandStatus.CANCELLED, now
                    )
                    for instance_id in terminated
                ]
            )
            counts = tx.count_invocations(command_id)
        command = self.refresh(tx, command, counts)
        if (
            not held_back(command)
            or not counts.get(InvocationDetails.PENDING)
            or command.status not in (CommandStatus.PENDING, CommandStatus.IN_PROGRESS)
        ):
            return set()
        return {
            i.instance_id
            for i in tx.list_invocations(command_id)
            if i.details == InvocationDetails.PENDING
        }
