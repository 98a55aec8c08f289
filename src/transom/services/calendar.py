"""What the calendar shows: each window's runs as blocks of its duration with the cutoff
marked. Runs that started are read from the history, with their status; runs to come are
the schedule engine's occurrences (zone, offset, start and end dates, DST) of the enabled
windows, exactly as the scheduler will start them. Reads only."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from transom.domain.clock import Clock
from transom.domain.windows import Window
from transom.schedule import Timetable, cutoff_at, window_end
from transom.services.windows import WindowService, require_window
from transom.store.port import Store
from transom.store.ports.executions import WindowRun

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
    execution: WindowRun | None


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

    def version(self, window_id: str | None = None) -> int:
        """What the coming runs of every window (or of `window_id`; unknown:
        `DoesNotExistError`) depend on besides the time: the store's windows version.
        Equal versions, equal occurrences."""
        with self._store.read() as tx:
            if window_id is not None:
                require_window(tx, window_id)
            return tx.windows_version()

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
        windows = self._windows.every() if window_id is None else ()
        with self._store.read() as tx:
            if window_id is not None:
                windows = (require_window(tx, window_id),)
            ran: list[Block] = []
            if past and start <= now:
                names = {w.window_id: w.spec.name for w in windows}
                ran = [
                    Block(
                        e.window_id, names[e.window_id], e.start_time, e.window_end, e.cutoff_at, e
                    )
                    for e in tx.window_runs_overlapping(window_id, start, end, limit + 1)
                    if e.window_id in names
                ]
        firsts = self._firsts(windows, window_id is None, start, end, now)
        coming = _merged(firsts, end, self._windows.timetable_of)
        blocks = list(islice(heapq.merge(ran, coming, key=_order), limit + 1))
        by_id = {w.window_id: w for w in windows}
        return Calendar(blocks[:limit], len(blocks) > limit, by_id)

    def _firsts(
        self, windows: Sequence[Window], every: bool, start: datetime, end: datetime, now: datetime
    ) -> list[tuple[datetime, Window]]:
        """The first occurrence after now that overlaps [start, end) of each enabled window
        that has one, soonest first (then by window id). When that is its next run (`every`
        window: from the window service's upcoming runs, kept between requests), a page of
        the coming days computes nothing per window."""
        # hours from now to the span's start: a window lasting at least that long has its
        # next run as its first in the span (if it has one there)
        lead = (start - now).total_seconds() / 3600
        firsts: list[tuple[datetime, Window]] = []
        if every:
            for run, window in self._windows.upcoming():
                if run >= end:
                    break
                if lead <= window.spec.duration:
                    firsts.append((run, window))
            if lead <= 0:  # the span is under way: that is every window
                return firsts
        later: list[tuple[datetime, Window]] = []
        for window in windows:
            spec = window.spec
            if not spec.enabled or (every and lead <= spec.duration):
                continue
            if lead <= spec.duration:
                first = self._windows.next_run(window)
            else:
                after = start - timedelta(hours=spec.duration)
                first = self._windows.timetable_of(window).next_after(after)
            if first is not None and first < end:
                later.append((first, window))
        later.sort(key=_first_order)
        return list(heapq.merge(firsts, later, key=_first_order))


def _order(block: Block) -> tuple[datetime, str]:
    return block.start, block.window_id


def _first_order(first: tuple[datetime, Window]) -> tuple[datetime, str]:
    return first[0], first[1].window_id


def _runs(
    window: Window, first: datetime, end: datetime, placed: Callable[[Window], Timetable]
) -> Iterator[Block]:
    """The window's occurrences from `first` (one of them) until `end`, in order."""
    spec = window.spec
    run: datetime | None = first
    while run is not None and run < end:
        yield Block(
            window.window_id,
            spec.name,
            run,
            window_end(run, spec.duration),
            cutoff_at(run, spec.duration, spec.cutoff),
            None,
        )
        run = placed(window).next_after(run)


def _merged(
    firsts: list[tuple[datetime, Window]], end: datetime, placed: Callable[[Window], Timetable]
) -> Iterator[Block]:
    """The runs of each window from its first (`firsts`, in order) until `end`, in order
    (start, then window id). A window's runs are made only once the merge reaches its
    first, so the cost follows how many blocks are taken, not how many windows there are."""
    going: list[tuple[datetime, str, Block, Iterator[Block]]] = []

    def take() -> Block:
        _, _, block, rest = going[0]
        following = next(rest, None)
        if following is None:
            heapq.heappop(going)
        else:
            heapq.heapreplace(going, (following.start, following.window_id, following, rest))
        return block

    for run, window in firsts:
        while going and going[0][:2] < (run, window.window_id):
            yield take()
        runs = _runs(window, run, end, placed)
        block = next(runs)
        heapq.heappush(going, (block.start, block.window_id, block, runs))
    while going:
        yield take()
