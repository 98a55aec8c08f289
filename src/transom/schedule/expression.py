"""The `Schedule` of a window: one of the three forms of SPEC §c.1."""

from __future__ import annotations

from functools import lru_cache

from transom.domain.errors import ValidationError
from transom.schedule.at import AtSchedule, parse_at
from transom.schedule.cron import CronSchedule, parse_cron
from transom.schedule.rate import RateSchedule, parse_rate

Schedule = CronSchedule | RateSchedule | AtSchedule
MAX_SCHEDULE_LENGTH = 256


@lru_cache(maxsize=4096)
def parse_schedule(text: str) -> Schedule:
    """Parse a `cron(...)`, `rate(...)` or `at(...)` expression; raise ValidationError for
    anything else. Results are immutable and cached by text."""
    if len(text) > MAX_SCHEDULE_LENGTH:
        raise ValidationError(
            f"Invalid schedule: it is {len(text)} characters long; "
            f"the limit is {MAX_SCHEDULE_LENGTH}."
        )
    if text.startswith("cron("):
        return parse_cron(text)
    if text.startswith("rate("):
        return parse_rate(text)
    if text.startswith("at("):
        return parse_at(text)
    raise ValidationError(
        f"Invalid schedule {text!r}: use cron(...), rate(...) or at(...), "
        "e.g. cron(0 2 ? * SUN *), rate(1 day) or at(2025-07-07T15:55:00)."
    )
