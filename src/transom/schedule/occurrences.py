"""When a window runs: its schedule placed in time by zone, offset, start and end dates.

Rules (SPEC §c.3-§c.6, Appendix B items 5 and 11):
- Nothing runs at or before `changed_at`, the creation or last schedule change of the window.
- cron: fields match the wall clock of `zone`; local times map to instants by the DST rule of
  `transom.schedule.zones` (a time in a gap runs when the clock jumps, a repeated time runs at
  its first occurrence). With `offset_days`, each cron match strictly after `changed_at` runs
  that many days later at the same wall time; a match at or before `changed_at` is never
  shifted into the future.
- rate: `anchor + k * interval`. The anchor is StartDate when it is later than `changed_at`
  (first run at StartDate, k >= 0), else `changed_at` (first run one interval later, k >= 1).
  The zone does not change the spacing.
- at: one run at its wall time read in `zone` (UTC by default).
- No run is before StartDate, after EndDate, or outside the years 1970 to 2199 (UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from transom.domain.errors import ValidationError
from transom.schedule.at import AtSchedule
from transom.schedule.cron import CronSchedule
from transom.schedule.expression import Schedule
from transom.schedule.rate import RateSchedule
from transom.schedule.zones import UTC_ZONE, local_to_instant, wall_time

MAX_OFFSET_DAYS = 6
_HORIZON = datetime(2200, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1969, 12, 31, tzinfo=UTC)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Timetable:
    """A window's schedule with everything that places it in time.

    All datetimes are aware. `offset_days` is ScheduleOffset (None, or 1..6 with a cron
    schedule); construction raises ValidationError otherwise.
    """

    schedule: Schedule
    changed_at: datetime
    zone: ZoneInfo = UTC_ZONE
    offset_days: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    def __post_init__(self) -> None:
        for instant in (self.changed_at, self.start_date, self.end_date):
            if instant is not None and instant.utcoffset() is None:
                raise ValueError("Timetable needs aware datetimes")
        if self.offset_days is None:
            return
        if not isinstance(self.schedule, CronSchedule):
            raise ValidationError(
                "ScheduleOffset can only be used with cron schedules; "
                "remove it or use a cron(...) schedule."
            )
        if not 1 <= self.offset_days <= MAX_OFFSET_DAYS:
            raise ValidationError(
                f"ScheduleOffset {self.offset_days} is out of range 1-{MAX_OFFSET_DAYS} (days)."
            )

    def next_after(self, instant: datetime) -> datetime | None:
        """Return the first run strictly after aware `instant`, in UTC, or None if none is left."""
        if instant.utcoffset() is None:
            raise ValueError("next_after needs an aware datetime")
        floor = max(instant, _EARLIEST)
        if self.start_date is not None and self.start_date > floor:
            floor = self.start_date - _TICK
        if floor >= _HORIZON:
            return None
        match self.schedule:
            case CronSchedule():
                run = self._next_cron(self.schedule, floor)
            case RateSchedule():
                run = self._next_rate(self.schedule, floor)
            case AtSchedule():
                run = self._next_at(self.schedule, floor)
        if run is None or run >= _HORIZON or (self.end_date is not None and run > self.end_date):
            return None
        return run

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        """Yield every run strictly after aware `after`, in order, in UTC."""
        run = self.next_after(after)
        while run is not None:
            yield run
            run = self.next_after(run)

    def _next_cron(self, cron: CronSchedule, floor: datetime) -> datetime | None:
        # Wall times map to instants monotonically, so no match at or before either wall time
        # below can qualify; the loop only steps past matches repeated by a fall-back overlap.
        shift = timedelta(days=self.offset_days or 0)
        start = max(wall_time(floor, self.zone) - shift, wall_time(self.changed_at, self.zone))
        local = cron.next_after(start)
        while local is not None:
            base = local_to_instant(local, self.zone)
            run = local_to_instant(local + shift, self.zone) if shift else base
            if base > self.changed_at and run > floor:
                return run
            local = cron.next_after(local)
        return None

    def _next_rate(self, rate: RateSchedule, floor: datetime) -> datetime | None:
        if self.start_date is not None and self.start_date > self.changed_at:
            anchor, first = self.start_date, 0
        else:
            anchor, first = self.changed_at, 1
        steps = max(first, (floor - anchor) // rate.interval + 1)
        if steps * rate.interval >= _HORIZON - anchor:
            return None
        return (anchor + steps * rate.interval).astimezone(UTC)

    def _next_at(self, at: AtSchedule, floor: datetime) -> datetime | None:
        run = local_to_instant(at.local, self.zone)
        return run if run > floor and run > self.changed_at else None
