"""Use cases for maintenance windows: create, read, update, delete, list, next run."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from transom.domain.clock import Clock
from transom.domain.errors import DoesNotExistError, ResourceLimitExceededError, ValidationError
from transom.domain.events import Realm
from transom.domain.ids import new_window_id
from transom.domain.quotas import Quotas
from transom.domain.windows import Tag, Window, WindowQuery, WindowSpec
from transom.events import systems_manager as ssm_events
from transom.schedule import (
    Timetable,
    format_aws_datetime,
    load_zone,
    parse_iso_datetime,
    parse_schedule,
)
from transom.schedule.explain import describe_schedule
from transom.services import idempotency
from transom.services.tag_rules import check_tags
from transom.services.target_rules import registered_instance_ids, unassociated_instances
from transom.store.port import Store, Transaction
from transom.store.ports.paging import Page

WINDOW_RESOURCE = "MaintenanceWindow"
_REPLACE_REQUIRED = ("name", "schedule", "duration", "cutoff", "allow_unassociated_targets")
_NEXT_RUN_CACHE_SIZE = 100_000
_SCAN_PAGE = 500
_TIMETABLE_FIELDS = ("schedule", "schedule_timezone", "schedule_offset", "start_date", "end_date")


def _refuse_unassociated_tasks(tx: Transaction, window_id: str) -> None:
    """`ValidationError` naming a task of the window that targets an instance no window target
    registers: the window cannot then require registered targets."""
    registered = registered_instance_ids([t.spec.targets for t in tx.list_targets(window_id)])
    for task in tx.list_tasks(window_id):
        unregistered = unassociated_instances(task.spec.targets, registered)
        if unregistered:
            raise ValidationError(
                f"Task {task.window_task_id} targets instance {unregistered[0]}, which is not a "
                "registered target of this window, so AllowUnassociatedTargets cannot be false: "
                "register the instance with RegisterTargetWithMaintenanceWindow, or update or "
                "deregister the task first."
            )


def timetable(spec: WindowSpec, changed_at: datetime) -> Timetable:
    """The spec placed in time; `ValidationError` for a bad schedule, zone, offset or date."""
    return Timetable(
        schedule=parse_schedule(spec.schedule),
        changed_at=changed_at,
        zone=load_zone(spec.schedule_timezone),
        offset_days=spec.schedule_offset,
        start_date=None
        if spec.start_date is None
        else parse_iso_datetime(spec.start_date, "StartDate"),
        end_date=None if spec.end_date is None else parse_iso_datetime(spec.end_date, "EndDate"),
    )


def check_window_spec(spec: WindowSpec, changed_at: datetime) -> None:
    """Raise `ValidationError` unless the spec obeys the semantic rules of SPEC.md §b.1."""
    placed = timetable(spec, changed_at)
    if spec.cutoff >= spec.duration:
        raise ValidationError(
            f"Cutoff was {spec.cutoff} but must be smaller than Duration ({spec.duration}): "
            f"set Cutoff to at most {spec.duration - 1} hours or lengthen Duration."
        )
    if placed.start_date and placed.end_date and placed.end_date <= placed.start_date:
        raise ValidationError(
            f"EndDate {spec.end_date} must be later than StartDate {spec.start_date}."
        )


def every_window(tx: Transaction, query: WindowQuery) -> list[Window]:
    """Every window the query selects, in creation order (read a page at a time)."""
    found: list[Window] = []
    position: int | None = None
    while True:
        page = tx.list_windows(query, position, _SCAN_PAGE)
        found += page.items
        if page.next_after is None:
            return found
        position = page.next_after


def _missing(window_id: str) -> DoesNotExistError:
    return DoesNotExistError(f"Maintenance window {window_id} does not exist")


def require_window(tx: Transaction, window_id: str) -> Window:
    """The window, or `DoesNotExistError`."""
    window = tx.get_window(window_id)
    if window is None:
        raise _missing(window_id)
    return window


class WindowService:
    """Windows. A window's creation, and a change of Enabled, emit a window state-change
    event; deleting a window emits DISABLED if it was enabled, and DEREGISTERED for each of
    its targets and tasks (they go with it)."""

    def __init__(self, store: Store, clock: Clock, quotas: Quotas, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._quotas = quotas
        self._realm = realm
        # window (the whole record: two changes may share a modified date) -> (next run, its
        # AWS string): a run stays next until it passes
        self._next_runs: dict[Window, tuple[datetime | None, str | None]] = {}
        self._timetables: dict[Window, Timetable] = {}
        # (the store's windows version, every window read after reading it)
        self._every: tuple[int, tuple[Window, ...]] = (-1, ())
        # (the windows of `every`, the next run of each of them that has one, soonest first)
        self._upcoming: tuple[tuple[Window, ...], list[tuple[datetime, Window]]] = ((), [])

    def create(self, spec: WindowSpec, tags: Sequence[Tag], client_token: str | None) -> str:
        """Create an enabled window with its tags; the same token and request give the same id."""
        spec = dataclasses.replace(spec, enabled=True)
        now = self._clock.now()
        check_window_spec(spec, now)
        check_tags(tags, set(), self._quotas.tags_per_resource, "A maintenance window")
        digest = idempotency.fingerprint([dataclasses.asdict(spec), [vars(t) for t in tags]])

        def create(tx: Transaction) -> str:
            if tx.count_windows() >= self._quotas.windows:
                raise ResourceLimitExceededError(
                    f"You have reached the quota of {self._quotas.windows} maintenance windows. "
                    "Delete windows you no longer need, or raise the quota "
                    "(transom server --max-windows)."
                )
            window = Window(new_window_id(), spec, now, now, now)
            tx.insert_window(window)
            tx.put_tags(WINDOW_RESOURCE, window.window_id, tags)
            tx.append_events([ssm_events.window_state(self._realm, window.window_id, True, now)])
            return window.window_id

        return idempotency.create_once(
            self._store, "CreateMaintenanceWindow", client_token, digest, now, create
        )

    def preview(self, spec: WindowSpec, count: int) -> tuple[str, list[tuple[datetime, str]]]:
        """The schedule of a window with `spec` made now, in plain words, and its first
        `count` runs (each as an instant and as AWS's date string in its zone); the
        `ValidationError` creating it would raise."""
        now = self._clock.now()
        check_window_spec(spec, now)
        placed = timetable(spec, now)
        text = describe_schedule(placed.schedule, spec.schedule_timezone, spec.schedule_offset)
        runs = list(itertools.islice(placed.occurrences(now), count))
        return text, [(run, format_aws_datetime(run, placed.zone)) for run in runs]

    def get(self, window_id: str) -> Window:
        with self._store.read() as tx:
            return require_window(tx, window_id)

    def update(self, window_id: str, changes: Mapping[str, Any], replace: bool) -> Window:
        """Apply the given fields (PATCH), or with `replace` set them all, resetting the rest."""
        with self._store.write() as tx:
            current = require_window(tx, window_id)
            if replace:
                missing = [name for name in _REPLACE_REQUIRED if changes.get(name) is None]
                if missing:
                    raise ValidationError(
                        "Replace=true needs every field that CreateMaintenanceWindow requires; "
                        "missing: " + ", ".join(_wire_name(m) for m in missing) + "."
                    )
                spec = WindowSpec(**{"enabled": current.spec.enabled, **changes})
            else:
                spec = dataclasses.replace(current.spec, **changes)
            now = self._clock.now()
            changed = any(getattr(spec, f) != getattr(current.spec, f) for f in _TIMETABLE_FIELDS)
            check_window_spec(spec, now)
            if current.spec.allow_unassociated_targets and not spec.allow_unassociated_targets:
                _refuse_unassociated_tasks(tx, window_id)
            window = Window(
                window_id,
                spec,
                current.created_date,
                now,
                now if changed else current.schedule_changed_date,
            )
            tx.update_window(window)
            if spec.enabled != current.spec.enabled:
                tx.append_events(
                    [ssm_events.window_state(self._realm, window_id, spec.enabled, now)]
                )
        return window

    def delete(self, window_id: str) -> None:
        """Delete the window with its targets, tasks and tags; an unknown id is not an error."""
        now = self._clock.now()
        with self._store.write() as tx:
            window = tx.get_window(window_id)
            if window is None:
                return
            realm = self._realm
            events = [
                ssm_events.target_registration(realm, window_id, t.window_target_id, False, now)
                for t in tx.list_targets(window_id)
            ] + [
                ssm_events.task_registration(realm, window_id, t.window_task_id, False, now)
                for t in tx.list_tasks(window_id)
            ]
            if window.spec.enabled:
                events.append(ssm_events.window_state(self._realm, window_id, False, now))
            tx.delete_window(window_id)
            tx.append_events(events)

    def every(self) -> tuple[Window, ...]:
        """Every window in creation order, as committed (by any replica) when asked. Kept
        between calls: read again only when the store's windows version changed since the
        last read (one primary-key read otherwise)."""
        with self._store.read() as tx:
            version = tx.windows_version()
            kept = self._every
            if kept[0] == version:
                return kept[1]
            windows = tuple(every_window(tx, WindowQuery()))
        # read after the version: as new as it or newer, so right while it holds
        self._every = (version, windows)
        return windows

    def upcoming(self) -> list[tuple[datetime, Window]]:
        """The next run of every enabled window that has one after now, with the window,
        soonest first (then by id). Kept while no window changed and the soonest run is
        still ahead; the caller must not change it."""
        windows = self.every()
        now = self._clock.now()
        kept_windows, runs = self._upcoming
        if kept_windows is windows and (not runs or runs[0][0] > now):
            return runs
        runs = sorted(
            ((run, w) for w in windows if (run := self.next_run(w)) is not None),
            key=lambda pair: (pair[0], pair[1].window_id),
        )
        self._upcoming = (windows, runs)
        return runs

    def describe(self, query: WindowQuery, after: int | None, limit: int) -> Page[Window]:
        with self._store.read() as tx:
            return tx.list_windows(query, after, limit)

    def next_execution_time(self, window: Window) -> str | None:
        """The next run after now in AWS's offset-date-time form, in the window's zone;
        None when the window is disabled or no run is left (SPEC.md §c.6, §c.7)."""
        return self._next_run(window)[1]

    def next_run(self, window: Window) -> datetime | None:
        """The instant of the next run after now; None as for `next_execution_time`."""
        return self._next_run(window)[0]

    def timetable_of(self, window: Window) -> Timetable:
        """The window's timetable (`timetable`), kept for the window as it is: any change
        to it makes another record."""
        placed = self._timetables.get(window)
        if placed is None:
            placed = timetable(window.spec, window.schedule_changed_date)
            if len(self._timetables) >= _NEXT_RUN_CACHE_SIZE:
                self._timetables.clear()
            self._timetables[window] = placed
        return placed

    def _next_run(self, window: Window) -> tuple[datetime | None, str | None]:
        if not window.spec.enabled:
            return None, None
        now = self._clock.now()
        cached = self._next_runs.get(window)
        if cached is None or (cached[0] is not None and cached[0] <= now):
            placed = self.timetable_of(window)
            run = placed.next_after(now)
            cached = (run, None if run is None else format_aws_datetime(run, placed.zone))
            if len(self._next_runs) >= _NEXT_RUN_CACHE_SIZE:
                self._next_runs.clear()
            self._next_runs[window] = cached
        return cached


def _wire_name(field: str) -> str:
    return "".join(part.capitalize() for part in field.split("_"))
