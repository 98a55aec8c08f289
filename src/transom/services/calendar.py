"""What the calendar shows: each window's runs as blocks of its duration with the cutoff
marked. Runs that started are read from the history, with their status; runs to come are
the schedule engine's occurrences (zone, offset, start and end dates, DST) of the enabled
windows, exactly as the scheduler will start them. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.executions import WindowExecution
from transom.domain.windows import Window, WindowQuery
from transom.schedule import cutoff_at, window_end
from transom.services.windows import every_window, require_window, timetable
from transom.store.port import Store, Transaction

LONGEST_RUN = timedelta(hours=24)
"""The longest Duration: a run that overlaps a span started at most this long before it."""
MAX_BLOCKS = 4000
"""At most this many blocks in one answer; past it `Calendar.truncated` is set."""
_PAGE = 500


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
    """More blocks overlap the span than MAX_BLOCKS (the first of them are kept)."""
    windows: dict[str, Window]
    """The windows looked at, by id."""


class CalendarService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    def blocks(
        self, start: datetime, end: datetime, window_id: str | None = None, past: bool = True
    ) -> Calendar:
        """The runs that overlap [start, end): with `past`, those that started (any window
        that still exists, or only `window_id`); then the occurrences after now of the enabled
        windows (or only `window_id`; unknown: `DoesNotExistError`)."""
        now = self._clock.now()
        with self._store.read() as tx:
            if window_id is None:
                windows = every_window(tx, WindowQuery())
            else:
                windows = [require_window(tx, window_id)]
            ran = self._ran(tx, windows, window_id, start, end) if past and start <= now else []
        coming = self._coming(windows, start, end, now)
        blocks = sorted(ran + coming, key=lambda b: (b.start, b.window_id))
        by_id = {w.window_id: w for w in windows}
        return Calendar(blocks[:MAX_BLOCKS], len(blocks) > MAX_BLOCKS, by_id)

    def _ran(
        self,
        tx: Transaction,
        windows: list[Window],
        window_id: str | None,
        start: datetime,
        end: datetime,
    ) -> list[Block]:
        names = {w.window_id: w.spec.name for w in windows}
        found: list[Block] = []
        position: int | None = None
        while len(found) <= MAX_BLOCKS:
            page = tx.list_window_executions(window_id, start - LONGEST_RUN, end, position, _PAGE)
            found += [
                Block(e.window_id, names[e.window_id], e.start_time, e.window_end, e.cutoff_at, e)
                for e in page.items
                if e.window_id in names and e.start_time < end and e.window_end > start
            ]
            if page.next_after is None:
                break
            position = page.next_after
        return found

    def _coming(
        self, windows: list[Window], start: datetime, end: datetime, now: datetime
    ) -> list[Block]:
        found: list[Block] = []
        for window in windows:
            spec = window.spec
            if not spec.enabled:
                continue
            placed = timetable(spec, window.schedule_changed_date)
            span = timedelta(hours=spec.duration)
            for run in placed.occurrences(max(start - span, now)):
                if run >= end or len(found) > MAX_BLOCKS:
                    break
                found.append(
                    Block(
                        window.window_id,
                        spec.name,
                        run,
                        window_end(run, spec.duration),
                        cutoff_at(run, spec.duration, spec.cutoff),
                        None,
                    )
                )
        return found
