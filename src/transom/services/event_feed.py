"""The live event feed: the outbox read from a position, as envelopes, through a pattern.

A reader keeps the position (`next`) each read hands back and passes it to the next read.
The feed is for watching, not for delivery: on PostgreSQL an event whose transaction commits
after a later-numbered one became visible can be passed over (the outbox's relay, not this
feed, is what delivers every event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transom.domain.events import Realm
from transom.events.envelope import envelope
from transom.events.patterns import EventPattern, compile_pattern
from transom.store.port import Store

__all__ = ["SCAN_LIMIT", "EventFeed", "EventPattern", "FeedPage"]
"""`EventPattern` too: adapters name the type through the service, not `events/`."""

SCAN_LIMIT = 500
"""Events read from the outbox per call, matching or not."""


@dataclass(frozen=True)
class FeedPage:
    """The matching envelopes among the events after a position, and the position after them
    all. `more`: the scan stopped at its limit, so later events may be waiting already."""

    events: list[dict[str, Any]]
    next: int
    more: bool


class EventFeed:
    def __init__(self, store: Store, realm: Realm) -> None:
        self._store = store
        self._realm = realm

    def pattern(self, text: str) -> EventPattern:
        """The compiled pattern; `InvalidEventPatternError` says what is wrong with it."""
        return compile_pattern(text)

    def position(self) -> int:
        """The position now: a read from here sees only events appended later."""
        with self._store.read() as tx:
            return tx.last_event_seq()

    def read(self, after: int, pattern: EventPattern | None, limit: int = SCAN_LIMIT) -> FeedPage:
        """The events after position `after` (up to `limit` of them scanned) that match
        `pattern` (all, without one), as envelopes in order."""
        with self._store.read() as tx:
            stored = tx.events_after(after, limit)
        envelopes = [envelope(item.event, self._realm) for item in stored]
        matching = [e for e in envelopes if pattern is None or pattern.matches(e)]
        return FeedPage(matching, stored[-1].seq if stored else after, len(stored) == limit)
