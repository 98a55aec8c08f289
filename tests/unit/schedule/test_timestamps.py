"""Date-time strings: AWS's OffsetDateTime output (SPEC §c.7) and ISO-8601 input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import format_aws_datetime, load_zone, parse_iso_datetime

FORMATTED = [
    (datetime(2020, 2, 19, 16, 0, tzinfo=UTC), None, "2020-02-19T16:00Z"),
    (
        datetime(2024, 3, 12, 14, 0, tzinfo=UTC),
        load_zone("America/Chicago"),
        "2024-03-12T09:00-05:00",
    ),
    (
        datetime(2020, 7, 25, 14, 0, tzinfo=UTC),
        load_zone("Australia/Brisbane"),
        "2020-07-26T00:00+10:00",
    ),
    (datetime(2019, 5, 18, 17, 1, 1, 137000, tzinfo=UTC), None, "2019-05-18T17:01:01.137Z"),
    (
        datetime(2019, 10, 20, 12, 34, 56, tzinfo=UTC),
        load_zone("America/Los_Angeles"),
        "2019-10-20T05:34:56-07:00",
    ),
    (datetime(2020, 1, 1, 12, 0, 0, 500000, tzinfo=UTC), None, "2020-01-01T12:00:00.500Z"),
    (datetime(2020, 1, 1, 12, 0, 0, 400, tzinfo=UTC), None, "2020-01-01T12:00Z"),
    (datetime(2020, 1, 1, 12, 0, tzinfo=UTC), load_zone("Etc/UTC"), "2020-01-01T12:00Z"),
    (
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        load_zone("Australia/Lord_Howe"),
        "2024-01-01T11:00+11:00",
    ),
    (
        datetime(2024, 7, 1, 0, 0, tzinfo=UTC),
        load_zone("Australia/Lord_Howe"),
        "2024-07-01T10:30+10:30",
    ),
    (
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        load_zone("America/St_Johns"),
        "2023-12-31T20:30-03:30",
    ),
    (
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        timezone(timedelta(hours=5, minutes=30, seconds=15)),
        "2024-01-01T05:30:15+05:30:15",
    ),
]


@pytest.mark.parametrize(("instant", "zone", "expected"), FORMATTED)
def test_it_formats_like_java_offset_date_time(
    instant: datetime, zone: tzinfo | None, expected: str
) -> None:
    assert format_aws_datetime(instant, zone) == expected


PARSED = [
    ("2021-04-07T14:29:00-08:00", datetime(2021, 4, 7, 22, 29, tzinfo=UTC)),
    ("2019-01-01T00:03:15+09:00", datetime(2018, 12, 31, 15, 3, 15, tzinfo=UTC)),
    ("2021-01-01T00:00:00", datetime(2021, 1, 1, tzinfo=UTC)),
    ("2021-01-01T00:00", datetime(2021, 1, 1, tzinfo=UTC)),
    ("2021-01-01T00:00Z", datetime(2021, 1, 1, tzinfo=UTC)),
    ("2021-01-01t00:00:00z", datetime(2021, 1, 1, tzinfo=UTC)),
    ("2020-02-12T23:19:20.596Z", datetime(2020, 2, 12, 23, 19, 20, 596000, tzinfo=UTC)),
    ("2020-02-12T23:19:20.123456789Z", datetime(2020, 2, 12, 23, 19, 20, 123456, tzinfo=UTC)),
    ("2021-04-07T14:29:00+0530", datetime(2021, 4, 7, 8, 59, tzinfo=UTC)),
    ("2021-04-07T14:29:00+05", datetime(2021, 4, 7, 9, 29, tzinfo=UTC)),
    ("2021-11-01", datetime(2021, 11, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_it_parses_iso_8601_into_utc(text: str, expected: datetime) -> None:
    parsed = parse_iso_datetime(text, "StartDate")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-07 14:29:00",
        "2021-04-07T",
        "2021-04-07Z",
        "2021-02-29",
        "2021-13-01T00:00:00",
        "2021-02-29T00:00:00",
        "2021-04-07T24:00:00",
        "2021-04-07T14:29:00+19:00",
        "2021-04-07T14:29:00+05:60",
        "2021-04-07T14:29:00 +05:00",
        "9999-12-31T23:00:00-05:00",
        "tomorrow",
        "",
    ],
)
def test_it_refuses_a_string_that_is_not_an_iso_8601_date_and_time(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_iso_datetime(text, "StartDate")
    assert raised.value.message == (
        f"StartDate {text!r} is not a valid ISO-8601 date and time; use a value such as "
        "2021-04-07T14:29:00-08:00 or 2021-04-07 (without an offset the time is UTC)."
    )
