"""Timetable: anchors, offsets, start and end dates, at(), the 2199 horizon (SPEC §c.3-§c.6)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import (
    Timetable,
    format_aws_datetime,
    load_zone,
    parse_iso_datetime,
    parse_schedule,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def timetable(
    schedule: str,
    changed_at: str,
    *,
    zone: str | None = None,
    offset_days: int | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
) -> Timetable:
    return Timetable(
        parse_schedule(schedule),
        changed_at=utc(changed_at),
        zone=load_zone(zone),
        offset_days=offset_days,
        start_date=None if start_date is None else parse_iso_datetime(start_date),
        end_date=None if end_date is None else parse_iso_datetime(end_date),
    )


def shown(table: Timetable, after: str, count: int = 3) -> list[str]:
    runs = islice(table.occurrences(utc(after)), count)
    return [format_aws_datetime(run, table.zone) for run in runs]


def test_the_tokyo_rate_example_runs_weekly_from_start_date_until_end_date() -> None:
    table = timetable(
        "rate(7 days)",
        "2018-12-01T00:00:00",
        zone="Asia/Tokyo",
        start_date="2019-01-01T00:03:15+09:00",
        end_date="2019-06-30T00:06:15+09:00",
    )
    runs = [format_aws_datetime(run, table.zone) for run in table.occurrences(table.changed_at)]
    assert len(runs) == 26
    assert runs[:2] == ["2019-01-01T00:03:15+09:00", "2019-01-08T00:03:15+09:00"]
    assert runs[-1] == "2019-06-25T00:03:15+09:00"


def test_the_los_angeles_example_first_runs_on_the_first_wednesday_after_start_date() -> None:
    table = timetable(
        "cron(0 09 ? * WED *)",
        "2020-12-15T00:00:00",
        zone="America/Los_Angeles",
        start_date="2021-01-01T00:00:00-08:00",
    )
    assert shown(table, "2020-12-15T00:00:00", 2) == [
        "2021-01-06T09:00-08:00",
        "2021-01-13T09:00-08:00",
    ]


def test_an_offset_moves_the_third_tuesday_to_the_thursday_after() -> None:
    table = timetable("cron(30 23 ? * TUE#3 *)", "2025-01-01T00:00:00", offset_days=2)
    assert shown(table, "2025-01-01T00:00:00", 2) == ["2025-01-23T23:30Z", "2025-02-20T23:30Z"]


def test_an_offset_never_looks_back_at_a_match_before_the_schedule_change() -> None:
    # The January match (Tue 21st 23:30) is past, though its run (Thu 23rd) would not be.
    table = timetable("cron(30 23 ? * TUE#3 *)", "2025-01-22T00:00:00", offset_days=2)
    assert shown(table, "2025-01-22T00:00:00", 1) == ["2025-02-20T23:30Z"]


def test_an_offset_daily_schedule_runs_every_day_after_the_first_shifted_run() -> None:
    table = timetable("cron(0 3 ? * * *)", "2025-01-01T00:00:00", offset_days=2)
    assert shown(table, "2025-01-01T00:00:00") == [
        "2025-01-03T03:00Z",
        "2025-01-04T03:00Z",
        "2025-01-05T03:00Z",
    ]
    assert shown(table, "2025-01-04T03:00:00", 1) == ["2025-01-05T03:00Z"]


def test_a_rate_without_start_date_first_runs_one_interval_after_the_change() -> None:
    table = timetable("rate(30 minutes)", "2020-02-12T22:49:20.596000")
    assert shown(table, "2020-02-12T22:49:20.596000", 2) == [
        "2020-02-12T23:19:20.596Z",
        "2020-02-12T23:49:20.596Z",
    ]


def test_a_rate_with_a_future_start_date_first_runs_at_start_date() -> None:
    table = timetable("rate(1 hour)", "2025-01-01T00:00:00", start_date="2025-01-02T06:15:00Z")
    assert shown(table, "2025-01-01T00:00:00", 2) == ["2025-01-02T06:15Z", "2025-01-02T07:15Z"]


def test_a_rate_with_a_past_start_date_is_anchored_at_the_change() -> None:
    table = timetable("rate(1 hour)", "2025-01-05T10:20:00", start_date="2025-01-02T06:15:00Z")
    assert shown(table, "2025-01-05T10:20:00", 1) == ["2025-01-05T11:20Z"]


def test_a_rate_stays_on_its_grid_when_asked_long_after_the_anchor() -> None:
    table = timetable("rate(7 days)", "2025-01-01T12:00:00")
    assert shown(table, "2025-03-01T00:00:00", 1) == ["2025-03-05T12:00Z"]
    assert shown(table, "2025-03-05T12:00:00", 1) == ["2025-03-12T12:00Z"]


def test_nothing_runs_at_or_before_the_schedule_change() -> None:
    table = timetable("cron(0 12 ? * * *)", "2025-01-01T12:00:00")
    assert shown(table, "2024-12-01T00:00:00", 1) == ["2025-01-02T12:00Z"]


def test_a_run_exactly_at_start_date_or_end_date_counts() -> None:
    table = timetable(
        "cron(0 12 ? * * *)",
        "2025-01-01T00:00:00",
        start_date="2025-01-03T12:00:00Z",
        end_date="2025-01-05T12:00:00Z",
    )
    assert shown(table, "2025-01-01T00:00:00", 5) == [
        "2025-01-03T12:00Z",
        "2025-01-04T12:00Z",
        "2025-01-05T12:00Z",
    ]


def test_nothing_runs_after_a_past_end_date() -> None:
    table = timetable("rate(1 day)", "2025-01-01T00:00:00", end_date="2024-12-31T00:00:00Z")
    assert table.next_after(utc("2025-01-01T00:00:00")) is None


AT = [
    (None, "2030-07-07T15:55Z"),
    ("America/Chicago", "2030-07-07T15:55-05:00"),
    ("Europe/Berlin", "2030-07-07T15:55+02:00"),
]


@pytest.mark.parametrize(("zone", "expected"), AT)
def test_an_at_schedule_runs_once_at_its_wall_time_in_the_zone(
    zone: str | None, expected: str
) -> None:
    table = timetable("at(2030-07-07T15:55:00)", "2025-01-01T00:00:00", zone=zone)
    assert shown(table, "2025-01-01T00:00:00") == [expected]


def test_an_at_in_the_dst_gap_runs_when_the_clock_jumps() -> None:
    table = timetable("at(2024-03-31T02:30:00)", "2024-01-01T00:00:00", zone="Europe/Berlin")
    assert shown(table, "2024-01-01T00:00:00") == ["2024-03-31T03:00+02:00"]


def test_an_at_in_the_past_never_runs() -> None:
    table = timetable("at(2020-07-07T15:55:00)", "2025-01-01T00:00:00")
    assert table.next_after(utc("2025-01-01T00:00:00")) is None


def test_nothing_runs_after_2199() -> None:
    assert shown(timetable("cron(0 0 1 1 ? *)", "2199-06-01T00:00:00"), "2199-06-01T00:00") == []
    assert shown(timetable("cron(0 0 31 12 ? *)", "2199-06-01T00:00:00"), "2199-06-01") == [
        "2199-12-31T00:00Z"
    ]
    assert shown(timetable("rate(1 day)", "2199-12-30T12:00:00"), "2199-12-30T12:00") == [
        "2199-12-31T12:00Z"
    ]
    assert (
        timetable("rate(999999999 days)", "2025-01-01T00:00:00").next_after(
            utc("2025-01-01T00:00:00")
        )
        is None
    )


def test_an_offset_may_carry_a_2199_match_into_2200_but_it_does_not_run() -> None:
    table = timetable("cron(0 0 31 12 ? *)", "2199-06-01T00:00:00", offset_days=1)
    assert table.next_after(utc("2199-06-01T00:00:00")) is None


def test_runs_are_utc() -> None:
    table = timetable("cron(0 9 ? * * *)", "2024-12-31T00:00:00", zone="Asia/Tokyo")
    run = table.next_after(utc("2024-12-31T00:00:00"))
    assert run == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert run.tzinfo is UTC


@pytest.mark.parametrize(
    ("schedule", "offset_days", "message"),
    [
        (
            "rate(1 day)",
            2,
            "ScheduleOffset can only be used with cron schedules; "
            "remove it or use a cron(...) schedule.",
        ),
        (
            "at(2030-01-01T00:00:00)",
            2,
            "ScheduleOffset can only be used with cron schedules; "
            "remove it or use a cron(...) schedule.",
        ),
        ("cron(0 0 ? * * *)", 0, "ScheduleOffset 0 is out of range 1-6 (days)."),
        ("cron(0 0 ? * * *)", 7, "ScheduleOffset 7 is out of range 1-6 (days)."),
    ],
)
def test_it_refuses_an_offset_that_is_not_1_to_6_days_on_a_cron_schedule(
    schedule: str, offset_days: int, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        timetable(schedule, "2025-01-01T00:00:00", offset_days=offset_days)
    assert raised.value.message == message


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        Timetable(parse_schedule("rate(1 day)"), changed_at=datetime(2025, 1, 1))
    table = timetable("rate(1 day)", "2025-01-01T00:00:00")
    with pytest.raises(ValueError, match="aware"):
        table.next_after(datetime(2025, 1, 1))


def test_it_accepts_start_dates_far_from_today() -> None:
    early = timetable("rate(1 hour)", "2025-01-01T00:00:00", start_date="0001-01-01T00:00:00Z")
    late = timetable("rate(1 hour)", "2025-01-01T00:00:00", start_date="9999-12-31T00:00:00Z")
    assert early.next_after(utc("2025-01-01T00:00:00")) == utc("2025-01-01T01:00:00")
    assert late.next_after(utc("2025-01-01T00:00:00")) is None
    assert early.next_after(utc("0001-01-01T00:00:00")) == utc("2025-01-01T01:00:00")
