"""Next occurrence for 10,000 windows of mixed kinds and zones, on one core.

Run: .venv/bin/python bench/schedule.py  (target: under 0.5 s)
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

from transom.schedule import Timetable, load_zone, parse_schedule

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
SCHEDULES = [
    "cron(30 09 ? * * *)",
    "cron(0 2 ? * THU#3 *)",
    "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(15 10 ? * 6L *)",
    "cron(0 0 29 2 ? *)",
    "rate(5 minutes)",
    "at(2030-01-01T00:00:00)",
]


def main() -> None:
    now = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
    tables = [
        Timetable(
            parse_schedule(SCHEDULES[i % len(SCHEDULES)]),
            changed_at=now - timedelta(days=1),
            zone=load_zone(ZONES[i % len(ZONES)]),
            offset_days=2 if i % len(SCHEDULES) == 1 else None,
        )
        for i in range(10_000)
    ]
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for table in tables:
            table.next_after(now)
        rounds.append(time.process_time() - started)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; next occurrence of 10,000 windows "
        f"({len(SCHEDULES)} kinds x {len(ZONES)} zones), CPU time on one core: "
        f"median {statistics.median(rounds):.3f} s, best {min(rounds):.3f} s of 5"
    )


if __name__ == "__main__":
    main()
