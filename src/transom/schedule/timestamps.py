"""Date-time strings: AWS's offset-date-time output (SPEC §c.7) and ISO-8601 input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from transom.domain.errors import ValidationError

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)
_MAX_OFFSET = timedelta(hours=18)


def format_aws_datetime(instant: datetime, zone: tzinfo | None = None) -> str:
    """Format aware `instant`, seen in `zone` (UTC when None), as Java's
    `OffsetDateTime.toString()` does: `yyyy-MM-ddTHH:mm`, then `:ss` when seconds or
    milliseconds are non-zero, then `.SSS` when milliseconds are, then `Z` or `+HH:MM`
    (`+HH:MM:SS` for an offset with seconds). Sub-millisecond digits are dropped."""
    local = instant.astimezone(zone or UTC)
    millisecond = local.microsecond // 1000
    text = f"{local:%Y-%m-%dT%H:%M}"
    if local.second or millisecond:
        text += f":{local.second:02d}"
        if millisecond:
            text += f".{millisecond:03d}"
    offset = local.utcoffset()
    if not offset:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes, seconds = divmod(int(abs(offset).total_seconds()), 60)
    text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text + (f":{seconds:02d}" if seconds else "")


def parse_iso_datetime(text: str, name: str = "Timestamp") -> datetime:
    """Parse an ISO-8601 date and time such as `2021-04-07T14:29:00-08:00` into an aware UTC
    datetime. Seconds, a fraction and the offset (`Z`, `+HH:MM`, `+HHMM` or `+HH`) are
    optional; without an offset the time is UTC. A date alone (`2021-11-01`) is its midnight
    in UTC. `name` (e.g. "StartDate") heads the
    ValidationError raised for anything else."""
    match = _ISO.fullmatch(text)
    instant = None if match is None else _instant(match)
    if instant is None:
        raise ValidationError(
            f"{name} {text!r} is not a valid ISO-8601 date and time; use a value such as "
            "2021-04-07T14:29:00-08:00 or 2021-04-07 (without an offset the time is UTC)."
        )
    return instant


def _instant(match: re.Match[str]) -> datetime | None:
    """Return the UTC instant a syntactically valid match names, or None if it names none."""
    year, month, day, hour, minute, second, fraction, sign, offset_hours, offset_minutes = (
        match.groups()
    )
    offset = timedelta(hours=int(offset_hours or 0), minutes=int(offset_minutes or 0))
    if offset > _MAX_OFFSET or int(offset_minutes or 0) > 59:
        return None
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            timezone(-offset if sign == "-" else offset),
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
