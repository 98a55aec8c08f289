"""Topics and their subscriptions (the messages published to them are `DeliveryPort`'s)."""

from __future__ import annotations

from typing import Protocol

from transom.domain.topics import Subscription, Topic


class TopicPort(Protocol):
    def insert_topic(self, topic: Topic) -> None:
        """Keep a new topic; its name must be free (else an integrity error)."""

    def get_topic(self, name: str) -> Topic | None: ...

    def list_topics(self, after: str | None, limit: int) -> list[Topic]:
        """At most `limit` topics in name order, those named after `after` if given."""

    def count_topics(self) -> int: ...

    def update_topic(self, topic: Topic) -> None:
        """Overwrite the attributes and tags of the topic with the same name; it must exist."""

    def delete_topic(self, name: str) -> bool:
        """Delete the topic and its subscriptions; False when it did not exist."""

    def insert_subscription(self, subscription: Subscription) -> None:
        """Keep a new subscription; its id must be new (else an integrity error)."""

    def get_subscription(self, subscription_id: str) -> Subscription | None: ...

    def find_subscription(
        self, topic_name: str, protocol: str, endpoint: str
    ) -> Subscription | None:
        """The topic's subscription of `protocol` to exactly `endpoint`, if any."""

    def list_subscriptions(
        self, topic_name: str | None, after: str | None, limit: int
    ) -> list[Subscription]:
        """At most `limit` subscriptions (of `topic_name` only, if given) in subscription id
        order, those whose id is greater than `after` if given."""

    def update_subscription(self, subscription: Subscription) -> None:
        """Overwrite the attributes, token and confirmation of the subscription with the same
        id; it must exist."""

    def delete_subscription(self, subscription_id: str) -> bool:
        """False when there was no such subscription."""

    def subscription_counts(self, topic_name: str) -> tuple[int, int]:
        """(confirmed, pending) subscriptions of the topic."""

    def confirmed_subscription_ids(self, topic_name: str) -> list[str]:
        """Ids of the topic's confirmed subscriptions, in subscription order."""
