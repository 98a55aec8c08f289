"""The outbox on SQLAlchemy Core (`transom.store.ports.events.EventPort`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.events import Event, StoredEvent
from transom.store import schema as t

_e = t.events


def _stored(row: sa.Row[Any]) -> StoredEvent:
    m = row._mapping
    return StoredEvent(
        seq=m["seq"],
        event=Event(
            event_id=m["event_id"],
            time=m["time"],
            source=m["source"],
            detail_type=m["detail_type"],
            resources=tuple(m["resources"]),
            detail=m["detail"],
        ),
    )


_SELECT = sa.select(_e)


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
        query = _SELECT.where(sa.text("NOT relayed")).order_by(_e.c.seq).limit(limit)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [_stored(row) for row in self._conn.execute(query)]

    def has_unrelayed(self) -> bool:
        query = sa.select(_e.c.seq).where(sa.text("NOT relayed")).limit(1)
        return self._conn.execute(query).first() is not None

    def mark_relayed(self, seqs: Sequence[int]) -> int:
        if not seqs:
            return 0
        statement = (
            _e.update().where(_e.c.seq.in_(list(seqs)), sa.text("NOT relayed")).values(relayed=True)
        )
        return int(self._conn.execute(statement).rowcount)

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
