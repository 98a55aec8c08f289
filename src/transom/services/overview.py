"""What the console shows at a glance: the fleet's ping statuses, the executions running now
with their progress, the failures of the last day, and each window with its schedule in plain
words, its next run and its last status. Reads only, from the store when asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.executions import ACTIVE, ERRORS, WindowExecution
from transom.domain.windows import Window
from transom.events.transom_events import CONNECTION_LOST, ONLINE
from transom.schedule.explain import describe_schedule
from transom.services.windows import WindowService, timetable
from transom.store.port import Store

RECENT = timedelta(hours=24)
"""How far back the overview looks for failures."""
INACTIVE = "Inactive"
"""The ping status the overview gives deregistered nodes."""
MAX_RECENT = 1000
"""At most this many of the latest executions are read for the failures."""


@dataclass(frozen=True)
class Running:
    """An execution still running, with how many of its planned tasks have ended."""

    execution: WindowExecution
    window_name: str
    tasks_done: int
    tasks_planned: int


@dataclass(frozen=True)
class Failure:
    execution: WindowExecution
    window_name: str


@dataclass(frozen=True)
class NextRun:
    window_id: str
    name: str
    run: datetime


@dataclass(frozen=True)
class Overview:
    nodes: dict[str, int]
    """Nodes by ping status: Online and ConnectionLost (registered), Inactive (deregistered,
    kept for their history)."""
    running: list[Running]
    """Oldest first."""
    failures: list[Failure]
    """Executions FAILED or TIMED_OUT that started in the last `RECENT`, newest first."""
    next_runs: list[NextRun]
    """The next run of each of the enabled windows that run soonest, soonest first."""


@dataclass(frozen=True)
class WindowRow:
    """A window as listed: its schedule in plain words (the text of `transom schedule
    explain`), its next run (None: disabled or none left) and its latest execution."""

    window: Window
    schedule_text: str
    next_run: datetime | None
    last: WindowExecution | None


@dataclass(frozen=True)
class WindowRows:
    rows: list[WindowRow]
    matching: int
    """How many windows match, shown or not."""


def explain(window: Window) -> str:
    """The window's schedule in plain words, in its zone, with its offset."""
    spec = window.spec
    placed = timetable(spec, window.schedule_changed_date)
    return describe_schedule(placed.schedule, spec.schedule_timezone, spec.schedule_offset)


class OverviewService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        windows: WindowService,
        ping_timeout: timedelta,
    ) -> None:
        self._store = store
        self._clock = clock
        self._windows = windows
        self._ping_timeout = ping_timeout

    def overview(self, next_runs: int = 10) -> Overview:
        """The overview now, with the next run of each of the `next_runs` enabled windows
        that run soonest."""
        now = self._clock.now()
        windows = self._windows.every()
        with self._store.read() as tx:
            online, lost, inactive = tx.count_nodes(now - self._ping_timeout)
            names = {w.window_id: w.spec.name for w in windows}
            active = tx.active_window_executions()
            tasks = tx.task_executions_of([e.window_execution_id for e in active])
            recent = tx.list_window_executions(None, now - RECENT, None, None, MAX_RECENT)
        done: dict[str, int] = {}
        for task in tasks:
            if task.status not in ACTIVE:
                done[task.window_execution_id] = done.get(task.window_execution_id, 0) + 1
        running = [
            Running(
                e,
                names.get(e.window_id, e.window_id),  # a window made since `windows` was read
                done.get(e.window_execution_id, 0),
                len(e.plan),
            )
            for e in sorted(active, key=lambda e: e.start_time)
        ]
        failures = [
            Failure(e, names.get(e.window_id, e.window_id))
            for e in recent.items
            if e.status in ERRORS
        ]
        return Overview(
            nodes={ONLINE: online, CONNECTION_LOST: lost, INACTIVE: inactive},
            running=running,
            failures=failures,
            # one line per window, not one per occurrence: a window that runs every minute
            # would otherwise fill the list and hide every other window
            next_runs=[
                NextRun(w.window_id, w.spec.name, run)
                for run, w in self._windows.upcoming()[:next_runs]
            ],
        )

    def window_rows(self, search: str = "", offset: int = 0, limit: int = 100) -> WindowRows:
        """The windows whose name, id or description contains `search` (ignoring case), in
        creation order: `limit` of them from the `offset`th, and how many match."""
        needle = search.strip().casefold()
        matching = [
            w
            for w in self._windows.every()
            if not needle
            or needle in w.spec.name.casefold()
            or needle in w.window_id
            or needle in (w.spec.description or "").casefold()
        ]
        shown = matching[offset : offset + limit]
        with self._store.read() as tx:
            latest = tx.latest_window_executions([w.window_id for w in shown])
        rows = [
            WindowRow(w, explain(w), self._windows.next_run(w), latest.get(w.window_id))
            for w in shown
        ]
        return WindowRows(rows, len(matching))
