"""Starting window executions: one per scheduled occurrence, exactly once, and by hand.

Each enabled window has a cursor: the next occurrence not yet handled. Handling an occurrence
moves the cursor by compare-and-set in the same transaction that records the execution, and
the store refuses a second execution for the same (window, scheduled time), so replicas and
restarts never start an occurrence twice. After downtime, each occurrence missed is recorded:
started late while its cutoff has not passed, else TIMED_OUT as missed; one that finds the
window still running is SKIPPED_OVERLAPPING (SPEC.md §d.1).

Each execution recorded emits its execution state-change event in the same transaction, and
each missed occurrence a `transom` occurrence-missed event too; once the transaction has
committed, each is logged (`services.window_log`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.domain.events import Event, Realm
from transom.domain.executions import ExecutionStatus, PlannedTask, WindowExecution
from transom.domain.ids import new_uuid
from transom.domain.windows import Window, WindowTask
from transom.events import systems_manager as ssm_events
from transom.events import transom_events
from transom.schedule.duration import cutoff_at, window_end
from transom.schedule.timestamps import format_aws_datetime
from transom.services import window_log
from transom.services.run_state import ConcurrentChange
from transom.services.windows import require_window, timetable
from transom.store.port import Store
from transom.store.ports.changes import Change

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(seconds=10)
"""A run starting later than this after its scheduled time says so in its status details."""
BATCH = 200
"""Due windows handled in one transaction."""
MAX_CATCH_UP = 1000
"""At most this many past occurrences of one window are recorded per pass (more follow)."""


class Scheduler:
    def __init__(self, store: Store, clock: Clock, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._realm = realm

    def sync(self) -> None:
        """Give new, re-enabled and modified windows a cursor at their next occurrence after
        the change; drop the cursors of deleted and disabled windows. Writes only when
        something changed."""
        with self._store.read() as tx:
            if not tx.unsynced_windows() and not tx.stale_cursors():
                return
        with self._store.write() as tx:
            tx.lock("scheduler-sync")  # replicas must not both insert a window's cursor
            tx.drop_stale_cursors()
            for window_id in tx.unsynced_windows():
                window = tx.get_window(window_id)
                if window is None:
                    continue
                try:
                    due = timetable(window.spec, window.schedule_changed_date).next_after(
                        window.modified_date
                    )
                except ValidationError:
                    log.exception("window %s has a schedule Transom cannot place", window_id)
                    due = None
                tx.set_cursor(window_id, due, window.modified_date)

    def next_due(self) -> datetime | None:
        with self._store.read() as tx:
            return tx.next_cursor_due()

    def tick(self) -> int:
        """Record every occurrence due by now, `BATCH` windows per transaction; how many
        windows were handled. When a batch fails, its windows are handled one by one, and a
        window that fails alone is logged and left unscheduled until it is modified."""
        now = self._clock.now()
        with self._store.read() as tx:
            due = tx.due_cursors(now)
        handled = 0
        for start in range(0, len(due), BATCH):
            batch = due[start : start + BATCH]
            try:
                handled += self._fire(batch, now)
            except Exception:
                log.info("a batch of due windows failed; starting them one by one")
                for window_id, due_at in batch:
                    handled += self._fire_alone(window_id, due_at, now)
        return handled

    def _fire_alone(self, window_id: str, due_at: datetime, now: datetime) -> int:
        try:
            return self._fire([(window_id, due_at)], now)
        except Exception:
            log.exception(
                "could not start window %s for %s; it is not scheduled again until it is modified",
                window_id,
                due_at,
            )
            with self._store.write() as tx:
                tx.advance_cursor(window_id, due_at, None)
            return 0

    def _fire(self, due: list[tuple[str, datetime]], now: datetime) -> int:
        """Record the due occurrences of these windows and move their cursors, in one
        transaction. A cursor another scheduler moved since `due` was read is skipped (it is
        read again under the windows' locks); `ConcurrentChange` if one moves regardless."""
        ids = [window_id for window_id, _ in due]
        with self._store.write() as tx:
            tx.lock_all([f"window-run:{window_id}" for window_id in ids])
            still_due = set(tx.due_cursors(now))
            due = [d for d in due if d in still_due]
            windows = {w.window_id: w for w in tx.windows_of(ids)}
            active = {e.window_id: e for e in tx.active_window_executions_of(ids)}
            tasks: dict[str, list[WindowTask]] = {}
            for task in tx.tasks_of(ids):
                tasks.setdefault(task.window_id, []).append(task)
            moves: list[tuple[str, datetime, datetime | None]] = []
            executions: list[WindowExecution] = []
            for window_id, due_at in due:
                window = windows.get(window_id)
                if window is None or not window.spec.enabled:
                    continue  # deleted or disabled meanwhile: `sync` drops its cursor
                runs, following = _runs(window, due_at, now)
                moves.append((window_id, due_at, following))
                for scheduled in runs:
                    execution = _record(
                        window, scheduled, now, active.get(window_id), tasks.get(window_id, [])
                    )
                    executions.append(execution)
                    if execution.status is ExecutionStatus.PENDING:
                        active[window_id] = execution
            if tx.advance_cursors(moves) != len(moves):
                raise ConcurrentChange("another scheduler moved a cursor; trying again")
            tx.insert_window_executions(executions)
            tx.append_events(self._recorded(executions, now))
        window_log.recorded(executions)
        return len(moves)

    def run_now(self, window_id: str) -> str:
        """Start an execution of the window at once, outside its schedule (enabled or not);
        its id. Refused while an execution of the window is still running."""
        now = self._clock.now()
        with self._store.write() as tx:
            tx.lock(f"window-run:{window_id}")
            window = require_window(tx, window_id)
            active = tx.active_window_execution(window_id)
            if active is not None:
                raise ValidationError(
                    f"Window {window_id} is already running (execution "
                    f"{active.window_execution_id}); wait for it to end or cancel it with "
                    "CancelMaintenanceWindowExecution."
                )
            execution = WindowExecution(
                window_execution_id=new_uuid(),
                window_id=window_id,
                status=ExecutionStatus.PENDING,
                status_details="Started by hand (transom window run).",
                start_time=now,
                end_time=None,
                scheduled_time=None,
                window_end=window_end(now, window.spec.duration),
                cutoff_at=cutoff_at(now, window.spec.duration, window.spec.cutoff),
                plan=_plan(tx.list_tasks(window_id)),
                wake_at=now,
            )
            tx.insert_window_executions([execution])
            tx.append_events(self._recorded([execution], now))
            tx.announce(Change.WINDOWS)
        window_log.started(execution)
        return execution.window_execution_id

    def _recorded(self, executions: list[WindowExecution], now: datetime) -> list[Event]:
        """The events of executions just recorded: each one's state, and each missed
        occurrence (recorded TIMED_OUT) as missed."""
        events = []
        for execution in executions:
            events.append(ssm_events.window_execution(self._realm, execution, now))
            if execution.status is ExecutionStatus.TIMED_OUT:
                events.append(transom_events.occurrence_missed(self._realm, execution, now))
        return events


def _plan(tasks: list[WindowTask]) -> tuple[PlannedTask, ...]:
    """The tasks (in registration order) by priority, registration order within one."""
    ordered = sorted(enumerate(tasks), key=lambda p: (p[1].spec.priority, p[0]))
    return tuple(PlannedTask(t.window_task_id, t.spec.priority) for _, t in ordered)


def _runs(
    window: Window, due_at: datetime, now: datetime
) -> tuple[list[datetime], datetime | None]:
    """The window's occurrences from `due_at` to `now` (at most MAX_CATCH_UP), and the one
    after them."""
    placed = timetable(window.spec, window.schedule_changed_date)
    runs: list[datetime] = []
    run: datetime | None = due_at
    while run is not None and run <= now and len(runs) < MAX_CATCH_UP:
        runs.append(run)
        run = placed.next_after(run)
    return runs, run


def _record(
    window: Window,
    scheduled: datetime,
    now: datetime,
    active: WindowExecution | None,
    tasks: list[WindowTask],
) -> WindowExecution:
    """The execution for the occurrence at `scheduled`, seen at `now` while `active` runs:
    missed past its cutoff, skipped while another runs, else starting (late, if so)."""
    spec = window.spec
    end = window_end(scheduled, spec.duration)
    cutoff = cutoff_at(scheduled, spec.duration, spec.cutoff)
    when = format_aws_datetime(scheduled)
    ended: datetime | None
    if now >= cutoff:
        status, details = (
            ExecutionStatus.TIMED_OUT,
            (
                f"Missed: Transom was not running from the scheduled time {when} until the "
                f"cutoff {format_aws_datetime(cutoff)}, so no task started."
            ),
        )
        start, ended = scheduled, now
    elif active is not None:
        status, details = (
            ExecutionStatus.SKIPPED_OVERLAPPING,
            (
                f"Skipped: execution {active.window_execution_id} of this window was still "
                f"running at the scheduled time {when}."
            ),
        )
        start, ended = now, now
    else:
        late = now - scheduled
        status, start, ended = ExecutionStatus.PENDING, now, None
        details = (
            f"Started {int(late.total_seconds())} s late: Transom was not running at the "
            f"scheduled time {when}."
            if late > LATE_AFTER
            else ""
        )
    return WindowExecution(
        window_execution_id=new_uuid(),
        window_id=window.window_id,
        status=status,
        status_details=details,
        start_time=start,
        end_time=ended,
        scheduled_time=scheduled,
        window_end=end,
        cutoff_at=cutoff,
        plan=_plan(tasks),
        wake_at=now if ended is None else None,
    )
