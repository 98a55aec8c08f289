"""Subscriptions written through the store's topic port, for tests of delivery that need no
topic API."""

from __future__ import annotations

from collections.abc import Mapping

from transom.domain.topics import Subscription
from transom.store.sql import SqlStore


def add_subscription(store: SqlStore, subscription: Subscription) -> Subscription:
    with store.write() as tx:
        tx.insert_subscription(subscription)
    return subscription


def remove_subscription(store: SqlStore, subscription_id: str) -> None:
    with store.write() as tx:
        tx.delete_subscription(subscription_id)


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
