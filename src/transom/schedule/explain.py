"""Plain-English descriptions of parsed schedules, for people reading them (SPEC.md §i item 2).

`describe_schedule` works from the parsed values, so equivalent expressions read the same
(`MON-FRI` and `2-6` both give "every Monday to Friday"). It describes and does not validate:
build a `Timetable` first to refuse an offset the schedule cannot take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

from transom.schedule.at import AtSchedule
from transom.schedule.cron import MAX_YEAR, MIN_YEAR, CronSchedule, MonthDays, WeekDays
from transom.schedule.expression import Schedule
from transom.schedule.rate import RateSchedule

_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NTH = ("first", "second", "third", "fourth", "fifth")
_MAX_LISTED_TIMES = 6


def describe_schedule(
    schedule: Schedule, zone_name: str | None = None, offset_days: int | None = None
) -> str:
    """Describe `schedule` read in zone `zone_name` (UTC when None) with each cron run shifted
    `offset_days` later, e.g. "At 23:30, on the second Tuesday of the month, shifted 2 days
    later, in Europe/Berlin"."""
    zone = f"in {zone_name or 'UTC'}"
    match schedule:
        case RateSchedule():
            value, unit = schedule.text[5:-1].split()
            every = f"Every {unit}" if value == "1" else f"Every {value} {unit}"
            return f"{every}, counted from when the schedule was set or from a later StartDate"
        case AtSchedule():
            local = schedule.local
            at = _clock(local.hour, local.minute, local.second)
            return f"Once, at {at} on {local:%Y-%m-%d}, {zone}"
        case CronSchedule():
            parts = [_time_phrase(schedule), _days_phrase(schedule.days)]
            if len(schedule.months) < len(_MONTHS):
                parts.append("in " + _join(_ranges(schedule.months, _MONTHS.__getitem__, -1)))
            if len(schedule.years) <= MAX_YEAR - MIN_YEAR:
                parts.append(_years_phrase(schedule.years))
            if offset_days:
                parts.append(f"shifted {offset_days} day{'s' if offset_days > 1 else ''} later")
            return ", ".join([*parts, zone])


def _time_phrase(cron: CronSchedule) -> str:
    (second,) = cron.seconds
    minutes, hours = cron.minutes, cron.hours
    first, last = _clock(hours[0], minutes[0], second), _clock(hours[-1], minutes[-1], second)
    span = f"from {first} to {last}"
    if len(minutes) == 1:
        step = _even_step(hours)
        if len(hours) <= _MAX_LISTED_TIMES or step is None:
            return "At " + _join([_clock(hour, minutes[0], second) for hour in hours])
        if len(hours) == 24:
            return f"Every hour at :{minutes[0]:02d}" + (f":{second:02d}" if second else "")
        return f"{_every(step, 'hour')} {span}"
    step = _even_step(minutes)
    if step is not None and minutes[0] + 60 - minutes[-1] == step:  # even across the hour too
        phrase = _every(step, "minute")
        if len(hours) == 24 and minutes[0] == 0:
            return phrase + _at_second(second)
    else:
        phrase = "At " + _join([f":{minute:02d}" for minute in minutes]) + " past the hour"
        if len(hours) == 24:
            return phrase + _at_second(second)
    if len(hours) == 1 or _even_step(hours) == 1:
        return f"{phrase} {span}"
    hour_names = _join([f"{hour:02d}:00" for hour in hours])
    return f"{phrase} during the {hour_names} hours{_at_second(second)}"


def _days_phrase(days: MonthDays | WeekDays) -> str:
    if isinstance(days, WeekDays):
        terms = []
        if len(days.weekdays) == 7:
            terms.append("every day")
        elif days.weekdays:
            terms.append("every " + _join(_weekday_names(days.weekdays)))
        terms += [f"on the last {_WEEKDAYS[day - 1]} of the month" for day in days.last]
        if days.nth is not None:
            weekday, n = days.nth
            terms.append(f"on the {_NTH[n - 1]} {_WEEKDAYS[weekday - 1]} of the month")
        return " and ".join(terms)
    if len(days.days) == 31:
        return "every day"
    terms = _ranges(days.days, _ordinal)
    terms += [f"weekday nearest the {_ordinal(day)}" for day in days.nearest_weekday]
    if days.last:
        terms.append("last day")
    if days.last_weekday:
        terms.append("last weekday")
    return f"on the {_join(terms)} of the month"


def _years_phrase(years: tuple[int, ...]) -> str:
    if len(years) > 1 and years[-1] == MAX_YEAR and _even_step(years) == 1:
        return f"from {years[0]}"
    return "in " + _join(_ranges(years, str))


def _weekday_names(weekdays: tuple[int, ...]) -> list[str]:
    """Name fewer than seven weekdays (1 = SUN), joining runs that wrap past Saturday."""
    start = next(day for day in weekdays if (day - 2) % 7 + 1 not in weekdays)
    ordered = sorted(weekdays, key=lambda day: (day - start) % 7)
    return _ranges(ordered, _WEEKDAYS.__getitem__, -1, cycle=7)


def _ranges(
    values: Sequence[int], name: Callable[[int], str], shift: int = 0, cycle: int = 0
) -> list[str]:
    """Name `values` (ascending, or ascending modulo `cycle` with `cycle` followed by 1) by
    `name(value + shift)`, writing runs of three or more as "first to last"."""
    runs: list[list[int]] = []
    for value in values:
        previous = runs[-1][-1] if runs else None
        if previous is not None and value == (previous % cycle if cycle else previous) + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    names: list[str] = []
    for run in runs:
        if len(run) >= 3:
            names.append(f"{name(run[0] + shift)} to {name(run[-1] + shift)}")
        else:
            names.extend(name(value + shift) for value in run)
    return names


def _even_step(values: Sequence[int]) -> int | None:
    """The common difference of two or more evenly spaced values, else None."""
    if len(values) < 2:
        return None
    step = values[1] - values[0]
    evenly = all(b - a == step for a, b in pairwise(values))
    return step if evenly else None


def _every(step: int, unit: str) -> str:
    return f"Every {unit}" if step == 1 else f"Every {step} {unit}s"


def _at_second(second: int) -> str:
    return f", at second {second}" if second else ""


def _clock(hour: int, minute: int, second: int) -> str:
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _join(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
