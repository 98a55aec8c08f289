"""The calendar's coming runs, merged lazily from each window's first run in the span (its
next run, kept between requests, when the span is under way), are exactly every enabled
window's occurrences after now that overlap the span, by start then window id, up to the
limit: compared with making them all, for spans before, around and after now, as the clock
moves past runs and windows change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.engine.world import World
from tests.support.servers import BACKEND_PARAMS
from transom.schedule import cutoff_at, window_end
from transom.services.container import Services
from transom.services.windows import timetable

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
Run = tuple[datetime, str, datetime, datetime]
"""(start, window id, end, cutoff) of a block."""


def _every_run(services: Services, start: datetime, end: datetime, limit: int) -> list[Run]:
    """The coming runs overlapping [start, end), made one window at a time, all of them."""
    now = services.calendar.now()
    runs: list[Run] = []
    for window in services.windows.every():
        spec = window.spec
        if not spec.enabled:
            continue
        placed = timetable(spec, window.schedule_changed_date)
        after = max(now, start - timedelta(hours=spec.duration))
        for run in placed.occurrences(after):
            if run >= end:
                break
            ends = window_end(run, spec.duration)
            runs.append((run, window.window_id, ends, cutoff_at(run, spec.duration, spec.cutoff)))
    return sorted(runs)[:limit]


def _drawn(services: Services, start: datetime, end: datetime, limit: int) -> list[Run]:
    found = services.calendar.blocks(start, end, past=False, limit=limit)
    return [(b.start, b.window_id, b.end, b.cutoff) for b in found.blocks]


def _spans(now: datetime) -> list[tuple[datetime, datetime]]:
    """Spans under way, about to start, starting after the longest window, and far off."""
    return [
        (now - timedelta(days=1), now + timedelta(days=2)),
        (now - timedelta(hours=1), now + timedelta(hours=7)),
        (now + timedelta(hours=1), now + timedelta(days=1)),
        (now + timedelta(hours=30), now + timedelta(days=4)),
        (now + timedelta(days=40), now + timedelta(days=47)),
    ]


def test_the_coming_runs_are_every_occurrence_in_order(world: World) -> None:
    world.window("rate(30 minutes)", duration=1, cutoff=0, name="half-hourly")
    world.window("cron(15 */2 * * ? *)", duration=3, name="two-hourly")
    world.window("cron(0 3 ? * MON-FRI *)", name="weekdays", schedule_timezone="Europe/Berlin")
    world.window("cron(30 1 ? * SUN *)", duration=24, cutoff=2, name="sunday-all-day")
    world.window("cron(0 22 ? * * *)", duration=6, name="offset", schedule_offset=2)
    ends = world.window("rate(4 hours)", name="ends", end_date="2026-03-03T12:00:00Z")
    off = world.window("cron(0 12 * * ? *)", name="disabled")
    world.services.windows.update(off, {"enabled": False}, replace=False)
    services = world.services
    for step in range(4):
        now = services.calendar.now()
        for start, end in _spans(now):
            for limit in (1, 7, 60, 4000):
                assert _drawn(services, start, end, limit) == _every_run(
                    services, start, end, limit
                ), (step, start, end, limit)
        world.clock.advance(timedelta(hours=5, minutes=20))  # past some runs
        if step == 1:
            services.windows.update(ends, {"schedule": "rate(3 hours)"}, replace=False)
