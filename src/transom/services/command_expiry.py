"""Ending the invocations no agent will ever report: never accepted before their command
expired (Delivery Timed Out), or left unfinished on a deregistered node (Undeliverable).
Each ends with its status-change event."""

from __future__ import annotations

from transom.domain.clock import Clock
from transom.domain.commands import STATUS_OF_DETAILS, InvocationDetails
from transom.services.command_progress import CommandProgress, command_lock
from transom.store.port import Store


class CommandExpiry:
    def __init__(self, store: Store, clock: Clock, progress: CommandProgress) -> None:
        self._store = store
        self._clock = clock
        self._progress = progress

    def expire(self) -> int:
        """End those invocations (by compare-and-set) and refresh their commands; the count."""
        now = self._clock.now()
        ended = 0
        with self._store.read() as tx:
            stranded, undelivered = tx.stranded(), tx.undelivered(now)
        if not stranded and not undelivered:
            return 0  # the usual pass: one read, no write
        with self._store.write() as tx:  # every change below is a compare-and-set
            touched: set[str] = set()
            events = []
            # before any row changes, as every other path does: no lock cycle with them
            tx.lock_all({command_lock(i.command_id) for i in [*stranded, *undelivered]})
            for invocations, details in (
                (stranded, InvocationDetails.UNDELIVERABLE),
                (undelivered, InvocationDetails.DELIVERY_TIMED_OUT),
            ):
                for invocation in invocations:
                    if tx.transition(
                        invocation.command_id,
                        invocation.instance_id,
                        (invocation.details,),
                        invocation.lease,
                        {"details": details, "finished_date": now},
                    ):
                        ended += 1
                        touched.add(invocation.command_id)
                        events.append(
                            self._progress.invocation_event(
                                tx,
                                invocation.command_id,
                                invocation.instance_id,
                                STATUS_OF_DETAILS[details],
                                now,
                            )
                        )
            tx.append_events(events)
            for command_id in sorted(touched):
                self._progress.after_final(tx, command_id)
        return ended
