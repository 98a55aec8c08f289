"""The topic port: topics and their subscriptions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.topics import Subscription, Topic
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _topic(name: str) -> Topic:
    return Topic(name, {"DisplayName": name.upper()}, {"team": "ops"}, NOW)


def _subscription(n: int, topic: str = "alerts", *, confirmed: bool = False) -> Subscription:
    return Subscription(
        subscription_id=f"0000000{n}-0000-4000-8000-000000000000",
        topic_name=topic,
        protocol="https",
        endpoint=f"https://hooks.example/{n}",
        attributes={"RawMessageDelivery": "false"},
        token=f"token-{n}",
        confirmed=confirmed,
        created_date=NOW + timedelta(seconds=n),
    )


@covers("insert_topic", "get_topic", "list_topics", "count_topics", "update_topic")
def test_topics_round_trip_in_name_order(store: SqlStore) -> None:
    with store.write() as tx:
        for name in ("ops", "alerts", "builds"):
            tx.insert_topic(_topic(name))
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_topic(_topic("ops"))
    with store.write() as tx:
        tx.update_topic(replace(_topic("ops"), attributes={"DisplayName": "Ops"}, tags={}))
    with store.read() as tx:
        assert tx.get_topic("alerts") == _topic("alerts")
        assert tx.get_topic("ops") == replace(
            _topic("ops"), attributes={"DisplayName": "Ops"}, tags={}
        )
        assert tx.get_topic("nope") is None
        assert [t.name for t in tx.list_topics(None, 2)] == ["alerts", "builds"]
        assert [t.name for t in tx.list_topics("builds", 2)] == ["ops"]
        assert tx.count_topics() == 3


@covers("delete_topic", "insert_subscription", "get_subscription", "delete_subscription")
def test_deleting_a_topic_deletes_its_subscriptions(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_topic(_topic("alerts"))
        tx.insert_topic(_topic("ops"))
        tx.insert_subscription(_subscription(1))
        tx.insert_subscription(_subscription(2, "ops"))
        tx.insert_subscription(_subscription(3))
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_subscription(_subscription(1))
    with store.write() as tx:
        assert tx.delete_subscription(_subscription(3).subscription_id)
        assert not tx.delete_subscription(_subscription(3).subscription_id)
        assert tx.delete_topic("alerts")
        assert not tx.delete_topic("alerts")
    with store.read() as tx:
        assert tx.get_topic("alerts") is None
        assert tx.get_subscription(_subscription(1).subscription_id) is None
        assert tx.get_subscription(_subscription(2).subscription_id) == _subscription(2, "ops")


@covers("find_subscription", "list_subscriptions", "update_subscription")
def test_subscriptions_are_found_listed_and_updated(store: SqlStore) -> None:
    with store.write() as tx:
        for n, topic in ((3, "alerts"), (1, "alerts"), (2, "ops"), (4, "alerts")):
            tx.insert_subscription(_subscription(n, topic))
        tx.update_subscription(
            replace(_subscription(1), attributes={"ChatFormat": "text"}, confirmed=True)
        )
    with store.read() as tx:
        found = tx.find_subscription("alerts", "https", "https://hooks.example/1")
        assert found == replace(_subscription(1), attributes={"ChatFormat": "text"}, confirmed=True)
        assert tx.find_subscription("ops", "https", "https://hooks.example/1") is None
        assert tx.find_subscription("alerts", "http", "https://hooks.example/1") is None
        ids = [s.subscription_id[7] for s in tx.list_subscriptions(None, None, 10)]
        assert ids == ["1", "2", "3", "4"]
        page = tx.list_subscriptions("alerts", _subscription(1).subscription_id, 1)
        assert [s.subscription_id[7] for s in page] == ["3"]


@covers("subscription_counts", "confirmed_subscription_ids")
def test_confirmed_and_pending_subscriptions_are_told_apart(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_subscription(_subscription(3, confirmed=True))
        tx.insert_subscription(_subscription(1, confirmed=True))
        tx.insert_subscription(_subscription(2))
        tx.insert_subscription(_subscription(4, "ops", confirmed=True))
    with store.read() as tx:
        assert tx.subscription_counts("alerts") == (2, 1)
        assert tx.subscription_counts("none") == (0, 0)
        assert tx.confirmed_subscription_ids("alerts") == [
            _subscription(3).subscription_id,
            _subscription(1).subscription_id,
        ]
        assert tx.confirmed_subscription_ids("none") == []
