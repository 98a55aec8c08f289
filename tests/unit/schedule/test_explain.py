"""Plain-English descriptions of schedules: one row per shape of expression."""

from __future__ import annotations

import pytest

from transom.schedule import parse_schedule
from transom.schedule.explain import describe_schedule

DESCRIBED = [
    # (expression, zone, offset, description)
    (
        "cron(30 23 ? * TUE#2 *)",
        "Europe/Berlin",
        2,
        "At 23:30, on the second Tuesday of the month, shifted 2 days later, in Europe/Berlin",
    ),
    (
        "cron(30 23 ? * TUE#3 *)",
        None,
        1,
        "At 23:30, on the third Tuesday of the month, shifted 1 day later, in UTC",
    ),
    ("cron(30 09 ? * * *)", None, None, "At 09:30, every day, in UTC"),
    ("cron(24 30 09 ? * * *)", None, None, "At 09:30:24, every day, in UTC"),
    ("cron(0 16 ? * TUE *)", "UTC", None, "At 16:00, every Tuesday, in UTC"),
    ("cron(15 10 ? * MON-FRI *)", None, None, "At 10:15, every Monday to Friday, in UTC"),
    ("cron(15 10 ? * 2-6 *)", None, None, "At 10:15, every Monday to Friday, in UTC"),
    ("cron(0 8 ? * FRI-MON *)", None, None, "At 08:00, every Friday to Monday, in UTC"),
    (
        "cron(0 9 ? * MON,WED,FRI *)",
        None,
        None,
        "At 09:00, every Monday, Wednesday and Friday, in UTC",
    ),
    ("cron(0 9 ? * SAT,SUN *)", None, None, "At 09:00, every Saturday and Sunday, in UTC"),
    ("cron(15 10 ? * 6L *)", None, None, "At 10:15, on the last Friday of the month, in UTC"),
    (
        "cron(0 9 ? * 2,6L *)",
        None,
        None,
        "At 09:00, every Monday and on the last Friday of the month, in UTC",
    ),
    ("cron(0 2 L * ? *)", None, None, "At 02:00, on the last day of the month, in UTC"),
    ("cron(0 2 LW * ? *)", None, None, "At 02:00, on the last weekday of the month, in UTC"),
    (
        "cron(0 2 15W * ? *)",
        None,
        None,
        "At 02:00, on the weekday nearest the 15th of the month, in UTC",
    ),
    (
        "cron(0 8,12 1,2,22,L * ? *)",
        None,
        None,
        "At 08:00 and 12:00, on the 1st, 2nd, 22nd and last day of the month, in UTC",
    ),
    ("cron(0 8 1-7 * ? *)", None, None, "At 08:00, on the 1st to 7th of the month, in UTC"),
    (
        "cron(0/5 8-17 ? * MON-FRI *)",
        None,
        None,
        "Every 5 minutes from 08:00 to 17:55, every Monday to Friday, in UTC",
    ),
    ("cron(0/10 * ? * * *)", None, None, "Every 10 minutes, every day, in UTC"),
    ("cron(5/15 * ? * * *)", None, None, "Every 15 minutes from 00:05 to 23:50, every day, in UTC"),
    (
        "cron(0,20,45 8,12,18 ? * * *)",
        None,
        None,
        "At :00, :20 and :45 past the hour during the 08:00, 12:00 and 18:00 hours, every day, "
        "in UTC",
    ),
    ("cron(0,20,45 * ? * * *)", None, None, "At :00, :20 and :45 past the hour, every day, in UTC"),
    ("cron(30 * ? * * *)", None, None, "Every hour at :30, every day, in UTC"),
    ("cron(0 */2 ? * * *)", None, None, "Every 2 hours from 00:00 to 22:00, every day, in UTC"),
    ("cron(0 8-17 ? * * *)", None, None, "Every hour from 08:00 to 17:00, every day, in UTC"),
    (
        "cron(0 6,18 ? * * *)",
        "Australia/Lord_Howe",
        None,
        "At 06:00 and 18:00, every day, in Australia/Lord_Howe",
    ),
    (
        "cron(0 22-2 ? * * *)",
        None,
        None,
        "At 00:00, 01:00, 02:00, 22:00 and 23:00, every day, in UTC",
    ),
    (
        "cron(7 0/20 8,9,14 ? * * *)",
        None,
        None,
        "Every 20 minutes during the 08:00, 09:00 and 14:00 hours, at second 7, every day, in UTC",
    ),
    (
        "cron(0 8 1 JAN,APR,JUL,OCT ? 2026-2028)",
        None,
        None,
        "At 08:00, on the 1st of the month, in January, April, July and October, in 2026 to "
        "2028, in UTC",
    ),
    (
        "cron(0 8 ? 3-5 MON 2030-2199)",
        None,
        None,
        "At 08:00, every Monday, in March to May, from 2030, in UTC",
    ),
    (
        "rate(1 day)",
        "Asia/Tokyo",
        None,
        "Every day, counted from when the schedule was set or from a later StartDate",
    ),
    (
        "rate(30 minutes)",
        None,
        None,
        "Every 30 minutes, counted from when the schedule was set or from a later StartDate",
    ),
    (
        "at(2030-07-07T15:55:00)",
        "Europe/Berlin",
        None,
        "Once, at 15:55 on 2030-07-07, in Europe/Berlin",
    ),
    ("at(2030-07-07T15:55:30)", None, None, "Once, at 15:55:30 on 2030-07-07, in UTC"),
]


@pytest.mark.parametrize(("expression", "zone", "offset", "description"), DESCRIBED)
def test_a_schedule_reads_as_plain_english(
    expression: str, zone: str | None, offset: int | None, description: str
) -> None:
    assert describe_schedule(parse_schedule(expression), zone, offset) == description
