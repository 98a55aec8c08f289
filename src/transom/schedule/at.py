"""`at(yyyy-mm-ddThh:mm:ss)` one-time schedules (SPEC §c.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from transom.domain.errors import ValidationError
from transom.schedule.cron import MAX_YEAR, MIN_YEAR

_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)", re.ASCII)


@dataclass(frozen=True)
class AtSchedule:
    """A parsed at expression: one run at naive wall time `local`, read in the zone."""

    text: str
    local: datetime


def parse_at(text: str) -> AtSchedule:
    """Parse `at(yyyy-mm-ddThh:mm:ss)` with a real date and a year in 1970..2199; raise
    ValidationError otherwise."""
    match = _AT.fullmatch(text)
    if match is None:
        raise ValidationError(
            f"Invalid at expression {text!r}: write it as at(yyyy-mm-ddThh:mm:ss), "
            "e.g. at(2025-07-07T15:55:00)."
        )
    year, month, day, hour, minute, second = (int(group) for group in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValidationError(
            f"Invalid at expression {text!r}: {text[3:-1]} is not a real date and time."
        ) from None
    if not MIN_YEAR <= local.year <= MAX_YEAR:
        raise ValidationError(
            f"Invalid at expression {text!r}: year {local.year} is out of range "
            f"{MIN_YEAR}-{MAX_YEAR}."
        )
    return AtSchedule(text, local)
