"""Topics and subscriptions on SQLAlchemy Core (`transom.store.ports.topics.TopicPort`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.topics import Subscription, Topic
from transom.store import schema as t

_t = t.topics
_s = t.subscriptions


def _topic(row: Any) -> Topic:
    return Topic(
        name=row.name,
        attributes=dict(row.attributes),
        tags=dict(row.tags),
        created_date=row.created_date,
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        topic_name=row.topic_name,
        protocol=row.protocol,
        endpoint=row.endpoint,
        attributes=dict(row.attributes),
        token=row.token,
        confirmed=bool(row.confirmed),
        created_date=row.created_date,
    )


class TopicQueries:
    _conn: Connection

    def insert_topic(self, topic: Topic) -> None:
        self._conn.execute(
            _t.insert().values(
                name=topic.name,
                attributes=dict(topic.attributes),
                tags=dict(topic.tags),
                created_date=topic.created_date,
            )
        )

    def get_topic(self, name: str) -> Topic | None:
        row = self._conn.execute(sa.select(_t).where(_t.c.name == name)).first()
        return None if row is None else _topic(row)

    def list_topics(self, after: str | None, limit: int) -> list[Topic]:
        query = sa.select(_t).order_by(_t.c.name).limit(limit)
        if after is not None:
            query = query.where(_t.c.name > after)
        return [_topic(row) for row in self._conn.execute(query)]

    def count_topics(self) -> int:
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(_t)).scalar_one())

    def update_topic(self, topic: Topic) -> None:
        self._conn.execute(
            _t.update()
            .where(_t.c.name == topic.name)
            .values(attributes=dict(topic.attributes), tags=dict(topic.tags))
        )

    def delete_topic(self, name: str) -> bool:
        self._conn.execute(_s.delete().where(_s.c.topic_name == name))
        return self._conn.execute(_t.delete().where(_t.c.name == name)).rowcount > 0

    def insert_subscription(self, subscription: Subscription) -> None:
        self._conn.execute(
            _s.insert().values(
                subscription_id=subscription.subscription_id,
                topic_name=subscription.topic_name,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
                attributes=dict(subscription.attributes),
                token=subscription.token,
                confirmed=subscription.confirmed,
                created_date=subscription.created_date,
            )
        )

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        query = sa.select(_s).where(_s.c.subscription_id == subscription_id)
        row = self._conn.execute(query).first()
        return None if row is None else _subscription(row)

    def find_subscription(
        self, topic_name: str, protocol: str, endpoint: str
    ) -> Subscription | None:
        query = sa.select(_s).where(
            _s.c.topic_name == topic_name, _s.c.protocol == protocol, _s.c.endpoint == endpoint
        )
        row = self._conn.execute(query.order_by(_s.c.seq).limit(1)).first()
        return None if row is None else _subscription(row)

    def list_subscriptions(
        self, topic_name: str | None, after: str | None, limit: int
    ) -> list[Subscription]:
        query = sa.select(_s).order_by(_s.c.subscription_id).limit(limit)
        if topic_name is not None:
            query = query.where(_s.c.topic_name == topic_name)
        if after is not None:
            query = query.where(_s.c.subscription_id > after)
        return [_subscription(row) for row in self._conn.execute(query)]

    def update_subscription(self, subscription: Subscription) -> None:
        self._conn.execute(
            _s.update()
            .where(_s.c.subscription_id == subscription.subscription_id)
            .values(
                attributes=dict(subscription.attributes),
                token=subscription.token,
                confirmed=subscription.confirmed,
            )
        )

    def delete_subscription(self, subscription_id: str) -> bool:
        deleted = self._conn.execute(_s.delete().where(_s.c.subscription_id == subscription_id))
        return deleted.rowcount > 0

    def subscription_counts(self, topic_name: str) -> tuple[int, int]:
        query = (
            sa.select(_s.c.confirmed, sa.func.count())
            .where(_s.c.topic_name == topic_name)
            .group_by(_s.c.confirmed)
        )
        counts = {bool(confirmed): int(n) for confirmed, n in self._conn.execute(query)}
        return counts.get(True, 0), counts.get(False, 0)

    def confirmed_subscription_ids(self, topic_name: str) -> list[str]:
        query = (
            sa.select(_s.c.subscription_id)
            .where(_s.c.topic_name == topic_name, _s.c.confirmed.is_(True))
            .order_by(_s.c.seq)
        )
        return list(self._conn.execute(query).scalars())
