"""Use cases for what runs when and where: DescribeMaintenanceWindowSchedule and
DescribeMaintenanceWindowsForTarget (SPEC.md §b.15, §b.16, §c.6).

Upcoming runs are generated lazily from each window's `Timetable` and merged in order of
(run time, window id), so a page costs O(windows + page size) however far into the unbounded
future it lies. A page position packs that order into one integer (see `_position`), which the
protocol layer carries in NextToken.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile

from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.domain.windows import ResourceType, TargetList, Window, WindowQuery
from transom.schedule import format_aws_datetime, parse_iso_datetime
from transom.services.nodes import NODE_RESOURCE
from transom.services.target_query import TargetQuery
from transom.services.target_rules import is_instance_ids
from transom.services.windows import require_window, timetable
from transom.store.port import Store
from transom.store.ports.paging import Page

SCHEDULE_FILTERS = ("ScheduledAfter", "ScheduledBefore")
MAX_SCHEDULE_PAGE = 100
_SCAN_PAGE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)
_WINDOW_ID_BITS = 68  # 17 hex digits
SCHEDULE_POSITIONS = 1 << (58 + _WINDOW_ID_BITS)
"""Positions of runs up to the year 9999 (less than 2**58 microseconds after 1970) are below
this."""


@dataclass(frozen=True)
class ScheduledRun:
    """One upcoming run: `run` is the UTC instant, `execution_time` the same instant in AWS's
    offset-date-time form in the window's zone (SPEC.md §c.7)."""

    window_id: str
    name: str
    run: datetime
    execution_time: str


@dataclass(frozen=True)
class ScheduleSpan:
    """Runs at or after `after` and strictly before `before`; None leaves that side open.
    Half-open, so consecutive spans neither miss nor repeat a run."""

    after: datetime | None = None
    before: datetime | None = None


def schedule_span(filters: Mapping[str, Sequence[str]]) -> ScheduleSpan:
    """The span of `ScheduledAfter`/`ScheduledBefore` filters, given as {key: values} with
    keys among SCHEDULE_FILTERS; `ValidationError` unless each has one ISO-8601 value and
    ScheduledBefore is later than ScheduledAfter."""
    bounds: dict[str, datetime] = {}
    for key, values in filters.items():
        if len(values) != 1:
            raise ValidationError(
                f"The {key} filter takes exactly one value, an ISO-8601 date and time such as "
                f"2030-01-01T00:00:00Z; got {len(values)}."
            )
        bounds[key] = parse_iso_datetime(values[0], key)
    span = ScheduleSpan(bounds.get("ScheduledAfter"), bounds.get("ScheduledBefore"))
    if span.after is not None and span.before is not None and span.before <= span.after:
        raise ValidationError(
            f"ScheduledBefore {filters['ScheduledBefore'][0]} must be later than "
            f"ScheduledAfter {filters['ScheduledAfter'][0]}."
        )
    return span


class ScheduleService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def schedule(
        self,
        window_id: str | None,
        resource_type: ResourceType | None,
        targets: TargetList | None,
        span: ScheduleSpan,
        after: int | None,
        limit: int,
    ) -> Page[ScheduledRun]:
        """Upcoming runs of one window, or of every window about the targets (see
        `target_query`), within `span` and never at or before now, ordered by time then
        window id: at most min(limit, MAX_SCHEDULE_PAGE) of them after position `after`.

        Give `window_id` (unknown: `DoesNotExistError`) or `resource_type` with `targets`;
        anything else is a `ValidationError`. Disabled windows have no runs."""
        if window_id is not None:
            if resource_type is not None or targets is not None:
                raise ValidationError(
                    "Give either WindowId, or Targets with ResourceType, not both."
                )
            with self._store.read() as tx:
                windows = [require_window(tx, window_id)]
        elif resource_type is None or targets is None:
            raise ValidationError(
                "Give WindowId, or Targets with ResourceType, to say whose schedule to list."
            )
        else:
            windows = self._windows_about(self._query(resource_type, targets))
        return self._runs_page(windows, span, after, min(limit, MAX_SCHEDULE_PAGE))

    def windows_for_target(self, resource_type: ResourceType, targets: TargetList) -> list[Window]:
        """Every window, enabled or not, about the targets (see `target_query`), in
        creation order."""
        return self._windows_about(self._query(resource_type, targets))

    def _query(self, resource_type: ResourceType, targets: TargetList) -> TargetQuery:
        """The query, with the tags of the registered nodes it names by instance ID."""
        ids = {v for t in targets if is_instance_ids(t["Key"]) for v in t.get("Values", [])}
        with self._store.read() as tx:
            node_tags = {
                i: {tag.key: tag.value for tag in tx.get_tags(NODE_RESOURCE, i)}
                for i in sorted(ids)
                if (node := tx.get_node(i)) is not None and node.deregistered_date is None
            }
        return TargetQuery(resource_type, targets, node_tags)

    def _windows_about(self, query: TargetQuery) -> list[Window]:
        found: list[Window] = []
        position: int | None = None
        with self._store.read() as tx:
            while True:
                page = tx.list_windows(WindowQuery(), position, _SCAN_PAGE)
                found += [
                    window
                    for window in page.items
                    if any(query.selects(t) for t in tx.list_targets(window.window_id))
                    or (
                        query.instance_ids
                        and any(query.names_instance_in(t) for t in tx.list_tasks(window.window_id))
                    )
                ]
                if page.next_after is None:
                    return found
                position = page.next_after

    def _runs_page(
        self, windows: list[Window], span: ScheduleSpan, after: int | None, limit: int
    ) -> Page[ScheduledRun]:
        floor = self._clock.now()
        if span.after is not None:
            floor = max(floor, span.after - _TICK)
        if after is not None:
            floor = max(floor, _just_before(after))
        merged: Iterator[tuple[int, ScheduledRun]] = heapq.merge(
            *(_runs(window, floor, after) for window in windows if window.spec.enabled)
        )
        if span.before is not None:
            before = span.before
            merged = takewhile(lambda item: item[1].run < before, merged)
        found = list(islice(merged, limit + 1))
        page = found[:limit]
        return Page([run for _, run in page], page[-1][0] if len(found) > limit else None)


def _runs(window: Window, floor: datetime, after: int | None) -> Iterator[tuple[int, ScheduledRun]]:
    """The window's runs strictly after `floor` whose position is after `after`, in order."""
    placed = timetable(window.spec, window.schedule_changed_date)
    for run in placed.occurrences(floor):
        position = _position(run, window.window_id)
        if after is None or position > after:
            shown = format_aws_datetime(run, placed.zone)
            yield position, ScheduledRun(window.window_id, window.spec.name, run, shown)


def _position(run: datetime, window_id: str) -> int:
    """(run, window id) as one integer with the same order: the run's microseconds since the
    epoch, then the 68 bits of the window id's 17 hex digits."""
    return (run - _EPOCH) // _TICK << _WINDOW_ID_BITS | int(window_id[3:], 16)


def _just_before(position: int) -> datetime:
    """The instant just before a position's run; `ValidationError` when there is none."""
    try:
        return _EPOCH + (position >> _WINDOW_ID_BITS) * _TICK - _TICK
    except OverflowError:
        raise ValidationError(
            "The NextToken is not valid: pass the NextToken of the previous page unchanged, "
            "or leave it out to start from the first page."
        ) from None
