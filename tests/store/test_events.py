"""The event port: the outbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.events import AWS_SSM, Event, EventHead
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _event(n: int) -> Event:
    return Event(
        event_id=str(uuid.UUID(int=n)),
        time=NOW + timedelta(seconds=n),
        source=AWS_SSM,
        detail_type="Maintenance Window State-change Notification",
        resources=(f"arn:aws:ssm:us-east-1:000000000000:maintenancewindow/mw-{n:017d}",),
        detail={"window-id": f"mw-{n:017d}", "status": "ENABLED", "nested": {"n": [n, None]}},
    )


@covers("append_events", "events_after", "last_event_seq")
def test_events_come_back_as_appended_in_order(store: SqlStore) -> None:
    with store.read() as tx:
        start = tx.last_event_seq()
    with store.write() as tx:
        tx.append_events([_event(1), _event(2)])
        tx.append_events([])
    with store.write() as tx:
        tx.append_events([_event(3)])
    with store.read() as tx:
        stored = tx.events_after(start, 10)
        assert [s.event for s in stored] == [_event(1), _event(2), _event(3)]
        assert stored[0].seq < stored[1].seq < stored[2].seq
        assert tx.last_event_seq() == stored[2].seq
        assert [s.event for s in tx.events_after(stored[0].seq, 1)] == [_event(2)]
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.append_events([_event(4), _event(1)])
    with store.read() as tx:
        assert [s.event for s in tx.events_after(start, 10)] == [_event(1), _event(2), _event(3)]


def test_an_event_rolled_back_with_its_change_is_never_seen(store: SqlStore) -> None:
    with store.read() as tx:
        start = tx.last_event_seq()

    def change_that_fails() -> None:
        with store.write() as tx:
            tx.append_events([_event(1)])
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with store.read() as tx:
        assert tx.events_after(start, 10) == []


@covers("unrelayed_events", "has_unrelayed", "mark_relayed", "prune_events")
def test_events_are_relayed_once_and_pruned_only_when_relayed(store: SqlStore) -> None:
    with store.read() as tx:
        assert not tx.has_unrelayed()
    with store.write() as tx:
        tx.append_events([_event(1), _event(2), _event(3)])
    with store.write() as tx:
        first = tx.unrelayed_events(2)
        assert [s.event for s in first] == [_event(1), _event(2)]
        assert tx.mark_relayed([s.seq for s in first]) == 2
        assert tx.mark_relayed([first[0].seq]) == 0
        assert tx.mark_relayed([]) == 0
    with store.write() as tx:
        assert tx.has_unrelayed()
        assert [s.event for s in tx.unrelayed_events(10)] == [_event(3)]
        assert tx.prune_events(NOW + timedelta(seconds=10)) == 2
    with store.write() as tx:
        last = tx.events_after(0, 10)
        assert [s.event for s in last] == [_event(3)]
        tx.mark_relayed([last[0].seq])
        assert not tx.has_unrelayed()


@covers("unrelayed_heads", "events_of")
def test_heads_of_unrelayed_events_name_their_command_without_the_rest(store: SqlStore) -> None:
    status_change = Event(
        event_id=str(uuid.UUID(int=9)),
        time=NOW,
        source=AWS_SSM,
        detail_type="EC2 Command Status-change Notification",
        resources=(),
        detail={"command-id": "c-1", "status": "Success"},
    )
    with store.write() as tx:
        tx.mark_relayed([s.seq for s in tx.unrelayed_events(1000)])
        tx.append_events([_event(1), status_change, _event(2)])
    with store.write() as tx:
        heads = tx.unrelayed_heads(2)
        first, second = (head.seq for head in heads)
        assert heads == [
            EventHead(first, AWS_SSM, "Maintenance Window State-change Notification", None),
            EventHead(second, AWS_SSM, "EC2 Command Status-change Notification", "c-1"),
        ]
        assert [s.event for s in tx.events_of([second, first, 10**9])] == [
            _event(1),
            status_change,
        ]
        assert tx.events_of([]) == []
        assert len(tx.unrelayed_heads(10)) == 3


def test_unrelayed_events_held_by_one_transaction_are_skipped_by_another(
    store: SqlStore,
) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no other transaction to skip")
    with store.write() as tx:
        tx.append_events([_event(1), _event(2)])
    with store.write() as first:
        assert [s.event for s in first.unrelayed_events(1)] == [_event(1)]
        with store.write() as second:
            assert [s.event for s in second.unrelayed_events(10)] == [_event(2)]
    with store.write() as first:  # the heads alike
        [head] = first.unrelayed_heads(1)
        [after] = first.events_after(head.seq, 10)
        with store.write() as second:
            assert [h.seq for h in second.unrelayed_heads(10)] == [after.seq]
