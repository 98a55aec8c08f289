"""Messages published to topics and their deliveries: one per subscription, claimed when due,
each attempt's outcome recorded.

A claim leases deliveries to one worker until its lease expires: with several replicas each
delivery is attempted by one of them at a time. A worker that dies mid-delivery leaves its
lease to expire, and the delivery is claimed again, with the same message; a worker that
stops cleanly hands back the leases of the attempts it gave up, and they are claimable at
once. Outcomes are recorded only by the holder of the current lease.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from transom.domain.topics import Delivery, Message


class DeliveryPort(Protocol):
    def enqueue(self, message: Message, subscription_ids: Collection[str]) -> bool:
        """Keep the message and a pending delivery of it to each subscription, due at the
        message's `created_date`. False, and nothing written, when a message with its id
        exists already (a publication repeated after a crash)."""

    def enqueue_many(self, messages: Sequence[tuple[Message, Collection[str]]]) -> int:
        """`enqueue` for each (message, subscription ids), in a few statements; a message
        whose id exists already, or came earlier in `messages`, is skipped. How many were
        kept."""

    def deliveries_of(self, message_id: str) -> list[tuple[str, str]]:
        """(subscription id, delivery status) of the message's deliveries, in enqueue order;
        empty when there is no such message."""

    def claim_deliveries(
        self,
        lease: str,
        now: datetime,
        leased_until: datetime,
        limit: int,
        per_subscription: int,
        skip: Collection[str] = (),
    ) -> list[Delivery]:
        """Lease to `lease` until `leased_until` up to `limit` pending deliveries due by
        `now` (`next_attempt` <= now) whose lease is absent or expired (`leased_until` <=
        now), earliest due first, at most `per_subscription` of each subscription and none
        of the subscriptions in `skip`. On PostgreSQL deliveries another transaction holds
        are skipped. Due deliveries whose subscription no longer exists are given up
        instead, with `last_error` saying so, as they come up among the earliest due (a
        claim examines at most a few times `limit` deliveries, so its cost does not grow
        with the queue)."""

    def record_delivered(self, seq: int, lease: str, now: datetime) -> bool:
        """Delivery `seq`, leased to `lease`, was made at `now`: Delivered, one more attempt,
        `finished_date` now, lease cleared. False, and nothing written, when the delivery
        no longer carries that lease."""

    def record_failure(self, seq: int, lease: str, error: str, next_attempt: datetime) -> bool:
        """An attempt of delivery `seq`, leased to `lease`, failed: one more attempt,
        `last_error` (cut to 1024 characters), due again at `next_attempt`, lease cleared.
        False, and nothing written, when the delivery no longer carries that lease."""

    def record_given_up(self, seq: int, lease: str, error: str, now: datetime) -> bool:
        """The last attempt the policy allows of delivery `seq`, leased to `lease`, failed:
        GivenUp, one more attempt, `last_error`, `finished_date` now, lease cleared. False,
        and nothing written, when the delivery no longer carries that lease."""

    def release_deliveries(self, leased: Collection[tuple[int, str]]) -> int:
        """Hand back each (seq, lease) whose delivery is pending and still carries that
        lease: lease cleared, no attempt counted, due as it was (so at once, if it was being
        attempted). How many were handed back; the others are left alone."""

    def recent_deliveries(self, limit: int, failing_only: bool = False) -> list[Delivery]:
        """Up to `limit` deliveries, newest (largest `seq`) first; with `failing_only` only
        those given up or pending after a failed attempt. Deliveries whose subscription no
        longer exists are left out."""

    def pending_deliveries(self) -> int:
        """How many deliveries are pending (the backlog), due or not."""

    def delivery_backlog(self) -> tuple[int, int]:
        """The pending deliveries split: (never attempted, retrying after a failed attempt)."""

    def next_delivery_due(self) -> datetime | None:
        """The earliest instant a pending delivery is due or its lease expires; None when
        none is pending."""

    def prune_deliveries(self, finished_before: datetime) -> int:
        """Delete the deliveries that finished (Delivered or GivenUp) before
        `finished_before`, and the messages created before it that have no delivery left;
        how many deliveries went. Pending deliveries stay, however old."""
