"""The retry policy: exponential back-off with jitter, capped, kept up for an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from transom.domain.delivery_policy import RetryPolicy

POLICY = RetryPolicy()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (1000, 300)],
)
def test_waits_double_from_the_minimum_up_to_the_cap(failures: int, seconds: float) -> None:
    assert POLICY.delay(failures, draw=0.0) == timedelta(seconds=seconds)


def test_jitter_shortens_a_wait_by_up_to_half() -> None:
    assert POLICY.delay(6, draw=0.5) == timedelta(seconds=24)
    assert POLICY.delay(6, draw=0.999) > timedelta(seconds=16)


def test_a_failure_within_the_hour_is_retried_after_the_delay() -> None:
    now = T0 + timedelta(minutes=59, seconds=59)
    assert POLICY.next_attempt(T0, 12, now, draw=0.0) == now + timedelta(minutes=5)


def test_a_failure_an_hour_after_the_first_due_gives_up() -> None:
    assert POLICY.next_attempt(T0, 12, T0 + timedelta(hours=1), draw=0.0) is None


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999])
def test_attempts_always_span_at_least_an_hour(draw: float) -> None:
    now, failures = T0, 0
    while True:
        failures += 1
        retry = POLICY.next_attempt(T0, failures, now, draw)
        if retry is None:
            break
        now = retry
    assert now - T0 >= timedelta(hours=1)
    assert now - T0 < timedelta(hours=1, minutes=5)
    assert 15 <= failures <= 40
