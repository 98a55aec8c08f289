"""The outbox: events appended in the transaction of the change they report, then relayed
once each to the rules that route them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from transom.domain.events import Event, EventHead, StoredEvent


class EventPort(Protocol):
    def append_events(self, events: Sequence[Event]) -> None:
        """Add the events, in order, unrelayed; their ids must be new."""

    def unrelayed_events(self, limit: int) -> list[StoredEvent]:
        """Up to `limit` events not yet relayed, oldest first. On PostgreSQL they stay locked
        to this transaction, and events another transaction holds are skipped."""

    def unrelayed_heads(self, limit: int) -> list[EventHead]:
        """What `unrelayed_events(limit)` would return, each event's head only (its detail's
        JSON is not decoded), locked the same way."""

    def events_of(self, seqs: Sequence[int]) -> list[StoredEvent]:
        """The events with these `seq`s, in `seq` order (those that exist)."""

    def has_unrelayed(self) -> bool:
        """Whether any event is not yet relayed (a cheap check before `unrelayed_events`)."""

    def count_unrelayed(self) -> int:
        """How many events are not yet relayed."""

    def mark_relayed(self, seqs: Sequence[int]) -> int:
        """Mark these events relayed; how many were not already."""

    def events_after(self, seq: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events with a larger `seq` than `seq`, relayed or not, in `seq`
        order."""

    def last_event_seq(self) -> int:
        """The largest `seq` of any event; 0 when there is none."""

    def prune_events(self, before: datetime) -> int:
        """Delete relayed events older than `before`; how many went."""
