"""Messages and deliveries on SQLAlchemy Core (`transom.store.ports.deliveries.DeliveryPort`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.topics import (
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    Subscription,
)
from transom.store import schema as t

_d = t.deliveries
_m = t.messages
_s = t.subscriptions

_CANDIDATES_PER_CLAIM = 4
"""A claim reads this many times `limit` due deliveries to choose from, so that a
subscription with many due does not crowd out the others."""
_ERROR_CHARS = 1024
_ORPHANED = "the subscription no longer exists"

_SELECT = sa.select(
    _d,
    _m.c.topic_name.label("m_topic_name"),
    _m.c.kind.label("m_kind"),
    _m.c.subject.label("m_subject"),
    _m.c.body.label("m_body"),
    _m.c.attributes.label("m_attributes"),
    _m.c.created_date.label("m_created_date"),
    _s.c.topic_name.label("s_topic_name"),
    _s.c.protocol.label("s_protocol"),
    _s.c.endpoint.label("s_endpoint"),
    _s.c.attributes.label("s_attributes"),
    _s.c.token.label("s_token"),
    _s.c.confirmed.label("s_confirmed"),
    _s.c.created_date.label("s_created_date"),
).select_from(
    _d.join(_m, _m.c.message_id == _d.c.message_id).join(
        _s, _s.c.subscription_id == _d.c.subscription_id
    )
)


def _delivery(row: sa.Row[Any]) -> Delivery:
    m = row._mapping
    return Delivery(
        seq=m["seq"],
        message=Message(
            message_id=m["message_id"],
            topic_name=m["m_topic_name"],
            kind=MessageKind(m["m_kind"]),
            subject=m["m_subject"],
            body=m["m_body"],
            attributes=m["m_attributes"],
            created_date=m["m_created_date"],
        ),
        subscription=Subscription(
            subscription_id=m["subscription_id"],
            topic_name=m["s_topic_name"],
            protocol=m["s_protocol"],
            endpoint=m["s_endpoint"],
            attributes=m["s_attributes"],
            token=m["s_token"],
            confirmed=m["s_confirmed"],
            created_date=m["s_created_date"],
        ),
        status=DeliveryStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt=m["next_attempt"],
        last_error=m["last_error"],
        created_date=m["created_date"],
        finished_date=m["finished_date"],
    )


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _d.c.status == DeliveryStatus.PENDING.value,
        _d.c.next_attempt <= now,
        sa.or_(_d.c.leased_until.is_(None), _d.c.leased_until <= now),
    )


def _finish(status: DeliveryStatus | None, *columns: str) -> sa.Update:
    """An attempt's end, for the lease holder: one more attempt, the lease cleared, `status`
    if given, and `columns` from `v_<column>` parameters (built once: records are hot)."""
    values: dict[str, Any] = {c: sa.bindparam(f"v_{c}", type_=_d.c[c].type) for c in columns}
    if status is not None:
        values["status"] = status.value
    return (
        _d.update()
        .where(_d.c.seq == sa.bindparam("k_seq"), _d.c.lease == sa.bindparam("k_lease"))
        .values(attempts=_d.c.attempts + 1, lease=None, leased_until=None, **values)
    )


_FINISH = {
    "delivered": _finish(DeliveryStatus.DELIVERED, "finished_date"),
    "failed": _finish(None, "last_error", "next_attempt"),
    "given_up": _finish(DeliveryStatus.GIVEN_UP, "last_error", "finished_date"),
}


class DeliveryQueries:
    _conn: Connection

    def enqueue(self, message: Message, subscription_ids: Collection[str]) -> bool:
        return self.enqueue_many([(message, subscription_ids)]) == 1

    def enqueue_many(self, messages: Sequence[tuple[Message, Collection[str]]]) -> int:
        if not messages:
            return 0
        ids = [m.message_id for m, _ in messages]
        seen = set(
            self._conn.execute(sa.select(_m.c.message_id).where(_m.c.message_id.in_(ids))).scalars()
        )
        fresh: list[tuple[Message, Collection[str]]] = []
        for message, subscription_ids in messages:
            if message.message_id not in seen:
                seen.add(message.message_id)
                fresh.append((message, subscription_ids))
        if not fresh:
            return 0
        self._conn.execute(
            _m.insert(),
            [
                {
                    "message_id": m.message_id,
                    "topic_name": m.topic_name,
                    "kind": m.kind.value,
                    "subject": m.subject,
                    "body": m.body,
                    "attributes": dict(m.attributes),
                    "created_date": m.created_date,
                }
                for m, _ in fresh
            ],
        )
        deliveries = [
            {
                "message_id": m.message_id,
                "subscription_id": subscription_id,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt": m.created_date,
                "created_date": m.created_date,
            }
            for m, subscription_ids in fresh
            for subscription_id in subscription_ids
        ]
        if deliveries:
            self._conn.execute(_d.insert(), deliveries)
        return len(fresh)

    def deliveries_of(self, message_id: str) -> list[tuple[str, str]]:
        query = (
            sa.select(_d.c.subscription_id, _d.c.status)
            .where(_d.c.message_id == message_id)
            .order_by(_d.c.seq)
        )
        return [(row.subscription_id, row.status) for row in self._conn.execute(query)]

    def claim_deliveries(
        self,
        lease: str,
        now: datetime,
        leased_until: datetime,
        limit: int,
        per_subscription: int,
        skip: Collection[str] = (),
    ) -> list[Delivery]:
        # Only the candidates are examined (each claim costs the same however long the
        # queue): an orphan is given up when it comes up, not as soon as its subscription goes.
        query = (
            sa.select(_d.c.seq, _d.c.subscription_id, _s.c.seq.label("subscribed"))
            .select_from(_d.outerjoin(_s, _s.c.subscription_id == _d.c.subscription_id))
            .where(_claimable(now))
            .order_by(_d.c.next_attempt, _d.c.seq)
            .limit(limit * _CANDIDATES_PER_CLAIM)
        )
        if skip:
            query = query.where(_d.c.subscription_id.not_in(list(skip)))
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_d)
        taken: Counter[str] = Counter()
        chosen: list[int] = []
        orphans: list[int] = []
        for row in self._conn.execute(query):
            if row.subscribed is None:
                orphans.append(row.seq)
            elif taken[row.subscription_id] < per_subscription and len(chosen) < limit:
                taken[row.subscription_id] += 1
                chosen.append(row.seq)
        if orphans:
            self._give_up(orphans, now)
        if not chosen:
            return []
        self._conn.execute(
            _d.update().where(_d.c.seq.in_(chosen)).values(lease=lease, leased_until=leased_until)
        )
        rows = self._conn.execute(
            _SELECT.where(_d.c.seq.in_(chosen)).order_by(_d.c.next_attempt, _d.c.seq)
        )
        return [_delivery(row) for row in rows]

    def _give_up(self, orphans: list[int], now: datetime) -> None:
        self._conn.execute(
            _d.update()
            .where(_d.c.seq.in_(orphans))
            .values(
                status=DeliveryStatus.GIVEN_UP.value,
                last_error=_ORPHANED,
                finished_date=now,
                lease=None,
                leased_until=None,
            )
        )

    def _finish_attempt(self, kind: str, seq: int, lease: str, **values: Any) -> bool:
        params = {"k_seq": seq, "k_lease": lease, **{f"v_{k}": v for k, v in values.items()}}
        return bool(self._conn.execute(_FINISH[kind], params).rowcount)

    def record_delivered(self, seq: int, lease: str, now: datetime) -> bool:
        return self._finish_attempt("delivered", seq, lease, finished_date=now)

    def record_failure(self, seq: int, lease: str, error: str, next_attempt: datetime) -> bool:
        return self._finish_attempt(
            "failed", seq, lease, last_error=error[:_ERROR_CHARS], next_attempt=next_attempt
        )

    def record_given_up(self, seq: int, lease: str, error: str, now: datetime) -> bool:
        return self._finish_attempt(
            "given_up", seq, lease, last_error=error[:_ERROR_CHARS], finished_date=now
        )

    def release_deliveries(self, leased: Collection[tuple[int, str]]) -> int:
        if not leased:
            return 0
        released = self._conn.execute(
            _d.update()
            .where(
                _d.c.status == DeliveryStatus.PENDING.value,
                sa.tuple_(_d.c.seq, _d.c.lease).in_(list(leased)),
            )
            .values(lease=None, leased_until=None)
        )
        return int(released.rowcount)

    def recent_deliveries(self, limit: int, failing_only: bool = False) -> list[Delivery]:
        query = _SELECT.order_by(_d.c.seq.desc()).limit(limit)
        if failing_only:
            query = query.where(
                _d.c.status != DeliveryStatus.DELIVERED.value, _d.c.last_error.is_not(None)
            )
        return [_delivery(row) for row in self._conn.execute(query)]

    def pending_deliveries(self) -> int:
        query = sa.select(sa.func.count()).where(_d.c.status == DeliveryStatus.PENDING.value)
        return int(self._conn.execute(query).scalar_one())

    def next_delivery_due(self) -> datetime | None:
        # A leased delivery's lease ends after it was due, and it is pending only while leased.
        claimable_at = sa.func.coalesce(_d.c.leased_until, _d.c.next_attempt)
        query = sa.select(sa.type_coerce(sa.func.min(claimable_at), t.UtcDateTime())).where(
            _d.c.status == DeliveryStatus.PENDING.value
        )
        value: datetime | None = self._conn.execute(query).scalar_one()
        return value

    def prune_deliveries(self, finished_before: datetime) -> int:
        pruned = self._conn.execute(
            _d.delete().where(
                _d.c.status != DeliveryStatus.PENDING.value,
                _d.c.finished_date < finished_before,
            )
        ).rowcount
        undelivered = sa.select(_d.c.seq).where(_d.c.message_id == _m.c.message_id).exists()
        self._conn.execute(_m.delete().where(_m.c.created_date < finished_before, ~undelivered))
        return int(pruned)
