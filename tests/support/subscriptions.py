"""Subscriptions written straight into their table, for tests of delivery that do not go
through the topics port."""

from __future__ import annotations

from collections.abc import Mapping

from transom.domain.topics import Subscription
from transom.store import schema
from transom.store.sql import SqlStore


def add_subscription(store: SqlStore, subscription: Subscription) -> Subscription:
    with store.engine.begin() as conn:
        conn.execute(
            schema.subscriptions.insert().values(
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
    return subscription


def remove_subscription(store: SqlStore, subscription_id: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            schema.subscriptions.delete().where(
                schema.subscriptions.c.subscription_id == subscription_id
            )
        )


def subscription(
    subscription_id: str,
    endpoint: str,
    protocol: str = "http",
    topic_name: str = "ops",
    attributes: Mapping[str, str] | None = None,
) -> Subscription:
    from tests.store.records import NOW

    return Subscription(
        subscription_id=subscription_id,
        topic_name=topic_name,
        protocol=protocol,
        endpoint=endpoint,
        attributes=attributes or {},
        token="token-" + subscription_id,
        confirmed=True,
        created_date=NOW,
    )
