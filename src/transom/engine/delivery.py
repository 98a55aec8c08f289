"""The delivery worker loop: claim due deliveries, attempt each in its own task, sleep until
the next is due or the doorbell rings (deliveries enqueued, here or on another replica).
Every replica runs it; leases in the store decide who attempts what (see services.delivery).

One slow or failing endpoint never delays the others: every attempt is its own task with a
timeout, at most `per_subscription` attempts of one subscription are in flight, and while a
subscription has that many its other deliveries are left for later claims.

Store work goes through `calls` (the server's: inline on SQLite, where a worker thread would
wait on the write lock, and in threads on PostgreSQL). Outcomes are recorded at the start of
the next pass, all those finished since in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar, TypeVarTuple

from transom.domain.clock import Clock
from transom.domain.topics import Delivery
from transom.engine.doorbell import Doorbell, nap
from transom.engine.slow_pass import report_if_slow
from transom.services.delivery import DeliveryService, Outcome, Send

log = logging.getLogger(__name__)
T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class Calls(Protocol):
    """Runs a store-bound function, `function(*args)`, for the event loop."""

    def __call__(self, function: Callable[[*Ts], T], /, *args: *Ts) -> Awaitable[T]: ...


async def _in_thread(function: Callable[[*Ts], T], /, *args: *Ts) -> T:
    return await asyncio.to_thread(function, *args)


@dataclass(frozen=True)
class DeliveryPacing:
    concurrency: int = 64
    """Attempts in flight in all."""
    per_subscription: int = 16
    """Attempts in flight to one subscription."""
    idle: float = 2.0
    """The longest sleep: how soon deliveries nobody rang for are noticed."""
    retry: float = 1.0
    """The sleep after a failed pass."""
    grace: float = 5.0
    """How long attempts in flight may go on when the worker stops."""
    recheck: float = 0.05
    """The sleep when deliveries are due but none could be claimed and none is in flight
    (another replica holds them, or they came due during the pass)."""


class DeliveryWorker:
    def __init__(
        self,
        service: DeliveryService,
        send: Send,
        clock: Clock,
        doorbell: Doorbell,
        pacing: DeliveryPacing = DeliveryPacing(),
        calls: Calls = _in_thread,
    ) -> None:
        self._service = service
        self._calls = calls
        self._send = send
        self._clock = clock
        self._doorbell = doorbell
        self._pacing = pacing
        self._in_flight: Counter[str] = Counter()
        self._tasks: dict[asyncio.Task[None], tuple[int, str]] = {}
        """Attempts in flight, each with its delivery's (seq, lease)."""
        self._finished: list[Outcome] = []
        self._started = 0  # attempts started, in all

    async def run_forever(self) -> None:
        """Pass after pass until cancelled. Attempts still in flight after `grace` seconds
        are cancelled and their leases handed back, so that another replica, or this one
        restarted, attempts them again at once (a repeat, with the same message id, if one
        had been sent). Leases that cannot be handed back expire."""
        wake = self._doorbell.attach()
        try:
            while True:
                wake.clear()
                began, recorded, started = time.monotonic(), len(self._finished), self._started
                try:
                    delay = await self._pass(wake)
                except Exception:
                    log.exception("delivery pass failed; trying again")
                    delay = self._pacing.retry
                report_if_slow(
                    log,
                    "delivery",
                    time.monotonic() - began,
                    outcomes_recorded=recorded,
                    attempts_started=self._started - started,
                )
                if delay > 0:
                    await nap(wake, delay)
        finally:
            await self._finish_in_flight()

    async def _finish_in_flight(self) -> None:
        """Give the attempts in flight `grace` seconds to end and record their outcome, then
        cancel the rest and hand their leases back."""
        tasks, cancelled = dict(self._tasks), []
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self._pacing.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            cancelled = [tasks[task] for task in pending]
        try:
            await self._record()
            if cancelled:
                released = await self._calls(self._service.release, cancelled)
                log.info("handed back %d unfinished deliveries", released)
        except Exception:
            log.exception("recording or handing back delivery attempts failed")

    async def _record(self) -> None:
        """Record the outcomes of the attempts finished since the last time; on failure they
        are kept for the next."""
        if not self._finished:
            return
        outcomes, self._finished = self._finished, []
        try:
            await self._calls(self._service.record, outcomes)
        except BaseException:
            self._finished[:0] = outcomes
            raise

    async def _pass(self, wake: asyncio.Event) -> float:
        """Claim and start what is due; the seconds to sleep unless woken."""
        await self._record()
        pacing = self._pacing
        free = pacing.concurrency - len(self._tasks)
        if free <= 0:
            return pacing.idle  # a finishing attempt wakes the loop
        busy = [sid for sid, n in self._in_flight.items() if n >= pacing.per_subscription]
        claim = await self._calls(self._service.claim, free, pacing.per_subscription, busy)
        for delivery in claim.deliveries:
            self._start(delivery, claim.lease, wake)
        if len(claim.deliveries) == free:
            return 0
        due = await self._calls(self._service.next_due)
        if due is None:
            return pacing.idle
        until = (due - self._clock.now()) / timedelta(seconds=1)
        if until > 0:
            return min(until, pacing.idle)
        # Due yet not claimed: its subscription is busy (a finishing attempt wakes the loop),
        # another replica holds it, or it came due during this pass.
        return pacing.idle if self._tasks else pacing.recheck

    def _start(self, delivery: Delivery, lease: str, wake: asyncio.Event) -> None:
        sid = delivery.subscription.subscription_id
        self._in_flight[sid] += 1
        self._started += 1

        async def attempt() -> None:
            try:
                error = await self._service.send(delivery, self._send)
                self._finished.append(Outcome(delivery, lease, error))
            finally:
                self._in_flight[sid] -= 1
                if not self._in_flight[sid]:
                    del self._in_flight[sid]
                wake.set()

        task = asyncio.create_task(attempt())
        self._tasks[task] = (delivery.seq, lease)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        del self._tasks[task]
