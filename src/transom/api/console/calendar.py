"""The calendar page's model: the calendar service's blocks laid out in a week (a column per
day, each block placed by its start and end on that day's clock, split at midnight) or a month
(a cell per day, a chip per block that starts on it), in the time zone the viewer picked.

Days are local days of that zone, so a DST day is 23 or 25 hours long and a block's place
on it is its share of that day. Places are percentages; the page's script applies them
(the Content Security Policy allows no inline style)."""

from __future__ import annotations

import bisect
import heapq
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from transom.api.console.rendering import status_class
from transom.domain.errors import ValidationError
from transom.services.calendar import Block, Calendar
from transom.services.container import Services

VIEWS = ("week", "month")
CHIPS_PER_DAY = 5
LIMITS = {"week": 300, "month": 1500}
"""At most this many runs on a page; past it the page says that only the first are shown."""
_TICK = timedelta(microseconds=1)


@dataclass
class Placed:
    """A block (or the part of it on one day) where it is drawn."""

    block: Block
    href: str
    label: str
    """Its times and its window's name."""
    when: str
    """Its times alone ("02:30–05:30"), drawn on a line of their own where chips are narrow."""
    title: str
    css: str
    state: str
    """The run's status, or "scheduled"."""
    top: float = 0.0
    """Where the part on this day starts, in % of the day."""
    height: float = 0.0
    cutoff: float | None = None
    """Where the cutoff falls, in % of the part drawn; None when not on it."""
    lane: int = 0
    lanes: int = 1


@dataclass
class Day:
    day: date
    start: datetime
    end: datetime
    in_month: bool = True
    today: bool = False
    placed: list[Placed] = field(default_factory=list)
    more: int = 0


@cache
def zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def load_viewer_zone(name: str) -> ZoneInfo:
    """The zone the viewer picked; `ValidationError` for a name that is not an IANA zone."""
    if name in zone_names():
        return ZoneInfo(name)
    raise ValidationError(
        f"The time zone {name[:64]!r} is not an IANA time zone; pick one such as "
        "'Europe/Berlin', 'America/New_York' or 'UTC'."
    )


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day begins (when midnight falls in a DST gap, the jump: a time
    in a gap is read with the offset before it)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    """HH:MM in `zone` (as strftime's %H:%M, for less)."""
    local = moment.astimezone(zone)
    return f"{local.hour:02d}:{local.minute:02d}"


def _describe(block: Block, zone: ZoneInfo) -> tuple[str, str, str, str, str, str]:
    """(link, label, times, title, css class, state) of a block."""
    start = block.start.astimezone(zone)
    spec_time = f"{start.hour:02d}:{start.minute:02d}–{_clock(block.end, zone)}"
    execution = block.execution
    if execution is None:
        href = f"/console/windows/{block.window_id}"
        state, css = "scheduled", "coming"
    else:
        href = f"/console/executions/{execution.window_execution_id}"
        state, css = str(execution.status), "ran " + status_class(execution.status)
    title = (
        f"{block.name}: {start:%a %d %b} {spec_time}, no new task after "
        f"{_clock(block.cutoff, zone)} ({zone.key}) · {state}"
    )
    return href, f"{spec_time} {block.name}", spec_time, title, css, state


def _lanes(placed: list[Placed]) -> None:
    """Side by side: each part in the first lane free at its start; every part of a day
    shares that day's lane count. Parts come by start, so a lane free at one part's start
    is free at every later one's until it is taken again."""
    busy: list[tuple[float, int]] = []  # (where the part in it ends, lane)
    free: list[int] = []
    lanes = 0
    for part in sorted(placed, key=lambda p: (p.top, -p.height)):
        while busy and busy[0][0] <= part.top:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            part.lane = heapq.heappop(free)
        else:
            part.lane, lanes = lanes, lanes + 1
        heapq.heappush(busy, (part.top + max(part.height, 2.5), part.lane))
    for part in placed:
        part.lanes = max(1, lanes)


def _place(days: list[Day], blocks: list[Block], zone: ZoneInfo, split: bool) -> None:
    """Put each block on the days it overlaps (`split`: week) or starts on (month); a block
    past a month day's chips is only counted."""
    ends = [day.end for day in days]
    for block in blocks:
        described: tuple[str, str, str, str, str, str] | None = None
        for index in range(bisect.bisect_right(ends, block.start), len(days)):
            day = days[index]
            if day.start >= (block.end if split else block.start + _TICK):
                break
            if not split and len(day.placed) >= CHIPS_PER_DAY:
                day.more += 1
                continue
            if described is None:
                described = _describe(block, zone)
            length = (day.end - day.start).total_seconds()
            start, end = max(block.start, day.start), min(block.end, day.end)
            part = Placed(block, *described)
            part.top = (start - day.start).total_seconds() / length * 100
            part.height = (end - start).total_seconds() / length * 100
            drawn = (end - start).total_seconds()
            if start <= block.cutoff < end and drawn:
                part.cutoff = (block.cutoff - start).total_seconds() / drawn * 100
            day.placed.append(part)
    if split:
        for day in days:
            _lanes(day.placed)


def _days(first: date, count: int, zone: ZoneInfo, today: date) -> list[Day]:
    dates = [first + timedelta(days=n) for n in range(count + 1)]
    return [
        Day(d, midnight(d, zone), midnight(dates[i + 1], zone), today=d == today)
        for i, d in enumerate(dates[:-1])
    ]


def calendar(services: Services, request: Request) -> dict[str, Any]:
    """The calendar page: `view` (week or month), `date` (YYYY-MM-DD, default today), `tz`
    (the viewer's zone, default UTC) and `window` (only that window's runs)."""
    query = request.query_params
    view = query.get("view", "week")
    if view not in VIEWS:
        raise ValidationError(f"The view {view[:16]!r} is not one of: week, month.")
    zone_name = query.get("tz") or "UTC"
    zone = load_viewer_zone(zone_name)
    today = services.calendar.now().astimezone(zone).date()
    try:
        shown = date.fromisoformat(query["date"]) if query.get("date") else today
    except ValueError:
        raise ValidationError(
            f"The date {query['date'][:32]!r} is not a date such as 2030-01-31."
        ) from None
    window_id = query.get("window") or None
    if view == "week":
        first = shown - timedelta(days=shown.weekday())
        days = _days(first, 7, zone, today)
        step = timedelta(days=7)
        previous, following = first - step, first + step
        heading = f"{first:%d %b} – {first + timedelta(days=6):%d %b %Y}"
    else:
        first_of_month = shown.replace(day=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        following = (first_of_month + timedelta(days=32)).replace(day=1)
        weeks = -(-((following - first).days) // 7)
        days = _days(first, weeks * 7, zone, today)
        for day in days:
            day.in_month = day.day.month == first_of_month.month
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        heading = f"{first_of_month:%B %Y}"
    found: Calendar = services.calendar.blocks(
        days[0].start, days[-1].end, window_id, limit=LIMITS[view]
    )
    _place(days, found.blocks, zone, view == "week")
    window_name = services.windows.get(window_id).spec.name if window_id else None
    return {
        "view": view,
        "zone": zone_name,
        "zones": zone_names(),
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "heading": heading,
        "shown": shown,
        "previous": previous,
        "following": following,
        "today": today,
        "window_id": window_id,
        "window_name": window_name,
        "truncated": found.truncated,
        "limit": LIMITS[view],
        "hours": range(24),
    }
