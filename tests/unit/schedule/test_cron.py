"""Cron expressions (SPEC §c.2): what parses, what is refused and why, and what each matches."""

from __future__ import annotations

from datetime import datetime

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import CronSchedule, parse_schedule
from transom.schedule.cron import parse_cron

MONDAY = datetime(2024, 1, 1)  # 2024-01-01 is a Monday


def matches(expression: str, after: datetime, count: int = 3) -> list[str]:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, CronSchedule)
    found: list[str] = []
    local = schedule.next_after(after)
    while local is not None and len(found) < count:
        found.append(local.isoformat(sep=" "))
        local = schedule.next_after(local)
    return found


DOCUMENTED_EXAMPLES = [
    (
        "cron(30 09 ? * * *)",
        ["2024-01-01 09:30:00", "2024-01-02 09:30:00", "2024-01-03 09:30:00"],
    ),
    (
        "cron(24 30 09 ? * * *)",
        ["2024-01-01 09:30:24", "2024-01-02 09:30:24", "2024-01-03 09:30:24"],
    ),
    (
        "cron(0 2 ? * THU#3 *)",
        ["2024-01-18 02:00:00", "2024-02-15 02:00:00", "2024-03-21 02:00:00"],
    ),
    (
        "cron(15 10 ? * MON-FRI *)",
        ["2024-01-01 10:15:00", "2024-01-02 10:15:00", "2024-01-03 10:15:00"],
    ),
    ("cron(0 2 L * ? *)", ["2024-01-31 02:00:00", "2024-02-29 02:00:00", "2024-03-31 02:00:00"]),
    (
        "cron(15 10 ? * 6L *)",
        ["2024-01-26 10:15:00", "2024-02-23 10:15:00", "2024-03-29 10:15:00"],
    ),
    (
        "cron(30 23 ? * TUE#3 *)",
        ["2024-01-16 23:30:00", "2024-02-20 23:30:00", "2024-03-19 23:30:00"],
    ),
    (
        "cron(0 30 23 ? * TUE#3 *)",
        ["2024-01-16 23:30:00", "2024-02-20 23:30:00", "2024-03-19 23:30:00"],
    ),
    ("cron(0 16 ? * TUE *)", ["2024-01-02 16:00:00", "2024-01-09 16:00:00", "2024-01-16 16:00:00"]),
    (
        "cron(0/5 8-17 ? * MON-FRI *)",
        ["2024-01-01 08:00:00", "2024-01-01 08:05:00", "2024-01-01 08:10:00"],
    ),
]


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED_EXAMPLES)
def test_it_matches_the_documented_examples(expression: str, expected: list[str]) -> None:
    assert matches(expression, MONDAY) == expected


def test_it_moves_from_the_last_five_minute_slot_of_friday_to_monday_morning() -> None:
    assert matches("cron(0/5 8-17 ? * MON-FRI *)", datetime(2024, 1, 5, 17, 50)) == [
        "2024-01-05 17:55:00",
        "2024-01-08 08:00:00",
        "2024-01-08 08:05:00",
    ]


CALENDAR = [
    # nW: the nearest weekday, never leaving the month
    (
        "cron(0 0 1W * ? 2024)",  # June 1st is a Saturday
        datetime(2024, 5, 31),
        ["2024-06-03 00:00:00", "2024-07-01 00:00:00", "2024-08-01 00:00:00"],
    ),
    ("cron(0 0 15W 6,9 ? 2024)", MONDAY, ["2024-06-14 00:00:00", "2024-09-16 00:00:00"]),
    (
        "cron(0 0 31W * ? 2024)",
        MONDAY,
        ["2024-01-31 00:00:00", "2024-03-29 00:00:00", "2024-05-31 00:00:00"],
    ),
    ("cron(0 0 LW 8 ? 2024)", MONDAY, ["2024-08-30 00:00:00"]),  # the 31st is a Saturday
    ("cron(0 0 L,15 1 ? 2024)", MONDAY, ["2024-01-15 00:00:00", "2024-01-31 00:00:00"]),
    # d#5 runs only in months with a fifth such weekday
    (
        "cron(0 0 ? * FRI#5 *)",
        MONDAY,
        ["2024-03-29 00:00:00", "2024-05-31 00:00:00", "2024-08-30 00:00:00"],
    ),
    # a bare L in day-of-week is Saturday
    (
        "cron(0 0 ? * L *)",
        MONDAY,
        ["2024-01-06 00:00:00", "2024-01-13 00:00:00", "2024-01-20 00:00:00"],
    ),
    (
        "cron(0 0 ? * 7 *)",
        MONDAY,
        ["2024-01-06 00:00:00", "2024-01-13 00:00:00", "2024-01-20 00:00:00"],
    ),
    (
        "cron(0 0 ? * 1 *)",
        MONDAY,
        ["2024-01-07 00:00:00", "2024-01-14 00:00:00", "2024-01-21 00:00:00"],
    ),
    # names are case-insensitive
    (
        "cron(0 12 ? jan mon-wed 2024)",
        MONDAY,
        ["2024-01-01 12:00:00", "2024-01-02 12:00:00", "2024-01-03 12:00:00"],
    ),
    (
        "cron(0 12 ? * fril *)",
        MONDAY,
        ["2024-01-26 12:00:00", "2024-02-23 12:00:00", "2024-03-29 12:00:00"],
    ),
    # ranges wrap in every field but year
    (
        "cron(0 22 ? * FRI-MON *)",
        datetime(2024, 1, 2),
        ["2024-01-05 22:00:00", "2024-01-06 22:00:00", "2024-01-07 22:00:00"],
    ),
    (
        "cron(0 23-1 1 1 ? 2024)",
        datetime(2023, 12, 31),
        ["2024-01-01 00:00:00", "2024-01-01 01:00:00", "2024-01-01 23:00:00"],
    ),
    (
        "cron(0 0 1 NOV-FEB/2 ? 2024)",
        datetime(2023, 12, 31),
        ["2024-01-01 00:00:00", "2024-11-01 00:00:00"],
    ),
    # steps
    (
        "cron(5/20 * ? * * *)",
        MONDAY,
        ["2024-01-01 00:05:00", "2024-01-01 00:25:00", "2024-01-01 00:45:00"],
    ),
    (
        "cron(10-50/20 0 ? * * *)",
        MONDAY,
        ["2024-01-01 00:10:00", "2024-01-01 00:30:00", "2024-01-01 00:50:00"],
    ),
    (
        "cron(0 */6 ? * * *)",
        MONDAY,
        ["2024-01-01 06:00:00", "2024-01-01 12:00:00", "2024-01-01 18:00:00"],
    ),
    (
        "cron(0 0 */10 1 ? 2024)",
        MONDAY,
        ["2024-01-11 00:00:00", "2024-01-21 00:00:00", "2024-01-31 00:00:00"],
    ),
    # years, up to 2199 and no further
    ("cron(0 0 1 1 ? 2025,2027)", MONDAY, ["2025-01-01 00:00:00", "2027-01-01 00:00:00"]),
    (
        "cron(0 0 1 1 ? 2100/50)",
        MONDAY,
        ["2100-01-01 00:00:00", "2150-01-01 00:00:00"],
    ),
    ("cron(0 0 31 12 ? *)", datetime(2199, 6, 1), ["2199-12-31 00:00:00"]),
    (
        "cron(0 0 29 2 ? *)",
        datetime(2024, 3, 1),
        ["2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"],
    ),
    ("cron(0 0 30 2 ? *)", MONDAY, []),
    # several spaces between fields, and around them
    (
        "cron( 0  12 ? *  MON * )",
        MONDAY,
        ["2024-01-01 12:00:00", "2024-01-08 12:00:00", "2024-01-15 12:00:00"],
    ),
]


@pytest.mark.parametrize(("expression", "after", "expected"), CALENDAR)
def test_it_matches_the_calendar(expression: str, after: datetime, expected: list[str]) -> None:
    assert matches(expression, after) == expected


def test_it_matches_strictly_after_the_given_time() -> None:
    assert matches("cron(30 09 ? * * *)", datetime(2024, 1, 1, 9, 30), 1) == ["2024-01-02 09:30:00"]
    assert matches("cron(30 09 ? * * *)", datetime(2024, 1, 1, 9, 29, 59, 999999), 1) == [
        "2024-01-01 09:30:00"
    ]


ACCEPTED_FREQUENCIES = [
    "cron(0/5 * ? * * *)",
    "cron(*/5 * ? * * *)",
    "cron(0,5,10 * ? * * *)",
    "cron(0,58 8 ? * * *)",  # 08:58 and the next 08:00 are a day apart
    "cron(3,58 8,10 ? * * *)",
]


@pytest.mark.parametrize("expression", ACCEPTED_FREQUENCIES)
def test_it_accepts_schedules_at_most_every_five_minutes(expression: str) -> None:
    assert isinstance(parse_schedule(expression), CronSchedule)


def prefix(expression: str) -> str:
    return f"Invalid cron expression {expression!r}: "


REFUSED = [
    ("cron(0 25 ? * * *)", "hours field value 25 is out of range 0-23."),
    ("cron(60 1 ? * * *)", "minutes field value 60 is out of range 0-59."),
    ("cron(0 1 0 * ? *)", "day-of-month field value 0 is out of range 1-31."),
    ("cron(0 1 32W * ? *)", "day-of-month field value 32 is out of range 1-31."),
    ("cron(0 1 ? 13 * *)", "month field value 13 is out of range 1-12."),
    ("cron(0 1 ? * 8 *)", "day-of-week field value 8 is out of range 1-7."),
    ("cron(0 1 ? * 0 *)", "day-of-week field value 0 is out of range 1-7."),
    ("cron(0 1 ? * * 1969)", "year field value 1969 is out of range 1970-2199."),
    ("cron(0 1 ? * * 2200)", "year field value 2200 is out of range 1970-2199."),
    ("cron(60 0 1 ? * * *)", "seconds field value 60 is out of range 0-59."),
    (
        "cron(0 1 ? * MON-FRX *)",
        "day-of-week field value 'MON-FRX' is not allowed; "
        "use values 1-7 or SUN-SAT and the characters , - * ? L #.",
    ),
    (
        "cron(0 1 ? JANUARY * *)",
        "month field value 'JANUARY' is not allowed; "
        "use values 1-12 or JAN-DEC and the characters , - * /.",
    ),
    (
        "cron(0 MON ? * * *)",
        "hours field value 'MON' is not allowed; use values 0-23 and the characters , - * /.",
    ),
    (
        "cron(? 1 ? * * *)",
        "minutes field value '?' is not allowed; use values 0-59 and the characters , - * /.",
    ),
    (
        "cron(0 1 ? * 2/2 *)",
        "day-of-week field value '2/2' is not allowed; "
        "use values 1-7 or SUN-SAT and the characters , - * ? L #.",
    ),
    (
        "cron(0 1 L-2 * ? *)",
        "day-of-month field value 'L-2' is not allowed; "
        "use values 1-31 and the characters , - * ? / L W.",
    ),
    (
        "cron(0 1 W * ? *)",
        "day-of-month field value 'W' is not allowed; "
        "use values 1-31 and the characters , - * ? / L W.",
    ),
    (
        "cron(0 1 1,,2 * ? *)",
        "day-of-month field '1,,2' has an empty list item; "
        "use values 1-31 and the characters , - * ? / L W.",
    ),
    (
        "cron(0 0/0 ? * * *)",
        "hours field value '0/0' has step '0'; the step after '/' must be a whole number of "
        "at least 1.",
    ),
    (
        "cron(0 1 ? * * 2030-2020)",
        "year field range '2030-2020' runs backwards; put the earlier year first.",
    ),
    ("cron(0 1 1,? * ? *)", "day-of-month field '1,?' lists '?'; '?' must stand alone."),
    (
        "cron(0 1 * * * *)",
        "exactly one of the day-of-month and day-of-week fields must be '?', got '*' and '*'.",
    ),
    (
        "cron(0 1 ? * ? *)",
        "exactly one of the day-of-month and day-of-week fields must be '?', got '?' and '?'.",
    ),
    (
        "cron(0 1 1 * MON *)",
        "exactly one of the day-of-month and day-of-week fields must be '?', got '1' and 'MON'.",
    ),
    (
        "cron(0 1 ? * 3#1,6#3 *)",
        "day-of-week field '3#1,6#3' has more than one '#' term; only one is allowed.",
    ),
    (
        "cron(0 1 ? * 3#6 *)",
        "day-of-week field value '3#6' is not allowed; the number after '#' must be 1-5.",
    ),
    (
        "cron(0 1 ? * 3# *)",
        "day-of-week field value '3#' is not allowed; the number after '#' must be 1-5.",
    ),
    (
        "cron(0 1 ? * * )",
        "expected 6 fields (minutes hours day-of-month month day-of-week year) "
        "or 7 with a leading seconds field, got 5.",
    ),
    (
        "cron(0 0 1 ? * * * *)",
        "expected 6 fields (minutes hours day-of-month month day-of-week year) "
        "or 7 with a leading seconds field, got 8.",
    ),
    (
        "cron(0 1 ? * * *",
        "write it as cron(minutes hours day-of-month month day-of-week year).",
    ),
    (
        "cron(*/10 0 1 ? * * *)",
        "seconds field '*/10' gives more than one second; schedules run at most every 5 "
        "minutes, so use a single value 0-59.",
    ),
    (
        "cron(* * ? * * *)",
        "minutes field '*' fires at :00 and :01, less than 5 minutes apart; "
        "schedules run at most every 5 minutes.",
    ),
    (
        "cron(0/4 * ? * * *)",
        "minutes field '0/4' fires at :00 and :04, less than 5 minutes apart; "
        "schedules run at most every 5 minutes.",
    ),
    (
        "cron(10,12 3 ? * * *)",
        "minutes field '10,12' fires at :10 and :12, less than 5 minutes apart; "
        "schedules run at most every 5 minutes.",
    ),
    (
        "cron(0,58 8-9 ? * * *)",
        "minutes field '0,58' fires at :58 and :00, less than 5 minutes apart; "
        "schedules run at most every 5 minutes.",
    ),
    (
        "cron(2,58 0,23 ? * * *)",
        "minutes field '2,58' fires at :58 and :02, less than 5 minutes apart; "
        "schedules run at most every 5 minutes.",
    ),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED)
def test_it_refuses_an_invalid_expression_naming_the_field_and_value(
    expression: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_schedule(expression)
    assert raised.value.message == prefix(expression) + message


def test_it_reads_six_fields_as_having_second_zero() -> None:
    six, seven = parse_cron("cron(30 9 ? * * *)"), parse_cron("cron(0 30 9 ? * * *)")
    assert (six.seconds, six.minutes, six.hours) == (seven.seconds, seven.minutes, seven.hours)
    assert six.next_after(MONDAY) == seven.next_after(MONDAY) == datetime(2024, 1, 1, 9, 30)


def test_its_repr_is_the_expression() -> None:
    assert repr(parse_cron("cron(0 1 ? * * *)")) == "CronSchedule('cron(0 1 ? * * *)')"
