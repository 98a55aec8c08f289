"""The calendar feed cache: a feed is kept for a minute, and the oldest go first when full."""

from __future__ import annotations

from transom.api.console.ical import FeedCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_feed_is_kept_for_a_minute_and_the_oldest_leave_first() -> None:
    clock = Clock()
    cache = FeedCache(fresh=60, size=2, clock=clock)
    cache.put(("a", 1), b"one")
    assert cache.get(("a", 1)) == b"one"
    assert cache.get(("a", 2)) is None  # another version of the windows
    clock.now += 59
    assert cache.get(("a", 1)) == b"one"
    clock.now += 1
    assert cache.get(("a", 1)) is None
    cache.put("b", b"two")
    cache.put("c", b"three")
    cache.put("d", b"four")
    assert cache.get("b") is None
    assert cache.get("c") == b"three"
    assert cache.get("d") == b"four"
