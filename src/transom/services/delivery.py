"""Delivering messages to subscriptions: claim what is due, attempt each, record the outcome.

The delivery worker (`engine.delivery`) paces this; the sending itself is handed in (the
senders of `events.senders`). An attempt that fails is tried again as the `RetryPolicy` says,
and given up once the policy's hour has passed. Giving up records the delivery as GivenUp and
appends a `transom` event "Notification Delivery Given Up" in the same transaction, except
for a message that itself reports a given-up delivery: that one is only logged, so a rule
routing give-up events to a failing endpoint does not feed on itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.delivery_policy import RetryPolicy
from transom.domain.events import Realm
from transom.domain.topics import Delivery, DeliveryStatus
from transom.events.endpoints import shown_endpoint
from transom.events.given_up import given_up_event, reports_given_up
from transom.services.topic_rules import subscription_arn, topic_arn
from transom.store.port import Store

log = logging.getLogger(__name__)
DEFAULT_POLICY = RetryPolicy()

Send = Callable[[Delivery], Awaitable[None]]
"""One attempt: returns when delivered, raises (any exception, its text the error) if not."""


@dataclass(frozen=True)
class Claim:
    """Deliveries leased to this worker under `lease`."""

    lease: str
    deliveries: list[Delivery]


@dataclass(frozen=True)
class DeliveryView:
    """A delivery as listings show it: by ARN, its endpoint without secrets
    (`shown_endpoint`), `next_attempt` only while it is pending."""

    message_id: str
    topic_arn: str
    subscription_arn: str
    protocol: str
    endpoint: str
    status: DeliveryStatus
    attempts: int
    next_attempt: datetime | None
    last_error: str | None
    created_date: datetime
    finished_date: datetime | None


@dataclass(frozen=True)
class DeliveryListing:
    """The latest deliveries, newest first, and the backlog, read together."""

    deliveries: list[DeliveryView]
    backlog: int


@dataclass(frozen=True)
class Outcome:
    """One attempt's result: `error` is None when the delivery was made."""

    delivery: Delivery
    lease: str
    error: str | None


class DeliveryService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        realm: Realm,
        policy: RetryPolicy = DEFAULT_POLICY,
        attempt_timeout: float = 10.0,
        wake: Callable[[], None] = lambda: None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._clock = clock
        self._realm = realm
        self._policy = policy
        self._timeout = attempt_timeout
        self._lease = timedelta(seconds=3 * attempt_timeout)
        self._wake = wake
        self._draw = draw

    def wake(self) -> None:
        """Tell this replica's worker that a delivery may be due now (call after commit)."""
        self._wake()

    def claim(self, limit: int, per_subscription: int, skip: Collection[str] = ()) -> Claim:
        """Lease up to `limit` due deliveries for one attempt each (see
        `DeliveryPort.claim_deliveries`); the lease outlasts the attempt timeout threefold."""
        lease, now = uuid.uuid4().hex, self._clock.now()
        with self._store.write() as tx:
            deliveries = tx.claim_deliveries(
                lease, now, now + self._lease, limit, per_subscription, skip
            )
        return Claim(lease, deliveries)

    async def send(self, delivery: Delivery, send: Send) -> str | None:
        """Send the delivery within the attempt timeout, recording nothing; None when it was
        made, else why not."""
        try:
            await asyncio.wait_for(send(delivery), self._timeout)
        except TimeoutError:
            return f"no delivery within {self._timeout:g} s"
        except Exception as exc:
            return str(exc) or type(exc).__name__
        return None

    async def attempt(self, delivery: Delivery, lease: str, send: Send) -> bool:
        """Send the delivery and record the outcome (in a worker thread); whether it was
        made."""
        error = await self.send(delivery, send)
        await asyncio.to_thread(self.record, [Outcome(delivery, lease, error)])
        return error is None

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record attempts' outcomes: the deliveries made in one transaction, each failure
        as `failed` does."""
        made = [o for o in outcomes if o.error is None]
        if made:
            now = self._clock.now()
            with self._store.write() as tx:
                for outcome in made:
                    tx.record_delivered(outcome.delivery.seq, outcome.lease, now)
        for outcome in outcomes:
            if outcome.error is not None:
                self.failed(outcome.delivery, outcome.lease, outcome.error)

    def failed(self, delivery: Delivery, lease: str, error: str) -> None:
        """Record a failed attempt: due again when the policy says, or given up."""
        now = self._clock.now()
        retry = self._policy.next_attempt(
            delivery.created_date, delivery.attempts + 1, now, self._draw()
        )
        with self._store.write() as tx:
            if retry is not None:
                tx.record_failure(delivery.seq, lease, error, retry)
                return
            if not tx.record_given_up(delivery.seq, lease, error, now):
                return
            if not reports_given_up(delivery.message):
                tx.append_events([given_up_event(delivery, self._realm, error, now)])
        log.warning(
            "gave up delivering message %s to subscription %s after %d attempts: %s",
            delivery.message.message_id,
            delivery.subscription.subscription_id,
            delivery.attempts + 1,
            error,
        )

    def release(self, leased: Collection[tuple[int, str]]) -> int:
        """Hand back the leases of attempts given up unfinished, each (seq, lease): those
        deliveries are claimable again at once, here or on another replica. How many."""
        with self._store.write() as tx:
            return tx.release_deliveries(leased)

    def next_due(self) -> datetime | None:
        """When the next pending delivery is due or its lease ends; None when none is."""
        with self._store.read() as tx:
            return tx.next_delivery_due()

    def backlog(self) -> int:
        """How many deliveries are pending."""
        with self._store.read() as tx:
            return tx.pending_deliveries()

    def recent(self, limit: int, failing_only: bool = False) -> list[Delivery]:
        """The latest deliveries, newest first; with `failing_only` those given up or
        retrying after a failure."""
        with self._store.read() as tx:
            return tx.recent_deliveries(limit, failing_only)

    def listing(self, limit: int, failing_only: bool = False) -> DeliveryListing:
        """`recent(limit, failing_only)` as views, with the `backlog()`, in one read."""
        with self._store.read() as tx:
            deliveries = tx.recent_deliveries(limit, failing_only)
            backlog = tx.pending_deliveries()
        return DeliveryListing([self._view(d) for d in deliveries], backlog)

    def _view(self, delivery: Delivery) -> DeliveryView:
        subscription = delivery.subscription
        return DeliveryView(
            message_id=delivery.message.message_id,
            topic_arn=topic_arn(self._realm, delivery.message.topic_name),
            subscription_arn=subscription_arn(
                self._realm, subscription.topic_name, subscription.subscription_id
            ),
            protocol=subscription.protocol,
            endpoint=shown_endpoint(subscription.endpoint),
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt=(
                delivery.next_attempt if delivery.status is DeliveryStatus.PENDING else None
            ),
            last_error=delivery.last_error,
            created_date=delivery.created_date,
            finished_date=delivery.finished_date,
        )
