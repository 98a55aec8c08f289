"""rate(...) and at(...) expressions (SPEC §c.3, §c.4): what parses and what is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import AtSchedule, RateSchedule, parse_schedule

RATES = [
    ("rate(1 minute)", timedelta(minutes=1)),
    ("rate(5 minutes)", timedelta(minutes=5)),
    ("rate(180 minutes)", timedelta(hours=3)),
    ("rate(1 hour)", timedelta(hours=1)),
    ("rate(5 hours)", timedelta(hours=5)),
    ("rate(1 day)", timedelta(days=1)),
    ("rate(7 days)", timedelta(days=7)),
    ("rate(25 days)", timedelta(days=25)),
    ("rate(999999999 days)", timedelta(days=999_999_999)),
]


@pytest.mark.parametrize(("expression", "interval"), RATES)
def test_it_reads_a_rate_as_a_fixed_interval(expression: str, interval: timedelta) -> None:
    assert parse_schedule(expression) == RateSchedule(expression, interval)


REFUSED_RATES = [
    (
        "rate(1 hours)",
        "unit 'hours' does not agree with the value 1; use 'hour' "
        "(singular for 1, plural above 1).",
    ),
    (
        "rate(5 hour)",
        "unit 'hour' does not agree with the value 5; use 'hours' "
        "(singular for 1, plural above 1).",
    ),
    ("rate(0 minutes)", "value '0' must be a whole number from 1 to 999999999."),
    ("rate(-5 minutes)", "value '-5' must be a whole number from 1 to 999999999."),
    ("rate(1.5 hours)", "value '1.5' must be a whole number from 1 to 999999999."),
    ("rate(1000000000 minutes)", "value '1000000000' must be a whole number from 1 to 999999999."),
    ("rate(2 weeks)", "unit 'weeks' is not allowed; use minute(s), hour(s) or day(s)."),
    ("rate(2 Minutes)", "unit 'Minutes' is not allowed; use minute(s), hour(s) or day(s)."),
    ("rate(5)", "write it as rate(value unit), e.g. rate(30 minutes) or rate(1 day)."),
    ("rate(5 minutes", "write it as rate(value unit), e.g. rate(30 minutes) or rate(1 day)."),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED_RATES)
def test_it_refuses_an_invalid_rate_saying_what_is_allowed(expression: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_schedule(expression)
    assert raised.value.message == f"Invalid rate expression {expression!r}: {message}"


def test_it_reads_an_at_expression_as_a_naive_wall_time() -> None:
    assert parse_schedule("at(2020-07-07T15:55:00)") == AtSchedule(
        "at(2020-07-07T15:55:00)", datetime(2020, 7, 7, 15, 55)
    )


REFUSED_ATS = [
    (
        "at(2020-07-07 15:55:00)",
        "write it as at(yyyy-mm-ddThh:mm:ss), e.g. at(2025-07-07T15:55:00).",
    ),
    ("at(2020-07-07T15:55)", "write it as at(yyyy-mm-ddThh:mm:ss), e.g. at(2025-07-07T15:55:00)."),
    (
        "at(2020-07-07T15:55:00Z)",
        "write it as at(yyyy-mm-ddThh:mm:ss), e.g. at(2025-07-07T15:55:00).",
    ),
    ("at(2021-02-29T00:00:00)", "2021-02-29T00:00:00 is not a real date and time."),
    ("at(2021-01-01T24:00:00)", "2021-01-01T24:00:00 is not a real date and time."),
    ("at(1969-12-31T23:59:59)", "year 1969 is out of range 1970-2199."),
    ("at(2200-01-01T00:00:00)", "year 2200 is out of range 1970-2199."),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED_ATS)
def test_it_refuses_an_invalid_at_saying_what_is_allowed(expression: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_schedule(expression)
    assert raised.value.message == f"Invalid at expression {expression!r}: {message}"
