"""Handing Run Command work to agents: what each polling node may run now, and what it
should cancel.

An invocation is handed out at most once: it moves Pending -> In Progress with a new lease by
compare-and-set, and until its agent accepts it the same lease is offered again (the agent
runs a command id at most once). Each status change is an event, appended once per pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from transom.domain.clock import Clock
from transom.domain.commands import Command, CommandStatus, Invocation, InvocationDetails
from transom.domain.document_content import StepRun
from transom.domain.events import Event
from transom.domain.ids import new_uuid
from transom.events import systems_manager as ssm_events
from transom.execution.limits import concurrency_limit
from transom.services.command_cache import CommandCache
from transom.services.command_progress import CommandProgress, command_lock, held_back
from transom.services.documents import find_in
from transom.store.port import Store, Transaction
from transom.store.ports.commands import InvocationMove


@dataclasses.dataclass(frozen=True)
class Work:
    """An invocation handed to its node, with what the agent needs to run it: the
    document's steps with the command's parameters (and the document's defaults) in them."""

    invocation: Invocation
    command: Command
    runs: tuple[StepRun, ...]


class Dispatcher:
    def __init__(
        self, store: Store, clock: Clock, cache: CommandCache, progress: CommandProgress
    ) -> None:
        self._store = store
        self._clock = clock
        self._cache = cache
        self._progress = progress

    def work_for_all(self, instance_ids: Sequence[str]) -> list[tuple[list[Work], list[str]]]:
        """For each node, in order: what it may run now (within each command's
        MaxConcurrency), and the command ids it should cancel. One read when none has work,
        one write more when some do."""
        answers: dict[str, tuple[list[Work], list[str]]] = {i: ([], []) for i in instance_ids}
        with self._store.read() as tx:
            found = tx.node_work(instance_ids)
        if not found:
            return [answers[i] for i in instance_ids]  # idle polls: one read, no write
        with self._store.write() as tx:  # every change below is a compare-and-set
            commands = self._cache.get_all(tx, {i.command_id for i in found})
            # replicas must not both fill a command's last slot, nor count its results at once
            tx.lock_all(
                {
                    command_lock(i.command_id)
                    for i in found
                    if i.details == InvocationDetails.CANCELLING
                    or held_back(commands[i.command_id])
                }
            )
            now = self._clock.now()
            taken = self._take(tx, found, commands, now)
            events: list[Event] = []
            starting: dict[str, int] = {}
            runs: dict[str, tuple[StepRun, ...]] = {}
            for invocation in found:
                work, cancels = answers[invocation.instance_id]
                if (
                    invocation.details == InvocationDetails.CANCELLING
                    and invocation.started_date is None
                ):
                    self._cancel_unaccepted(tx, invocation)
                    continue
                if invocation.details == InvocationDetails.CANCELLING:
                    cancels.append(invocation.command_id)
                    continue
                command = commands[invocation.command_id]
                if invocation.details == InvocationDetails.PENDING:
                    handed = taken.get((invocation.command_id, invocation.instance_id))
                    if handed is None:
                        continue  # it must wait
                    self._handed_out(command, handed.instance_id, now, events, starting)
                else:
                    handed = invocation  # handed out before but not accepted: the same lease
                if command.command_id not in runs:  # once per command, not per node
                    document = find_in(tx, command.document_name, command.document_version)
                    runs[command.command_id] = document.runs(command.parameters)
                work.append(Work(handed, command, runs[command.command_id]))
            self._mark_started(tx, commands, starting, now, events)
            tx.append_events(events)
        return [answers[i] for i in instance_ids]

    def nodes_with_work(self, instance_ids: Collection[str]) -> set[str]:
        """Which of these nodes have work to take or cancel now (one read)."""
        with self._store.read() as tx:
            return {i.instance_id for i in tx.node_work(instance_ids)}

    def _take(
        self,
        tx: Transaction,
        found: Sequence[Invocation],
        commands: dict[str, Command],
        now: datetime,
    ) -> dict[tuple[str, str], Invocation]:
        """Hand out the Pending invocations of `found` that their commands' MaxConcurrency
        lets run now (a command held back by it is locked by the caller), in one batch of
        compare-and-sets; those handed out, with their leases, by (command id, node)."""
        room: dict[str, int] = {}  # what each held-back command may still hand out
        chosen: list[Invocation] = []
        for invocation in found:
            if invocation.details != InvocationDetails.PENDING:
                continue
            command = commands[invocation.command_id]
            if held_back(command):
                if command.command_id not in room:
                    limit = concurrency_limit(command.max_concurrency, len(command.instance_ids))
                    room[command.command_id] = limit - tx.in_flight(command.command_id)
                if room[command.command_id] <= 0:
                    continue
                room[command.command_id] -= 1
            chosen.append(
                dataclasses.replace(
                    invocation,
                    details=InvocationDetails.IN_PROGRESS,
                    lease=new_uuid(),
                    dispatched_date=now,
                )
            )
        moves = [
            InvocationMove(
                i.command_id,
                i.instance_id,
                None,
                {
                    "details": InvocationDetails.IN_PROGRESS,
                    "lease": i.lease,
                    "dispatched_date": now,
                },
            )
            for i in chosen
        ]
        applied = tx.transition_many((InvocationDetails.PENDING,), moves)
        return {
            (i.command_id, i.instance_id): i for i, ok in zip(chosen, applied, strict=True) if ok
        }

    def _handed_out(
        self,
        command: Command,
        instance_id: str,
        now: datetime,
        events: list[Event],
        starting: dict[str, int],
    ) -> None:
        """The event of an invocation just handed out; a command not known to have started
        is noted in `starting` with where its own event goes (`_mark_started`)."""
        realm = self._progress.realm
        events.append(
            ssm_events.invocation_status(
                realm, command, instance_id, CommandStatus.IN_PROGRESS, now
            )
        )
        if not self._cache.started(command) and command.command_id not in starting:
            starting[command.command_id] = len(events)

    def _mark_started(
        self,
        tx: Transaction,
        commands: Mapping[str, Command],
        starting: Mapping[str, int],
        now: datetime,
        events: list[Event],
    ) -> None:
        """Move the `starting` commands still Pending to In Progress, in one statement, and
        put the event of each one moved after its first invocation's in `events`."""
        moved = tx.mark_commands_started(starting)
        for command_id, at in sorted(starting.items(), key=lambda p: p[1], reverse=True):
            command = commands[command_id]
            if command_id in moved:
                realm = self._progress.realm
                event = ssm_events.command_status(realm, command, CommandStatus.IN_PROGRESS, now)
                events.insert(at, event)
            self._cache.note_started(command)

    def _cancel_unaccepted(self, tx: Transaction, invocation: Invocation) -> None:
        """The node polls again without having accepted a cancelled invocation: it will
        never run it (an acceptance arriving later no longer matches), so it is Cancelled."""
        now = self._clock.now()
        if tx.transition(
            invocation.command_id,
            invocation.instance_id,
            (InvocationDetails.CANCELLING,),
            invocation.lease,
            {"details": InvocationDetails.CANCELLED, "finished_date": now},
        ):
            event = self._progress.invocation_event(
                tx, invocation.command_id, invocation.instance_id, CommandStatus.CANCELLED, now
            )
            tx.append_events([event])  # before the command's own, which `after_final` appends
            self._progress.after_final(tx, invocation.command_id)
