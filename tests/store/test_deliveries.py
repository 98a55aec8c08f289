"""The delivery port: messages and their deliveries."""

from __future__ import annotations

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.topics import Message, MessageKind
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _message(message_id: str) -> Message:
    return Message(
        message_id=message_id,
        topic_name="ops",
        kind=MessageKind.NOTIFICATION,
        subject="Window failed",
        body='{"status": "FAILED"}',
        attributes={},
        created_date=NOW,
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
