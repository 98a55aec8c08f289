"""The window engine loop: start due occurrences, advance running executions, purge old
history. Every replica runs it; the store decides who does what (see services.scheduler and
services.window_runner)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from transom.domain.clock import Clock
from transom.engine.doorbell import Doorbell, nap
from transom.engine.slow_pass import report_if_slow
from transom.services.history import HistoryService
from transom.services.scheduler import Scheduler
from transom.services.window_runner import WindowRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pacing:
    """How often the loop looks: at most `idle` seconds apart when nothing runs, `busy` while
    executions run (commands ending wake them in the store), re-reading window changes every
    `sync` seconds and purging every `purge` seconds."""

    idle: float = 1.0
    busy: float = 0.2
    sync: float = 1.0
    purge: float = 600.0


class WindowEngine:
    def __init__(
        self,
        scheduler: Scheduler,
        runner: WindowRunner,
        history: HistoryService,
        clock: Clock,
        pacing: Pacing = Pacing(),
        doorbell: Doorbell | None = None,
    ) -> None:
        """`doorbell` rings when an execution is due now (another replica's change, on
        PostgreSQL): the loop looks at once instead of at the end of its wait."""
        self._scheduler = scheduler
        self._runner = runner
        self._history = history
        self._clock = clock
        self._pacing = pacing
        self._doorbell = doorbell or Doorbell()
        self._synced = self._purged = float("-inf")

    def run_once(self) -> float:
        """One pass; the seconds to wait before the next. A slow pass is logged."""
        pacing, mono = self._pacing, time.monotonic()
        synced = mono - self._synced >= pacing.sync
        if synced:
            self._scheduler.sync()
            self._synced = mono
        windows = self._scheduler.tick()
        executions = self._runner.advance_due()
        purged = 0
        if mono - self._purged >= pacing.purge:
            purged = self._history.purge()
            self._purged = mono
        now = self._clock.now()
        wake = self._runner.next_wake()
        delay = pacing.idle if wake is None else pacing.busy
        due = self._scheduler.next_due()
        if due is not None:
            delay = min(delay, (due - now) / timedelta(seconds=1))
        if wake is not None:
            delay = min(delay, (wake - now) / timedelta(seconds=1))
        report_if_slow(
            log,
            "window engine",
            time.monotonic() - mono,
            synced=synced,
            windows_due=windows,
            executions_advanced=executions,
            records_purged=purged,
        )
        return max(delay, 0.01)

    async def run_forever(self) -> None:
        """Pass after pass in a worker thread until cancelled, waiting between them unless
        the doorbell rings; a failed pass is logged and retried after a second."""
        wake = self._doorbell.attach()
        while True:
            wake.clear()  # before the pass: a ring during it brings the next one forward
            try:
                delay = await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("window engine pass failed; trying again")
                delay = 1.0
            await nap(wake, delay)
