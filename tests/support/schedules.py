"""Schedules for windows that a real server should start within the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def at_in(seconds: float) -> str:
    """An `at(...)` schedule this many seconds from now (UTC, whole seconds)."""
    return f"at({datetime.now(UTC) + timedelta(seconds=seconds):%Y-%m-%dT%H:%M:%S})"
