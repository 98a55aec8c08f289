"""Runs across both DST transitions of Europe/Berlin, America/New_York and Australia/Lord_Howe.

Transitions in 2024 (local wall clock):
- Europe/Berlin: 03-31 02:00 CET -> 03:00 CEST; 10-27 03:00 CEST -> 02:00 CET.
- America/New_York: 03-10 02:00 EST -> 03:00 EDT; 11-03 02:00 EDT -> 01:00 EST.
- Australia/Lord_Howe (30 minutes): 10-06 02:00 -> 02:30 (+10:30 -> +11);
  04-07 02:00 -> 01:30 (+11 -> +10:30).
Expected runs are written as AWS strings in the zone, so each names its instant exactly.
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice

import pytest

from transom.schedule import Timetable, format_aws_datetime, load_zone, parse_schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def runs(
    schedule: str,
    zone: str,
    after: str,
    *,
    changed_at: str = "2024-01-01T00:00:00",
    start_date: str | None = None,
    offset_days: int | None = None,
    count: int = 3,
) -> list[str]:
    timetable = Timetable(
        parse_schedule(schedule),
        changed_at=utc(changed_at),
        zone=load_zone(zone),
        offset_days=offset_days,
        start_date=None if start_date is None else utc(start_date),
    )
    found = islice(timetable.occurrences(utc(after)), count)
    return [format_aws_datetime(run, timetable.zone) for run in found]


CRON = [
    # A time in the gap runs when the clock jumps.
    (
        "cron(30 2 ? * * *)",
        "Europe/Berlin",
        "2024-03-30T00:00:00",
        ["2024-03-30T02:30+01:00", "2024-03-31T03:00+02:00", "2024-04-01T02:30+02:00"],
    ),
    (
        "cron(30 2 ? * * *)",
        "America/New_York",
        "2024-03-09T00:00:00",
        ["2024-03-09T02:30-05:00", "2024-03-10T03:00-04:00", "2024-03-11T02:30-04:00"],
    ),
    (
        "cron(15 2 ? * * *)",
        "Australia/Lord_Howe",
        "2024-10-04T00:00:00",
        ["2024-10-05T02:15+10:30", "2024-10-06T02:30+11:00", "2024-10-07T02:15+11:00"],
    ),
    # Several times in one gap, and the time the clock jumps to, run once.
    (
        "cron(0,30 2,3 ? * * *)",
        "Europe/Berlin",
        "2024-03-31T00:00:00",
        ["2024-03-31T03:00+02:00", "2024-03-31T03:30+02:00", "2024-04-01T02:00+02:00"],
    ),
    (
        "cron(0/10 2 ? * * *)",
        "Australia/Lord_Howe",
        "2024-10-05T15:00:00",
        ["2024-10-06T02:30+11:00", "2024-10-06T02:40+11:00", "2024-10-06T02:50+11:00"],
    ),
    # A repeated time runs once, at its first occurrence.
    (
        "cron(30 2 ? * * *)",
        "Europe/Berlin",
        "2024-10-26T00:00:00",
        ["2024-10-26T02:30+02:00", "2024-10-27T02:30+02:00", "2024-10-28T02:30+01:00"],
    ),
    (
        "cron(30 1 ? * * *)",
        "America/New_York",
        "2024-11-02T00:00:00",
        ["2024-11-02T01:30-04:00", "2024-11-03T01:30-04:00", "2024-11-04T01:30-05:00"],
    ),
    (
        "cron(45 1 ? * * *)",
        "Australia/Lord_Howe",
        "2024-04-05T00:00:00",
        ["2024-04-06T01:45+11:00", "2024-04-07T01:45+11:00", "2024-04-08T01:45+10:30"],
    ),
    (
        "cron(0/15 2 ? * * *)",
        "Europe/Berlin",
        "2024-10-27T00:50:00",
        ["2024-10-28T02:00+01:00", "2024-10-28T02:15+01:00", "2024-10-28T02:30+01:00"],
    ),
    # Asked from inside the second pass, the repeated times are already over.
    (
        "cron(0/15 2,3 ? * * *)",
        "Europe/Berlin",
        "2024-10-27T01:10:00",
        ["2024-10-27T03:00+01:00", "2024-10-27T03:15+01:00", "2024-10-27T03:30+01:00"],
    ),
    (
        "cron(0/10 1,2 ? * * *)",
        "Australia/Lord_Howe",
        "2024-04-06T15:05:00",
        ["2024-04-07T02:00+10:30", "2024-04-07T02:10+10:30", "2024-04-07T02:20+10:30"],
    ),
]


@pytest.mark.parametrize(("schedule", "zone", "after", "expected"), CRON)
def test_a_cron_schedule_keeps_local_time_across_dst(
    schedule: str, zone: str, after: str, expected: list[str]
) -> None:
    assert runs(schedule, zone, after) == expected


RATE = [
    # No start date: anchored at the schedule change, first run one interval later.
    (
        "rate(30 minutes)",
        "Europe/Berlin",
        "2024-03-30T23:30:00",
        None,
        ["2024-03-31T01:00+01:00", "2024-03-31T01:30+01:00", "2024-03-31T03:00+02:00"],
    ),
    (
        "rate(30 minutes)",
        "Europe/Berlin",
        "2024-10-26T23:30:00",
        None,
        ["2024-10-27T02:00+02:00", "2024-10-27T02:30+02:00", "2024-10-27T02:00+01:00"],
    ),
    (
        "rate(1 hour)",
        "America/New_York",
        "2024-03-10T05:00:00",
        None,
        ["2024-03-10T01:00-05:00", "2024-03-10T03:00-04:00", "2024-03-10T04:00-04:00"],
    ),
    (
        "rate(1 hour)",
        "America/New_York",
        "2024-11-03T04:00:00",
        None,
        ["2024-11-03T01:00-04:00", "2024-11-03T01:00-05:00", "2024-11-03T02:00-05:00"],
    ),
    # A future start date: the first run is at it, then every 24 hours of real time.
    (
        "rate(1 day)",
        "Australia/Lord_Howe",
        "2024-10-01T00:00:00",
        "2024-10-04T15:00:00",
        ["2024-10-05T01:30+10:30", "2024-10-06T01:30+10:30", "2024-10-07T02:00+11:00"],
    ),
    (
        "rate(1 day)",
        "Australia/Lord_Howe",
        "2024-04-01T00:00:00",
        "2024-04-05T15:00:00",
        ["2024-04-06T02:00+11:00", "2024-04-07T01:30+10:30", "2024-04-08T01:30+10:30"],
    ),
]


@pytest.mark.parametrize(("schedule", "zone", "changed_at", "start_date", "expected"), RATE)
def test_a_rate_schedule_keeps_its_spacing_across_dst(
    schedule: str, zone: str, changed_at: str, start_date: str | None, expected: list[str]
) -> None:
    assert (
        runs(schedule, zone, changed_at, changed_at=changed_at, start_date=start_date) == expected
    )


OFFSET = [
    # Friday's run two days later lands in Sunday's gap and runs when the clock jumps.
    (
        "cron(30 2 ? * FRI *)",
        2,
        "Europe/Berlin",
        "2024-03-28T00:00:00",
        ["2024-03-31T03:00+02:00", "2024-04-07T02:30+02:00"],
    ),
    (
        "cron(30 2 ? * FRI *)",
        2,
        "America/New_York",
        "2024-03-07T00:00:00",
        ["2024-03-10T03:00-04:00", "2024-03-17T02:30-04:00"],
    ),
    (
        "cron(15 2 ? * FRI *)",
        2,
        "Australia/Lord_Howe",
        "2024-10-01T00:00:00",
        ["2024-10-06T02:30+11:00", "2024-10-13T02:15+11:00"],
    ),
    # ...or on Sunday's repeated hour, and runs at its first occurrence.
    (
        "cron(30 2 ? * FRI *)",
        2,
        "Europe/Berlin",
        "2024-10-24T00:00:00",
        ["2024-10-27T02:30+02:00", "2024-11-03T02:30+01:00"],
    ),
    (
        "cron(30 1 ? * FRI *)",
        2,
        "America/New_York",
        "2024-10-31T00:00:00",
        ["2024-11-03T01:30-04:00", "2024-11-10T01:30-05:00"],
    ),
    (
        "cron(45 1 ? * FRI *)",
        2,
        "Australia/Lord_Howe",
        "2024-04-01T00:00:00",
        ["2024-04-07T01:45+11:00", "2024-04-14T01:45+10:30"],
    ),
    # A match inside the gap still runs a day later at its own wall time.
    (
        "cron(30 2 ? * SUN *)",
        1,
        "Europe/Berlin",
        "2024-03-25T00:00:00",
        ["2024-04-01T02:30+02:00", "2024-04-08T02:30+02:00"],
    ),
]


@pytest.mark.parametrize(("schedule", "offset_days", "zone", "changed_at", "expected"), OFFSET)
def test_an_offset_schedule_keeps_local_time_across_dst(
    schedule: str, offset_days: int, zone: str, changed_at: str, expected: list[str]
) -> None:
    found = runs(
        schedule, zone, changed_at, changed_at=changed_at, offset_days=offset_days, count=2
    )
    assert found == expected
