"""Taking in what agents report about the invocations they were handed.

A report applies by compare-and-set on the invocation's details and lease, so a late,
repeated or stale report never applies twice; a final one's steps (plugins) are stored with
it. A final result changes the invocation's
status: its event is appended with it (an acceptance leaves it In Progress: no event).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from transom.domain.clock import Clock
from transom.domain.commands import STATUS_OF_DETAILS, InvocationDetails, Outcome
from transom.domain.events import Event
from transom.services.command_progress import CommandProgress, command_lock
from transom.services.commands import Wake
from transom.store.port import Store
from transom.store.ports.changes import Change
from transom.store.ports.commands import InvocationMove

_RUNNING = (InvocationDetails.IN_PROGRESS, InvocationDetails.CANCELLING)


class ResultIntake:
    def __init__(self, store: Store, clock: Clock, progress: CommandProgress, wake: Wake) -> None:
        self._store = store
        self._clock = clock
        self._progress = progress
        self._wake = wake

    def report_all(self, reports: Sequence[tuple[str, Sequence[Outcome]]]) -> list[list[str]]:
        """Apply each (node, its outcomes) report in one transaction; for each, the command ids
        the node may forget (applied now, applied before, or stale)."""
        finished: set[str] = set()
        woken: set[str] = set()
        outcomes = sorted(
            ((instance_id, o) for instance_id, batch in reports for o in batch),
            key=lambda pair: pair[1].command_id,
        )
        events: list[Event] = []
        now = self._clock.now()
        with self._store.write() as tx:
            # one statement, in key order: results are counted one batch at a time across
            # replicas, and two batches cannot deadlock
            final = {
                o.command_id for _, o in outcomes if o.details != InvocationDetails.IN_PROGRESS
            }
            tx.lock_all({command_lock(c) for c in final})
            moves = [self._move(instance_id, o, now) for instance_id, o in outcomes]
            applied = tx.transition_many(_RUNNING, moves)
            plugins = []
            for (instance_id, outcome), ok in zip(outcomes, applied, strict=True):
                if ok and outcome.details != InvocationDetails.IN_PROGRESS:
                    finished.add(outcome.command_id)
                    plugins.append((outcome.command_id, instance_id, outcome.plugins))
                    events.append(
                        self._progress.invocation_event(
                            tx,
                            outcome.command_id,
                            instance_id,
                            STATUS_OF_DETAILS[outcome.details],
                            now,
                        )
                    )
            tx.insert_plugins(plugins)
            tx.append_events(events)
            woken |= self._progress.after_final_all(tx, sorted(finished))
            if woken:
                tx.announce(Change.COMMANDS)
        self._wake(woken)
        return [[o.command_id for o in batch] for _, batch in reports]

    def _move(self, instance_id: str, outcome: Outcome, now: datetime) -> InvocationMove:
        """The compare-and-set that applies `outcome` (reported `now`): an acceptance (In
        Progress) notes when the command started; a final result ends the invocation."""
        if outcome.details == InvocationDetails.IN_PROGRESS:
            started = outcome.started_at or now
            return InvocationMove(
                outcome.command_id, instance_id, outcome.lease, {"started_date": started}
            )
        return InvocationMove(
            outcome.command_id,
            instance_id,
            outcome.lease,
            {
                "details": outcome.details,
                "response_code": outcome.response_code,
                "stdout": outcome.stdout,
                "stderr": outcome.stderr,
                "started_date": outcome.started_at,
                "finished_date": outcome.finished_at or now,
            },
        )
