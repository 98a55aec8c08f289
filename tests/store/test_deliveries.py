"""The delivery port: messages, their deliveries, claims under a lease and outcomes."""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime, timedelta

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from tests.support.subscriptions import add_subscription, remove_subscription, subscription
from transom.domain.topics import Delivery, DeliveryStatus, Message, MessageKind
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND
LATER = NOW + timedelta(minutes=1)


def _message(message_id: str, created: timedelta = timedelta(0)) -> Message:
    return Message(
        message_id=message_id,
        topic_name="ops",
        kind=MessageKind.NOTIFICATION,
        subject="Window failed",
        body='{"status": "FAILED"}',
        attributes={"k": "v"},
        created_date=NOW + created,
    )


def _subscribe(store: SqlStore, *ids: str) -> None:
    for sid in ids:
        add_subscription(store, subscription(sid, f"http://127.0.0.1/{sid}"))


def _claim(
    store: SqlStore,
    lease: str,
    now: datetime = NOW,
    limit: int = 10,
    per_subscription: int = 10,
    skip: Collection[str] = (),
) -> list[Delivery]:
    with store.write() as tx:
        return tx.claim_deliveries(
            lease, now, now + timedelta(seconds=30), limit, per_subscription, skip
        )


@covers("enqueue", "deliveries_of")
def test_a_message_is_enqueued_once_with_a_pending_delivery_per_subscription(
    store: SqlStore,
) -> None:
    with store.write() as tx:
        assert tx.enqueue(_message("m-1"), ["s-2", "s-1"])
        assert tx.enqueue(_message("m-0"), [])
    with store.write() as tx:
        assert not tx.enqueue(_message("m-1"), ["s-3"])
    with store.read() as tx:
        assert tx.deliveries_of("m-1") == [("s-2", "Pending"), ("s-1", "Pending")]
        assert tx.deliveries_of("m-0") == []
        assert tx.deliveries_of("m-none") == []


@covers("claim_deliveries")
def test_a_claim_leases_due_deliveries_with_their_message_and_subscription(
    store: SqlStore,
) -> None:
    _subscribe(store, "s-1", "s-2")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-2"])
        tx.enqueue(_message("m-later", timedelta(seconds=5)), ["s-1"])
    claimed = _claim(store, "a")
    assert [(d.message.message_id, d.subscription.subscription_id) for d in claimed] == [
        ("m-1", "s-1"),
        ("m-1", "s-2"),
    ]
    first = claimed[0]
    assert first.message == _message("m-1")
    assert first.subscription == subscription("s-1", "http://127.0.0.1/s-1")
    assert (first.status, first.attempts, first.last_error) == (DeliveryStatus.PENDING, 0, None)
    assert (first.next_attempt, first.created_date, first.finished_date) == (NOW, NOW, None)
    assert _claim(store, "b") == []  # leased to "a"
    later = _claim(store, "b", now=NOW + timedelta(seconds=5))
    assert [d.message.message_id for d in later] == ["m-later"]


@covers("claim_deliveries")
def test_an_expired_lease_is_claimed_again_with_the_same_message(store: SqlStore) -> None:
    _subscribe(store, "s-1")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1"])
    [first] = _claim(store, "dead")
    assert _claim(store, "b", now=NOW + timedelta(seconds=29)) == []
    [again] = _claim(store, "b", now=NOW + timedelta(seconds=30))
    assert (again.seq, again.message) == (first.seq, first.message)
    with store.write() as tx:
        assert not tx.record_delivered(first.seq, "dead", LATER)
        assert tx.record_delivered(first.seq, "b", LATER)


@covers("claim_deliveries")
def test_a_claim_takes_at_most_its_limit_and_per_subscription_and_skips(
    store: SqlStore,
) -> None:
    _subscribe(store, "busy", "quiet", "skipped")
    with store.write() as tx:
        for i in range(6):
            tx.enqueue(_message(f"m-{i}", timedelta(milliseconds=i)), ["busy"])
        tx.enqueue(_message("m-q", timedelta(seconds=1)), ["quiet", "skipped"])
    now = NOW + timedelta(seconds=2)
    claimed = _claim(store, "a", now=now, limit=3, per_subscription=2, skip=["skipped"])
    assert [(d.message.message_id, d.subscription.subscription_id) for d in claimed] == [
        ("m-0", "busy"),
        ("m-1", "busy"),
        ("m-q", "quiet"),
    ]
    rest = _claim(store, "b", now=now, limit=10, per_subscription=10)
    assert len(rest) == 5


@covers("claim_deliveries")
def test_deliveries_to_a_removed_subscription_are_given_up_not_claimed(
    store: SqlStore,
) -> None:
    _subscribe(store, "s-1", "s-gone")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-gone"])
    remove_subscription(store, "s-gone")
    assert [d.subscription.subscription_id for d in _claim(store, "a")] == ["s-1"]
    with store.read() as tx:
        assert tx.deliveries_of("m-1") == [("s-1", "Pending"), ("s-gone", "GivenUp")]


@covers("claim_deliveries")
def test_concurrent_claims_never_take_the_same_delivery(store: SqlStore) -> None:
    _subscribe(store, *(f"s-{i}" for i in range(8)))
    with store.write() as tx:
        for m in range(25):
            tx.enqueue(_message(f"m-{m}"), [f"s-{i}" for i in range(8)])
    taken: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        start.wait()
        while claimed := _claim(store, name, limit=7, per_subscription=3):
            with lock:
                taken.extend(d.seq for d in claimed)
            with store.write() as tx:
                for d in claimed:
                    assert tx.record_delivered(d.seq, name, LATER)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == len(set(taken)) == 200


@covers("release_deliveries")
def test_released_leases_are_claimable_at_once_others_stay_leased(store: SqlStore) -> None:
    _subscribe(store, "s-1", "s-2", "s-3", "s-4")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-2", "s-3", "s-4"])
    given_up, kept, done, stale = _claim(store, "a")
    with store.write() as tx:
        assert tx.record_delivered(done.seq, "a", LATER)
        assert tx.release_deliveries([]) == 0
        released = tx.release_deliveries(
            [(given_up.seq, "a"), (kept.seq, "other"), (done.seq, "a"), (stale.seq, "a")]
        )
    assert released == 2  # the delivered one and the one under another lease stay
    with store.write() as tx:
        assert not tx.record_delivered(given_up.seq, "a", LATER)  # "a" gave it up
    again = _claim(store, "b")
    assert [(d.seq, d.attempts, d.next_attempt) for d in again] == [
        (given_up.seq, 0, NOW),
        (stale.seq, 0, NOW),
    ]
    with store.write() as tx:
        assert tx.record_delivered(kept.seq, "a", LATER)
    with store.read() as tx:
        assert tx.deliveries_of("m-1") == [
            ("s-1", "Pending"),
            ("s-2", "Delivered"),
            ("s-3", "Delivered"),
            ("s-4", "Pending"),
        ]


@covers("record_delivered", "record_failure", "record_given_up")
def test_outcomes_are_recorded_by_the_lease_holder_only(store: SqlStore) -> None:
    _subscribe(store, "s-1", "s-2", "s-3")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-2", "s-3"])
    ok, failing, hopeless = _claim(store, "a")
    retry_at = NOW + timedelta(seconds=20)
    with store.write() as tx:
        assert not tx.record_delivered(ok.seq, "other", LATER)
        assert not tx.record_failure(failing.seq, "other", "x", retry_at)
        assert not tx.record_given_up(hopeless.seq, "other", "x", LATER)
        assert tx.record_delivered(ok.seq, "a", LATER)
        assert tx.record_failure(failing.seq, "a", "HTTP 500" + "!" * 2000, retry_at)
        assert tx.record_given_up(hopeless.seq, "a", "connection refused", LATER)
        assert not tx.record_delivered(ok.seq, "a", LATER)
    assert _claim(store, "b", now=retry_at - timedelta(microseconds=1)) == []
    [again] = _claim(store, "b", now=retry_at)
    assert (again.seq, again.attempts, again.next_attempt) == (failing.seq, 1, retry_at)
    assert again.last_error == ("HTTP 500" + "!" * 2000)[:1024]
    with store.read() as tx:
        by_seq = {d.seq: d for d in tx.recent_deliveries(10)}
    assert (by_seq[ok.seq].status, by_seq[ok.seq].attempts) == (DeliveryStatus.DELIVERED, 1)
    assert by_seq[ok.seq].finished_date == LATER
    given_up = by_seq[hopeless.seq]
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.GIVEN_UP, 1)
    assert (given_up.last_error, given_up.finished_date) == ("connection refused", LATER)


@covers("recent_deliveries")
def test_recent_deliveries_newest_first_and_the_failing_ones(store: SqlStore) -> None:
    _subscribe(store, "s-1", "s-2", "s-3")
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-2", "s-3"])
        tx.enqueue(_message("m-2"), ["s-1"])
    ok, failing, hopeless, _pending = _claim(store, "a")
    with store.write() as tx:
        tx.record_delivered(ok.seq, "a", LATER)
        tx.record_failure(failing.seq, "a", "HTTP 503", LATER)
        tx.record_given_up(hopeless.seq, "a", "refused", LATER)
    with store.read() as tx:
        recent = [
            (d.message.message_id, d.subscription.subscription_id) for d in tx.recent_deliveries(3)
        ]
        failing_now = [d.seq for d in tx.recent_deliveries(10, failing_only=True)]
    assert recent == [("m-2", "s-1"), ("m-1", "s-3"), ("m-1", "s-2")]
    assert failing_now == [hopeless.seq, failing.seq]


@covers("pending_deliveries", "next_delivery_due")
def test_the_backlog_and_when_the_next_delivery_is_due(store: SqlStore) -> None:
    _subscribe(store, "s-1", "s-2")
    with store.read() as tx:
        assert (tx.pending_deliveries(), tx.next_delivery_due()) == (0, None)
    with store.write() as tx:
        tx.enqueue(_message("m-1"), ["s-1", "s-2"])
        tx.enqueue(_message("m-2", timedelta(seconds=10)), ["s-1"])
    with store.read() as tx:
        assert (tx.pending_deliveries(), tx.next_delivery_due()) == (3, NOW)
    first, second = _claim(store, "a")  # leased for 30 s
    with store.write() as tx:
        tx.record_delivered(first.seq, "a", LATER)
    with store.read() as tx:
        assert tx.pending_deliveries() == 2
        assert tx.next_delivery_due() == NOW + timedelta(seconds=10)
    with store.write() as tx:
        tx.record_failure(second.seq, "a", "x", NOW + timedelta(seconds=5))
    with store.read() as tx:
        assert tx.next_delivery_due() == NOW + timedelta(seconds=5)


@covers("prune_deliveries")
def test_finished_deliveries_and_their_messages_are_pruned_pending_ones_stay(
    store: SqlStore,
) -> None:
    _subscribe(store, "s-1", "s-2")
    with store.write() as tx:
        tx.enqueue(_message("m-done"), ["s-1"])
        tx.enqueue(_message("m-half"), ["s-1", "s-2"])
        tx.enqueue(_message("m-none"), [])
    done, half_done, half_pending = _claim(store, "a")
    with store.write() as tx:
        assert tx.record_delivered(done.seq, "a", LATER)
        assert tx.record_given_up(half_done.seq, "a", "refused", LATER)
        assert tx.prune_deliveries(LATER) == 0
        assert tx.prune_deliveries(LATER + timedelta(seconds=1)) == 2
    with store.read() as tx:
        assert tx.deliveries_of("m-done") == []
        assert tx.deliveries_of("m-half") == [("s-2", "Pending")]
    with store.write() as tx:
        # a pruned message is gone: its id may be enqueued again; a kept one may not
        assert tx.enqueue(_message("m-done"), [])
        assert tx.enqueue(_message("m-none"), [])
        assert not tx.enqueue(_message("m-half"), [])
    assert half_pending.message.message_id == "m-half"


@covers("enqueue_many")
def test_many_messages_are_enqueued_at_once_each_only_once(store: SqlStore) -> None:
    _subscribe(store, "s-1", "s-2")
    with store.write() as tx:
        assert tx.enqueue(_message("m-old"), ["s-1"])
        assert tx.enqueue_many([]) == 0
        kept = tx.enqueue_many(
            [
                (_message("m-1"), ["s-1", "s-2"]),
                (_message("m-old"), ["s-2"]),
                (_message("m-2"), []),
                (_message("m-1"), ["s-1"]),
            ]
        )
        assert kept == 2
    with store.read() as tx:
        assert tx.deliveries_of("m-1") == [("s-1", "Pending"), ("s-2", "Pending")]
        assert tx.deliveries_of("m-old") == [("s-1", "Pending")]
        assert tx.deliveries_of("m-2") == []
