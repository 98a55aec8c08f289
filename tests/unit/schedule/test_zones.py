"""Time zones and the DST rule: a gap time runs when the clock jumps, a repeated time once."""

from __future__ import annotations

from datetime import datetime

import pytest

from transom.domain.errors import ValidationError
from transom.schedule import UTC_ZONE, load_zone, local_to_instant


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "America/Los_Angeles", "Australia/Lord_Howe"])
def test_it_loads_an_iana_zone_by_name(name: str) -> None:
    assert load_zone(name).key == name


def test_it_uses_utc_when_no_zone_is_given() -> None:
    assert load_zone(None) is UTC_ZONE


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "Europe", "../etc/passwd", "europe/berlin"])
def test_it_refuses_a_name_that_is_not_an_iana_zone(name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        load_zone(name)
    assert raised.value.message == (
        f"ScheduleTimezone {name!r} is not a valid IANA time zone; "
        "use a name such as 'America/Los_Angeles', 'Europe/Berlin' or 'UTC'."
    )


WALL_TIMES = [
    # Europe/Berlin, 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    ("Europe/Berlin", datetime(2024, 3, 31, 1, 59), "2024-03-31T00:59:00+00:00"),
    ("Europe/Berlin", datetime(2024, 3, 31, 2, 0), "2024-03-31T01:00:00+00:00"),
    ("Europe/Berlin", datetime(2024, 3, 31, 2, 30), "2024-03-31T01:00:00+00:00"),
    ("Europe/Berlin", datetime(2024, 3, 31, 2, 59, 59), "2024-03-31T01:00:00+00:00"),
    ("Europe/Berlin", datetime(2024, 3, 31, 3, 0), "2024-03-31T01:00:00+00:00"),
    ("Europe/Berlin", datetime(2024, 3, 31, 3, 1), "2024-03-31T01:01:00+00:00"),
    # Europe/Berlin, 2024-10-27: 03:00 CEST falls back to 02:00 CET (01:00 UTC)
    ("Europe/Berlin", datetime(2024, 10, 27, 1, 59), "2024-10-26T23:59:00+00:00"),
    ("Europe/Berlin", datetime(2024, 10, 27, 2, 0), "2024-10-27T00:00:00+00:00"),
    ("Europe/Berlin", datetime(2024, 10, 27, 2, 30), "2024-10-27T00:30:00+00:00"),
    ("Europe/Berlin", datetime(2024, 10, 27, 2, 30, fold=1), "2024-10-27T00:30:00+00:00"),
    ("Europe/Berlin", datetime(2024, 10, 27, 3, 0), "2024-10-27T02:00:00+00:00"),
    # America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT; 2024-11-03 02:00 EDT -> 01:00 EST
    ("America/New_York", datetime(2024, 3, 10, 2, 30), "2024-03-10T07:00:00+00:00"),
    ("America/New_York", datetime(2024, 11, 3, 1, 30), "2024-11-03T05:30:00+00:00"),
    ("America/New_York", datetime(2024, 11, 3, 2, 0), "2024-11-03T07:00:00+00:00"),
    # Australia/Lord_Howe shifts by 30 minutes: 2024-10-06 02:00 -> 02:30 (+10:30 -> +11),
    # 2024-04-07 02:00 -> 01:30 (+11 -> +10:30)
    ("Australia/Lord_Howe", datetime(2024, 10, 6, 2, 10), "2024-10-05T15:30:00+00:00"),
    ("Australia/Lord_Howe", datetime(2024, 10, 6, 2, 30), "2024-10-05T15:30:00+00:00"),
    ("Australia/Lord_Howe", datetime(2024, 4, 7, 1, 45), "2024-04-06T14:45:00+00:00"),
    ("Australia/Lord_Howe", datetime(2024, 4, 7, 2, 0), "2024-04-06T15:30:00+00:00"),
    # Pacific/Apia skipped all of 2011-12-30: 23:59:59 at -10 became 00:00 at +14
    ("Pacific/Apia", datetime(2011, 12, 30, 12, 0), "2011-12-30T10:00:00+00:00"),
    ("UTC", datetime(2024, 3, 31, 2, 30), "2024-03-31T02:30:00+00:00"),
]


@pytest.mark.parametrize(("zone", "local", "expected"), WALL_TIMES)
def test_it_maps_a_wall_time_to_its_instant_by_the_dst_rule(
    zone: str, local: datetime, expected: str
) -> None:
    assert local_to_instant(local, load_zone(zone)).isoformat() == expected
