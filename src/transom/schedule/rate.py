"""`rate(N unit)` schedules (SPEC §c.3): a fixed interval, anchored by `Timetable`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from transom.domain.errors import ValidationError

_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_RATE_VALUE = 999_999_999


@dataclass(frozen=True)
class RateSchedule:
    """A parsed rate expression: runs every `interval`."""

    text: str
    interval: timedelta


def parse_rate(text: str) -> RateSchedule:
    """Parse `rate(N unit)`: N in 1..MAX_RATE_VALUE, unit minute|hour|day, singular exactly
    when N = 1. Raise ValidationError otherwise."""
    parts = text[5:-1].split() if text.startswith("rate(") and text.endswith(")") else []
    if len(parts) != 2:
        _fail(text, "write it as rate(value unit), e.g. rate(30 minutes) or rate(1 day).")
    value_text, unit = parts
    if not (value_text.isascii() and value_text.isdigit()) or not (
        1 <= int(value_text) <= MAX_RATE_VALUE
    ):
        _fail(text, f"value {value_text!r} must be a whole number from 1 to {MAX_RATE_VALUE}.")
    value = int(value_text)
    singular = unit.removesuffix("s")
    if singular not in _UNITS:
        _fail(text, f"unit {unit!r} is not allowed; use minute(s), hour(s) or day(s).")
    expected = singular if value == 1 else singular + "s"
    if unit != expected:
        _fail(
            text,
            f"unit {unit!r} does not agree with the value {value}; use {expected!r} "
            "(singular for 1, plural above 1).",
        )
    return RateSchedule(text, value * _UNITS[singular])


def _fail(text: str, detail: str) -> NoReturn:
    raise ValidationError(f"Invalid rate expression {text!r}: {detail}")
