"""Where a window run ends and when its last task may start (SPEC §c.8)."""

from __future__ import annotations

from datetime import datetime, timedelta


def window_end(start: datetime, duration_hours: int) -> datetime:
    """Return `start + Duration`: the end of the window run that starts at `start`."""
    return start + timedelta(hours=duration_hours)


def cutoff_at(start: datetime, duration_hours: int, cutoff_hours: int) -> datetime:
    """Return `window end - Cutoff`: no new task starts after this instant."""
    return window_end(start, duration_hours) - timedelta(hours=cutoff_hours)
