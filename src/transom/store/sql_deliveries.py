"""Messages and deliveries on SQLAlchemy Core (`transom.store.ports.deliveries.DeliveryPort`)."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.topics import DeliveryStatus, Message
from transom.store import schema as t

_d = t.deliveries
_m = t.messages


class DeliveryQueries:
    _conn: Connection

    def enqueue(self, message: Message, subscription_ids: Collection[str]) -> bool:
        exists = sa.select(_m.c.seq).where(_m.c.message_id == message.message_id)
        if self._conn.execute(exists).first() is not None:
            return False
        self._conn.execute(
            _m.insert().values(
                message_id=message.message_id,
                topic_name=message.topic_name,
                kind=message.kind.value,
                subject=message.subject,
                body=message.body,
                attributes=dict(message.attributes),
                created_date=message.created_date,
            )
        )
        if subscription_ids:
            self._conn.execute(
                _d.insert(),
                [
                    {
                        "message_id": message.message_id,
                        "subscription_id": subscription_id,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt": message.created_date,
                        "created_date": message.created_date,
                    }
                    for subscription_id in subscription_ids
                ],
            )
        return True

    def deliveries_of(self, message_id: str) -> list[tuple[str, str]]:
        query = (
            sa.select(_d.c.subscription_id, _d.c.status)
            .where(_d.c.message_id == message_id)
            .order_by(_d.c.seq)
        )
        return [(row.subscription_id, row.status) for row in self._conn.execute(query)]
