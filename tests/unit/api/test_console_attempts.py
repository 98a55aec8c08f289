"""The sign-in limit: failures counted per address and per key id over a sliding period."""

from __future__ import annotations

from transom.api.console.attempts import FailedAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_failures_in_a_minute_refuse_the_address_or_the_key_until_they_age_out() -> None:
    clock = Clock()
    attempts = FailedAttempts(limit=10, period=60, clock=clock)
    for n in range(9):
        attempts.failed("address:a", f"key:{n}")
        clock.now += 1
    assert not attempts.refused("address:a", "key:new")
    attempts.failed("address:a", "key:0")
    assert attempts.refused("address:a", "key:new")  # the address: ten failures
    assert not attempts.refused("address:b", "key:0")  # key:0 failed twice only
    clock.now += 51  # the first failure (at 1000) is now a minute old
    assert not attempts.refused("address:a", "key:new")
    for _ in range(10):
        attempts.failed("address:c", "key:target")
    assert attempts.refused("address:d", "key:target")  # the key, from any address
