"""Our cron evaluator agrees with cronsim on the grammar both understand.

cronsim reads Unix cron: 5 fields (6 with leading seconds), no year, day-of-week 0 = SUN, and
day-of-month and day-of-week OR-ed unless one starts with `*`. The strategies below build one
expression and write it in both dialects: AWS `?` becomes cronsim `*`, AWS weekday d becomes
d - 1, and nW (which cronsim lacks) is never generated.

For local time in a zone, cronsim's 5-field mode with fixed minute and hour fields resolves a
gap time to the next valid minute and a repeated time to its first occurrence, as Transom's
DST rule does; its first run strictly after an instant must be ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import islice, pairwise, takewhile

from cronsim import CronSim, CronSimError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from transom.domain.errors import ValidationError
from transom.schedule import CronSchedule, Timetable, load_zone, parse_schedule

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",  # until 2019 its clocks jumped at midnight
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kathmandu",
]


@dataclass(frozen=True)
class Pair:
    """One field written for AWS and for cronsim."""

    aws: str
    unix: str


@st.composite
def numeric(draw: st.DrawFn, low: int, high: int, *, star: bool = True) -> Pair:
    """A list of values, ranges and steps, the same text in both dialects."""

    def term() -> str:
        start = draw(st.integers(low, high))
        end = draw(st.integers(start, high))
        step = draw(st.integers(1, high - low + 1))
        forms = [str(start), f"{start}-{end}", f"{start}/{step}"]
        if end > start:  # cronsim reads a stepped one-value range `a-a/s` as `a/s`
            forms.append(f"{start}-{end}/{step}")
        if star:
            forms.append(f"*/{step}")
        return draw(st.sampled_from(forms))

    if star and draw(st.integers(0, 4)) == 0:
        return Pair("*", "*")
    text = ",".join(term() for _ in range(draw(st.integers(1, 3))))
    return Pair(text, text)


@st.composite
def minutes(draw: st.DrawFn, *, star: bool = True) -> Pair:
    """A minutes field that mostly passes the at-most-every-5-minutes rule."""
    start = draw(st.integers(0, 59))
    step = draw(st.integers(5, 30))
    values = sorted(draw(st.sets(st.integers(0, 59), min_size=1, max_size=3)))
    text = draw(
        st.sampled_from(
            [str(start), f"{start}/{step}", ",".join(map(str, values))]
            + ([f"*/{step}"] if star else [])
        )
    )
    return Pair(text, text)


@st.composite
def months(draw: st.DrawFn) -> Pair:
    field = draw(numeric(1, 12))
    if draw(st.booleans()):
        return field
    named = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=3))
    return Pair(",".join(named).lower(), ",".join(named))


@st.composite
def days_of_month(draw: st.DrawFn) -> Pair:
    field = draw(numeric(1, 31))
    extra = draw(st.sampled_from(["", "L", "LW"]))
    if not extra:
        return field
    if field.aws == "*" or draw(st.booleans()):
        return Pair(extra, extra)
    return Pair(f"{field.aws},{extra}", f"{field.unix},{extra}")


@st.composite
def days_of_week(draw: st.DrawFn) -> Pair:
    def day(value: int) -> str:
        return draw(st.sampled_from([str(value), DAYS[value - 1]]))

    aws: list[str] = []
    unix: list[str] = []
    nth_used = False
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "range", "last", "nth", "bare-last"]))
        first = draw(st.integers(1, 7))
        if kind == "value":
            aws.append(day(first))
            unix.append(str(first - 1))
        elif kind == "range":
            end = draw(st.integers(first, 7))
            aws.append(f"{day(first)}-{day(end)}")
            unix.append(f"{first - 1}-{end - 1}")
        elif kind == "last":
            aws.append(f"{day(first)}L")
            unix.append(f"{first - 1}L")
        elif kind == "nth" and not nth_used:
            nth_used = True
            n = draw(st.integers(1, 5))
            aws.append(f"{day(first)}#{n}")
            unix.append(f"{first - 1}#{n}")
        else:
            aws.append("L")
            unix.append("6")
    return Pair(",".join(aws), ",".join(unix))


@st.composite
def expressions(draw: st.DrawFn, *, with_seconds: bool, fixed_time: bool) -> tuple[str, str]:
    """An (AWS, cronsim) pair; `fixed_time` keeps minutes and hours from starting with `*`."""
    minute = draw(minutes(star=not fixed_time))
    hour = draw(numeric(0, 23, star=not fixed_time))
    month = draw(months())
    if draw(st.booleans()):
        dom, dow = draw(days_of_month()), Pair("?", "*")
    else:
        dom, dow = Pair("?", "*"), draw(days_of_week())
    aws = f"{minute.aws} {hour.aws} {dom.aws} {month.aws} {dow.aws} *"
    unix = f"{minute.unix} {hour.unix} {dom.unix} {month.unix} {dow.unix}"
    if with_seconds:
        second = draw(st.integers(0, 59))
        aws, unix = f"{second} {aws}", f"{second} {unix}"
    return f"cron({aws})", unix


def parsed(expression: str) -> CronSchedule:
    try:
        schedule = parse_schedule(expression)
    except ValidationError as error:
        assume("5 minutes" not in error.message)  # our frequency rule; cronsim has none
        raise
    assert isinstance(schedule, CronSchedule)
    return schedule


@settings(max_examples=250, deadline=None, database=None)
@given(
    expressions(with_seconds=False, fixed_time=False)
    | expressions(with_seconds=True, fixed_time=False),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2150, 12, 31)),
)
def test_it_matches_the_calendar_as_cronsim_does(pair: tuple[str, str], start: datetime) -> None:
    expression, unix = pair
    schedule = parsed(expression)
    start = start.replace(microsecond=0)
    try:
        expected = list(_take(CronSim(unix, start), 3))
    except CronSimError:  # cronsim refuses day-of-month values no chosen month has
        assert schedule.next_after(start) is None
        return
    found: list[datetime] = []
    local = schedule.next_after(start)
    while local is not None and len(found) < len(expected):
        found.append(local)
        local = schedule.next_after(local)
    within_years = [run for run in expected if run.year <= 2199]
    assert found == within_years
    if not expected:  # cronsim gives up after 50 years without a match
        assert local is None or local.year >= start.year + 50


@settings(max_examples=200, deadline=None, database=None)
@given(
    expressions(with_seconds=False, fixed_time=True),
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2150, 12, 31)),
)
def test_its_first_run_in_a_zone_is_cronsim_s(
    pair: tuple[str, str], zone_name: str, start_naive: datetime
) -> None:
    expression, unix = pair
    zone = load_zone(zone_name)
    start = start_naive.replace(microsecond=0, tzinfo=UTC)
    table = Timetable(parsed(expression), changed_at=datetime(1970, 1, 1, tzinfo=UTC), zone=zone)
    ours = table.next_after(start)
    try:
        runs = _take(CronSim(unix, start.astimezone(zone)), 50)
    except CronSimError:  # cronsim refuses day-of-month values no chosen month has
        assert ours is None
        return
    later = [run for run in runs if run > start]
    if later:
        expected = later[0].astimezone(UTC)  # `==` is False across zones inside a fold
        within = later[0].year <= 2199 and expected.year <= 2199
        assert ours == (expected if within else None)
    elif len(runs) < 50:  # cronsim gives up after 50 years without a match
        assert ours is None or ours.year >= start.year + 50


DST_YEARS = {  # years in which each zone changes its clocks
    "Europe/Berlin": (1980, 2150),
    "America/New_York": (1970, 2150),
    "Australia/Lord_Howe": (1982, 2150),
    "America/Sao_Paulo": (1986, 2018),
    "Pacific/Apia": (2011, 2020),
    "Pacific/Chatham": (1975, 2150),
    "America/St_Johns": (1970, 2150),
}


@cache
def transitions(zone_name: str, year: int) -> list[datetime]:
    """Noon UTC of each day of `year` on which the zone's offset differs from the day before."""
    zone = load_zone(zone_name)
    noons = [datetime(year, 1, 1, 12, tzinfo=UTC) + timedelta(days=day) for day in range(366)]
    return [
        noon
        for before, noon in pairwise(noons)
        if before.astimezone(zone).utcoffset() != noon.astimezone(zone).utcoffset()
    ]


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from(sorted(DST_YEARS)),
    st.data(),
    st.integers(0, 48 * 60),
    minutes(star=False),
    numeric(0, 23, star=False),
)
def test_its_daily_runs_across_a_dst_transition_are_cronsim_s(
    zone_name: str, data: st.DataObject, minutes_before: int, minute: Pair, hour: Pair
) -> None:
    first_year, last_year = DST_YEARS[zone_name]
    near = transitions(zone_name, data.draw(st.integers(first_year, last_year)))
    assume(near)
    noon = data.draw(st.sampled_from(near))  # the clocks changed in the 24 hours before it
    start, end = noon - timedelta(minutes=minutes_before), noon + timedelta(days=1)
    zone = load_zone(zone_name)
    expression = f"cron({minute.aws} {hour.aws} ? * * *)"
    table = Timetable(parsed(expression), changed_at=datetime(1970, 1, 1, tzinfo=UTC), zone=zone)
    ours = list(islice(takewhile(lambda run: run <= end, table.occurrences(start)), 300))
    theirs: list[datetime] = []
    for run in CronSim(f"{minute.unix} {hour.unix} * * *", start.astimezone(zone)):
        if run > end or len(theirs) == 300:
            break
        if run > (theirs[-1] if theirs else start):
            theirs.append(run.astimezone(UTC))  # `==` is False across zones inside a fold
    assert ours == theirs


def _take(runs: CronSim, count: int) -> list[datetime]:
    taken: list[datetime] = []
    for run in runs:
        taken.append(run)
        if len(taken) == count:
            break
    return taken


def test_the_translation_agrees_on_a_written_out_example() -> None:
    start = datetime(2024, 1, 1)
    ours = parsed("cron(15 10 ? * 6L,MON#2 *)").next_after(start)
    theirs = next(CronSim("15 10 * * 5L,1#2", start))
    assert ours == theirs == datetime(2024, 1, 8, 10, 15)
