"""Time zones, and the DST rule that turns a local wall-clock time into an instant.

The rule (SPEC Appendix B item 11):

- A local time that does not exist, because it falls in a spring-forward gap, runs at the
  instant the wall clock jumps, which is the first valid local time after it. In Europe/Berlin
  on 2024-03-31 the clock jumps from 02:00 to 03:00, so 02:30 runs at 03:00 CEST (01:00 UTC);
  in Australia/Lord_Howe it jumps from 02:00 to 02:30, so 02:10 runs at 02:30. Every time in
  one gap therefore maps to the same instant, and a schedule runs there once. (Java's
  `ZonedDateTime`, quoted in SPEC §c.5, would shift 02:30 by the gap to 03:30; Transom does not.)
- A local time that occurs twice, in a fall-back overlap, runs once, at its first occurrence
  (the earlier offset).

The mapping never decreases as the wall time increases, which is what `Timetable` relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from transom.domain.errors import ValidationError

UTC_ZONE = ZoneInfo("UTC")
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1)


def load_zone(name: str | None) -> ZoneInfo:
    """Return the IANA zone called `name` (UTC when None); raise ValidationError if unknown."""
    if name is None:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"ScheduleTimezone {name!r} is not a valid IANA time zone; "
            "use a name such as 'America/Los_Angeles', 'Europe/Berlin' or 'UTC'."
        ) from None


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """Return the naive wall-clock time in `zone` at the aware `instant`."""
    return instant.astimezone(zone).replace(tzinfo=None)


def local_to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """Return the aware UTC instant at which naive wall time `local` in `zone` runs (see above)."""
    if local.fold:
        local = local.replace(fold=0)
    earlier = zone.utcoffset(local)
    later = zone.utcoffset(local.replace(fold=1))
    assert earlier is not None
    assert later is not None
    if earlier >= later:  # an ordinary time, or an overlap: take the first occurrence
        return (local - earlier).replace(tzinfo=UTC)
    return _transition(local - later, local - earlier, later, zone)


def _transition(before: datetime, after: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """Return the first UTC instant in (before, after] whose offset in `zone` is `offset`.

    `before` and `after` are naive UTC; the zone changes offset exactly once between them.
    Transitions fall on whole seconds, so a binary search over seconds finds it exactly.
    """
    low = (before - _EPOCH) // _ONE_SECOND
    high = -((_EPOCH - after) // _ONE_SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
