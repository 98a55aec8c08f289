"""What the calendar shows: each window's runs as blocks of its duration with the cutoff
marked. Runs that started are read from the history, with their status; runs to come are
the schedule engine's occurrences (zone, offset, start and end dates, DST) of the enabled
windows, exactly as the scheduler will start them. Reads only."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from transom.domain.clock import Clock
from transom.domain.executions import WindowExecution
from transom.domain.windows import Window, WindowQuery
from transom.schedule import Timetable, cutoff_at, window_end
from transom.services.windows import WindowService, every_window, require_window, timetable
from transom.store.port import Store

MAX_BLOCKS = 4000
"""At most this many blocks in one answer by default; past it `Calendar.truncated` is set."""


@dataclass(frozen=True)
class Block:
    """One run of a window, from `start` to `end` (UTC); no task starts after `cutoff`.
    `execution` is the run that happened (or is happening), None for one to come."""

    window_id: str
    name: str
    start: datetime
    end: datetime
    cutoff: datetime
    execution: WindowExecution | None


@dataclass(frozen=True)
class Calendar:
    blocks: list[Block]
    """Ordered by start, then window id."""
    truncated: bool
    """More blocks overlap the span than the limit asked for (the first of them are kept)."""
    windows: dict[str, Window]
    """The windows looked at, by id."""


class CalendarService:
    def __init__(self, store: Store, clock: Clock, windows: WindowService) -> None:
        self._store = store
        self._clock = clock
        self._windows = windows

    def now(self) -> datetime:
        return self._clock.now()

    def version(self, window_id: str | None = None) -> tuple[tuple[str, datetime], ...]:
        """What the coming runs of every window (or of `window_id`; unknown:
        `DoesNotExistError`) depend on besides the time: each window's id and when it last
        changed. Equal versions, equal occurrences."""
        with self._store.read() as tx:
            if window_id is None:
                windows = every_window(tx, WindowQuery())
            else:
                windows = [require_window(tx, window_id)]
        return tuple((w.window_id, w.modified_date) for w in windows)

    def blocks(
        self,
        start: datetime,
        end: datetime,
        window_id: str | None = None,
        past: bool = True,
        limit: int = MAX_BLOCKS,
    ) -> Calendar:
        """The first `limit` (by start) runs that overlap [start, end): with `past`, those
        that started (any window that still exists, or only `window_id`); then the
        occurrences after now of the enabled windows (or only `window_id`; unknown:
        `DoesNotExistError`). Each window's occurrences are made lazily and merged in
        order, so the cost follows `limit`, not how many runs the span holds."""
        now = self._clock.now()
        with self._store.read() as tx:
            if window_id is None:
                windows = every_window(tx, WindowQuery())
            else:
                windows = [require_window(tx, window_id)]
            ran: list[Block] = []
            if past and start <= now:
                names = {w.window_id: w.spec.name for w in windows}
                ran = [
                    Block(
                        e.window_id, names[e.window_id], e.start_time, e.window_end, e.cutoff_at, e
                    )
                    for e in tx.window_executions_overlapping(window_id, start, end, limit + 1)
                    if e.window_id in names
                ]
        coming = heapq.merge(
            *(self._coming(w, start, end, now) for w in windows if w.spec.enabled), key=_order
        )
        blocks = list(islice(heapq.merge(ran, coming, key=_order), limit + 1))
        by_id = {w.window_id: w for w in windows}
        return Calendar(blocks[:limit], len(blocks) > limit, by_id)

    def _coming(
        self, window: Window, start: datetime, end: datetime, now: datetime
    ) -> Iterator[Block]:
        """The window's occurrences after now that overlap [start, end), in order. When
        that is every run after now, the first is the window service's next run (kept
        between requests), so a page of the coming days computes little per window."""
        spec = window.spec
        after = start - timedelta(hours=spec.duration)
        placed: Timetable | None = None
        if after <= now:
            run = self._windows.next_run(window)
        else:
            placed = timetable(spec, window.schedule_changed_date)
            run = placed.next_after(after)
        while run is not None and run < end:
            yield Block(
                window.window_id,
                spec.name,
                run,
                window_end(run, spec.duration),
                cutoff_at(run, spec.duration, spec.cutoff),
                None,
            )
            if placed is None:  # made only for a window whose runs are read past the first
                placed = timetable(spec, window.schedule_changed_date)
            run = placed.next_after(run)


def _order(block: Block) -> tuple[datetime, str]:
    return block.start, block.window_id
