"""The outbox on SQLAlchemy Core (`transom.store.ports.events.EventPort`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.events import Event, EventHead, StoredEvent
from transom.store import schema as t

_e = t.events


_SELECT = sa.select(
    _e.c.seq, _e.c.event_id, _e.c.time, _e.c.source, _e.c.detail_type, _e.c.resources, _e.c.detail
)
# built once: the relay runs these every 50 ms and for every batch
_UNRELAYED = _SELECT.where(sa.text("NOT relayed")).order_by(_e.c.seq).limit(sa.bindparam("n"))
_UNRELAYED_HEADS = (
    sa.select(_e.c.seq, _e.c.source, _e.c.detail_type, _e.c.detail["command-id"].as_string())
    .where(sa.text("NOT relayed"))
    .order_by(_e.c.seq)
    .limit(sa.bindparam("n"))
)
_EVENTS_OF = _SELECT.where(_e.c.seq.in_(sa.bindparam("seqs", expanding=True))).order_by(_e.c.seq)
_HAS_UNRELAYED = sa.select(_e.c.seq).where(sa.text("NOT relayed")).limit(1)
_MARK_RELAYED = (
    _e.update()
    .where(_e.c.seq.in_(sa.bindparam("seqs", expanding=True)), sa.text("NOT relayed"))
    .values(relayed=True)
)


def _stored(row: sa.Row[Any, Any, Any, Any, Any, Any, Any]) -> StoredEvent:
    """A row of `_SELECT`, by position (a relayed batch reads hundreds)."""
    seq, event_id, time, source, detail_type, resources, detail = row
    return StoredEvent(seq, Event(event_id, time, source, detail_type, tuple(resources), detail))


class EventQueries:
    _conn: Connection

    def append_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        self._conn.execute(
            _e.insert(),
            [
                {
                    "event_id": e.event_id,
                    "time": e.time,
                    "source": e.source,
                    "detail_type": e.detail_type,
                    "resources": list(e.resources),
                    "detail": dict(e.detail),
                    "relayed": False,
                }
                for e in events
            ],
        )

    def unrelayed_events(self, limit: int) -> list[StoredEvent]:
        query = _UNRELAYED
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_stored(row) for row in self._conn.execute(query, {"n": limit})]

    def unrelayed_heads(self, limit: int) -> list[EventHead]:
        query = _UNRELAYED_HEADS
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [EventHead(*row) for row in self._conn.execute(query, {"n": limit})]

    def events_of(self, seqs: Sequence[int]) -> list[StoredEvent]:
        if not seqs:
            return []
        return [_stored(row) for row in self._conn.execute(_EVENTS_OF, {"seqs": list(seqs)})]

    def has_unrelayed(self) -> bool:
        return self._conn.execute(_HAS_UNRELAYED).first() is not None

    def mark_relayed(self, seqs: Sequence[int]) -> int:
        if not seqs:
            return 0
        return int(self._conn.execute(_MARK_RELAYED, {"seqs": list(seqs)}).rowcount)

    def events_after(self, seq: int, limit: int) -> list[StoredEvent]:
        query = _SELECT.where(_e.c.seq > seq).order_by(_e.c.seq).limit(limit)
        return [_stored(row) for row in self._conn.execute(query)]

    def last_event_seq(self) -> int:
        return int(
            self._conn.execute(sa.select(sa.func.coalesce(sa.func.max(_e.c.seq), 0))).scalar_one()
        )

    def prune_events(self, before: datetime) -> int:
        statement = _e.delete().where(_e.c.time < before, _e.c.relayed.is_(True))
        return int(self._conn.execute(statement).rowcount)
