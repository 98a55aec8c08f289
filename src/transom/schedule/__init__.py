"""Schedules: parsing `cron(...)`, `rate(...)` and `at(...)`, and placing them in time.

Pure: imports only the standard library and `transom.domain`. Instants are aware datetimes;
calendar matching happens on naive wall-clock times of the window's zone.
"""

from transom.schedule.at import AtSchedule
from transom.schedule.cron import CronSchedule
from transom.schedule.duration import cutoff_at, window_end
from transom.schedule.expression import Schedule, parse_schedule
from transom.schedule.occurrences import Timetable
from transom.schedule.rate import RateSchedule
from transom.schedule.timestamps import format_aws_datetime, parse_iso_datetime
from transom.schedule.zones import UTC_ZONE, load_zone, local_to_instant

__all__ = [
    "UTC_ZONE",
    "AtSchedule",
    "CronSchedule",
    "RateSchedule",
    "Schedule",
    "Timetable",
    "cutoff_at",
    "format_aws_datetime",
    "load_zone",
    "local_to_instant",
    "parse_iso_datetime",
    "parse_schedule",
    "window_end",
]
