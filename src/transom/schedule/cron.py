"""AWS cron expressions: the EventBridge dialect plus Maintenance Windows' leading seconds field.

`parse_cron` turns `cron(...)` text into a `CronSchedule`, or raises `ValidationError` naming the
field, the bad value and what is allowed (SPEC §c.2). `CronSchedule.next_after` matches the
calendar on naive wall-clock times; time zones and DST are the business of `occurrences`.

Choices where AWS documents nothing:
- Ranges wrap in every field but year, as in Quartz (`FRI-MON`, `22-2`); a step continues
  through the wrap.
- `L`, `LW` and `nW` may share a list with other day-of-month terms. `nW` never leaves its
  month and matches nothing in a month shorter than n days.
- `d#5` matches nothing in a month without a fifth weekday d.
- "At most every 5 minutes": the seconds field must hold one value, and two minutes of the
  minutes field must be at least 5 apart, counting the wrap from the last minute of one hour
  to the first of the next when the hours field holds two consecutive hours (23 and 0 count).
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import NoReturn

from transom.domain.errors import ValidationError

MIN_YEAR = 1970
MAX_YEAR = 2199


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    specials: str = ", - * /"
    names: tuple[str, ...] = ()
    cyclic: bool = True

    def allowed(self) -> str:
        values = f"{self.low}-{self.high}"
        if self.names:
            values += f" or {self.names[0]}-{self.names[-1]}"
        return f"use values {values} and the characters {self.specials}"


_SECONDS = _Field("seconds", 0, 59)
_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, specials=", - * ? / L W")
_MONTH = _Field(
    "month",
    1,
    12,
    names=("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
)
_DAY_OF_WEEK = _Field(
    "day-of-week",
    1,
    7,
    specials=", - * ? L #",
    names=("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"),
)
_YEAR = _Field("year", MIN_YEAR, MAX_YEAR, cyclic=False)
_MIN_GAP_MINUTES = 5


@dataclass(frozen=True)
class MonthDays:
    """A day-of-month rule: listed days, `L` (last day), `LW` (last weekday), `nW` terms."""

    days: tuple[int, ...]
    last: bool = False
    last_weekday: bool = False
    nearest_weekday: tuple[int, ...] = ()

    def days_in(self, first_weekday: int, length: int) -> list[int]:
        """Return the matching days, ascending, of a month of `length` days starting on
        `first_weekday` (1 = SUN ... 7 = SAT)."""
        days = list(self.days[: bisect_right(self.days, length)])
        extra = [
            _nearest_weekday(day, first_weekday, length)
            for day in self.nearest_weekday
            if day <= length
        ]
        if self.last:
            extra.append(length)
        if self.last_weekday:
            extra.append(_nearest_weekday(length, first_weekday, length))
        return sorted({*days, *extra}) if extra else days


@dataclass(frozen=True)
class WeekDays:
    """A day-of-week rule (1 = SUN ... 7 = SAT): listed weekdays, `dL` terms, one `d#n` term."""

    weekdays: tuple[int, ...]
    last: tuple[int, ...] = ()
    nth: tuple[int, int] | None = None

    def days_in(self, first_weekday: int, length: int) -> list[int]:
        """Return the matching days, ascending, of a month of `length` days starting on
        `first_weekday` (1 = SUN ... 7 = SAT)."""
        days: set[int] = set()
        for weekday in self.weekdays:
            days.update(range(1 + (weekday - first_weekday) % 7, length + 1, 7))
        for weekday in self.last:
            first = 1 + (weekday - first_weekday) % 7
            days.add(first + (length - first) // 7 * 7)
        if self.nth is not None:
            weekday, n = self.nth
            day = 1 + (weekday - first_weekday) % 7 + 7 * (n - 1)
            if day <= length:
                days.add(day)
        return sorted(days)


def _nearest_weekday(day: int, first_weekday: int, length: int) -> int:
    """Return the Monday-to-Friday day nearest `day` without leaving the month."""
    weekday = (first_weekday - 1 + day - 1) % 7 + 1
    if weekday == 7:  # Saturday: the Friday before, or the Monday after the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 1:  # Sunday: the Monday after, or the Friday before the last day
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True, repr=False)
class CronSchedule:
    """A parsed cron expression; every tuple is sorted and non-empty."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: MonthDays | WeekDays
    months: tuple[int, ...]
    years: tuple[int, ...]
    _month_cache: dict[tuple[int, int], list[int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __repr__(self) -> str:
        return f"CronSchedule({self.text!r})"

    def next_after(self, local: datetime) -> datetime | None:
        """Return the first naive wall-clock time strictly after naive `local` that matches,
        or None when there is none up to the end of `MAX_YEAR`."""
        if (
            local.year in self.years
            and local.month in self.months
            and local.day in self._days_of(local.year, local.month)
        ):
            time = self._time_after(local.hour, local.minute, local.second)
            if time is not None:
                return datetime(local.year, local.month, local.day, *time)
        date = self._date_from(local.year, local.month, local.day + 1)
        if date is None:
            return None
        return datetime(*date, self.hours[0], self.minutes[0], self.seconds[0])

    def _time_after(self, hour: int, minute: int, second: int) -> tuple[int, int, int] | None:
        """Return the first matching (hour, minute, second) of a day after the given one."""
        if hour in self.hours:
            if minute in self.minutes:
                index = bisect_right(self.seconds, second)
                if index < len(self.seconds):
                    return hour, minute, self.seconds[index]
            index = bisect_right(self.minutes, minute)
            if index < len(self.minutes):
                return hour, self.minutes[index], self.seconds[0]
        index = bisect_right(self.hours, hour)
        if index < len(self.hours):
            return self.hours[index], self.minutes[0], self.seconds[0]
        return None

    def _date_from(self, year: int, month: int, day: int) -> tuple[int, int, int] | None:
        """Return the first matching (year, month, day) on or after the given one; `day` may
        lie past the end of its month."""
        for matched_year in self.years[bisect_left(self.years, year) :]:
            if matched_year > year:
                month, day = 1, 1
            for matched_month in self.months[bisect_left(self.months, month) :]:
                if matched_month > month:
                    day = 1
                days = self._days_of(matched_year, matched_month)
                index = bisect_left(days, day)
                if index < len(days):
                    return matched_year, matched_month, days[index]
        return None

    def _days_of(self, year: int, month: int) -> list[int]:
        """Return the matching days of a month, ascending (memoised; the list is shared)."""
        days = self._month_cache.get((year, month))
        if days is None:
            monday_based, length = calendar.monthrange(year, month)
            days = self.days.days_in((monday_based + 1) % 7 + 1, length)
            self._month_cache[year, month] = days
        return days


def parse_cron(text: str) -> CronSchedule:
    """Parse `cron(...)` text (6 fields, or 7 with leading seconds); raise ValidationError."""
    if not (text.startswith("cron(") and text.endswith(")")):
        _fail(text, "write it as cron(minutes hours day-of-month month day-of-week year).")
    parts = text[5:-1].upper().split()
    if len(parts) not in (6, 7):
        _fail(
            text,
            "expected 6 fields (minutes hours day-of-month month day-of-week year) "
            f"or 7 with a leading seconds field, got {len(parts)}.",
        )
    if len(parts) == 6:
        parts.insert(0, "0")
    second_text, minute_text, hour_text, dom_text, month_text, dow_text, year_text = parts
    seconds = _values(text, second_text, _SECONDS)
    minutes = _values(text, minute_text, _MINUTES)
    hours = _values(text, hour_text, _HOURS)
    if (dom_text == "?") == (dow_text == "?"):
        _fail(
            text,
            "exactly one of the day-of-month and day-of-week fields must be '?', "
            f"got {dom_text!r} and {dow_text!r}.",
        )
    days = _week_days(text, dow_text) if dom_text == "?" else _month_days(text, dom_text)
    months = _values(text, month_text, _MONTH)
    years = _values(text, year_text, _YEAR)
    if len(seconds) > 1:
        _fail(
            text,
            f"seconds field {second_text!r} gives more than one second; schedules run at most "
            "every 5 minutes, so use a single value 0-59.",
        )
    _check_minute_gaps(text, minute_text, minutes, hours)
    return CronSchedule(text, seconds, minutes, hours, days, months, years)


def _check_minute_gaps(
    text: str, minute_text: str, minutes: tuple[int, ...], hours: tuple[int, ...]
) -> None:
    pairs = list(pairwise(minutes))
    if any((hour + 1) % 24 in hours for hour in hours):
        pairs.append((minutes[-1], minutes[0] + 60))
    for first, second in pairs:
        if second - first < _MIN_GAP_MINUTES:
            _fail(
                text,
                f"minutes field {minute_text!r} fires at :{first:02d} and :{second % 60:02d}, "
                "less than 5 minutes apart; schedules run at most every 5 minutes.",
            )


def _month_days(text: str, field_text: str) -> MonthDays:
    days: set[int] = set()
    last = last_weekday = False
    nearest: set[int] = set()
    for term in field_text.split(","):
        if term == "L":
            last = True
        elif term == "LW":
            last_weekday = True
        elif term.endswith("W"):
            nearest.add(_value(text, term[:-1], term, _DAY_OF_MONTH))
        else:
            days.update(_term(text, field_text, term, _DAY_OF_MONTH))
    return MonthDays(tuple(sorted(days)), last, last_weekday, tuple(sorted(nearest)))


def _week_days(text: str, field_text: str) -> WeekDays:
    weekdays: set[int] = set()
    last: set[int] = set()
    nth: tuple[int, int] | None = None
    for term in field_text.split(","):
        if term == "L":
            weekdays.add(7)
        elif term.endswith("L"):
            last.add(_value(text, term[:-1], term, _DAY_OF_WEEK))
        elif "#" in term:
            if nth is not None:
                _fail(
                    text,
                    f"day-of-week field {field_text!r} has more than one '#' term; "
                    "only one is allowed.",
                )
            day_text, _, n_text = term.partition("#")
            weekday = _value(text, day_text, term, _DAY_OF_WEEK)
            if not (n_text.isascii() and n_text.isdigit() and 1 <= int(n_text) <= 5):
                _fail(
                    text,
                    f"day-of-week field value {term!r} is not allowed; "
                    "the number after '#' must be 1-5.",
                )
            nth = (weekday, int(n_text))
        else:
            weekdays.update(_term(text, field_text, term, _DAY_OF_WEEK))
    return WeekDays(tuple(sorted(weekdays)), tuple(sorted(last)), nth)


def _values(text: str, field_text: str, spec: _Field) -> tuple[int, ...]:
    values: set[int] = set()
    for term in field_text.split(","):
        values.update(_term(text, field_text, term, spec))
    return tuple(sorted(values))


def _term(text: str, field_text: str, term: str, spec: _Field) -> list[int]:
    """Expand `*`, `v`, `a-b`, `*/s`, `a/s` or `a-b/s` to its values."""
    if not term:
        _fail(text, f"{spec.name} field {field_text!r} has an empty list item; {spec.allowed()}.")
    if term == "?" and "?" in spec.specials:
        _fail(text, f"{spec.name} field {field_text!r} lists '?'; '?' must stand alone.")
    base, slash, step_text = term.partition("/")
    if slash and "/" not in spec.specials:
        _fail(text, f"{spec.name} field value {term!r} is not allowed; {spec.allowed()}.")
    step = 1
    if slash:
        if not (step_text.isascii() and step_text.isdigit() and int(step_text) >= 1):
            _fail(
                text,
                f"{spec.name} field value {term!r} has step {step_text!r}; "
                "the step after '/' must be a whole number of at least 1.",
            )
        step = int(step_text)
    if base == "*":
        return list(range(spec.low, spec.high + 1, step))
    start_text, dash, end_text = base.partition("-")
    start = _value(text, start_text, term, spec)
    if dash:
        end = _value(text, end_text, term, spec)
    elif slash:
        end = spec.high
    else:
        end = start
    if start <= end:
        return list(range(start, end + 1, step))
    if not spec.cyclic:
        _fail(
            text,
            f"{spec.name} field range {base!r} runs backwards; put the earlier {spec.name} first.",
        )
    return [*range(start, spec.high + 1), *range(spec.low, end + 1)][::step]


def _value(text: str, value_text: str, term: str, spec: _Field) -> int:
    if value_text in spec.names:
        return spec.low + spec.names.index(value_text)
    if not (value_text.isascii() and value_text.isdigit()):
        _fail(text, f"{spec.name} field value {term!r} is not allowed; {spec.allowed()}.")
    value = int(value_text)
    if not spec.low <= value <= spec.high:
        _fail(text, f"{spec.name} field value {value} is out of range {spec.low}-{spec.high}.")
    return value


def _fail(text: str, detail: str) -> NoReturn:
    raise ValidationError(f"Invalid cron expression {text!r}: {detail}")
