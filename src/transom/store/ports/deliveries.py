"""Messages published to topics and their deliveries: one per subscription, claimed when due,
each attempt's outcome recorded."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from transom.domain.topics import Message


class DeliveryPort(Protocol):
    def enqueue(self, message: Message, subscription_ids: Collection[str]) -> bool:
        """Keep the message and a pending delivery of it to each subscription, due at the
        message's `created_date`. False, and nothing written, when a message with its id
        exists already (a publication repeated after a crash)."""

    def deliveries_of(self, message_id: str) -> list[tuple[str, str]]:
        """(subscription id, delivery status) of the message's deliveries, in enqueue order;
        empty when there is no such message."""
