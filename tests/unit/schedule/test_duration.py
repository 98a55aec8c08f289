"""Duration and Cutoff (SPEC §c.8)."""

from __future__ import annotations

from datetime import UTC, datetime

from transom.schedule import cutoff_at, window_end

START = datetime(2024, 1, 1, 15, 0, tzinfo=UTC)


def test_the_window_ends_duration_hours_after_its_start() -> None:
    assert window_end(START, 3) == datetime(2024, 1, 1, 18, 0, tzinfo=UTC)


def test_no_task_starts_after_the_cutoff_before_the_end() -> None:
    assert cutoff_at(START, 3, 1) == datetime(2024, 1, 1, 17, 0, tzinfo=UTC)


def test_a_zero_cutoff_lets_tasks_start_until_the_end() -> None:
    assert cutoff_at(START, 3, 0) == window_end(START, 3)
