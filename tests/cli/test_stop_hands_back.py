"""A server stopped with SIGTERM mid-delivery hands the delivery's lease back: another replica
(PostgreSQL) or the restarted server (SQLite) delivers it at once, not when the lease ends.

The delivery timeout is ten minutes, so the lease lasts thirty: without the hand-back this
test would time out long before another server could claim the delivery."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.receivers import Received, Receiver
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess
from tests.support.subscriptions import add_subscription, subscription
from tests.support.waiting import wait_for
from transom.domain.topics import Message, MessageKind

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
ARGS = ["--delivery-timeout", "600"]


class HeldFirst:
    """Holds the first request until `release` is set, then answers it 500 (not recorded);
    answers every later one 200 at once."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, _request: Received) -> int:
        if self.arrived.is_set():
            return 200
        self.arrived.set()
        self.release.wait(60)
        return 500


def test_a_stopped_server_hands_back_the_delivery_it_was_attempting(
    fresh_db: Database,
) -> None:
    held = HeldFirst()
    receiver = Receiver(held).start()
    store = fresh_db.open_store()
    first = ServerProcess(fresh_db, ARGS).start()
    servers = [first]
    try:
        sid = str(uuid.uuid4())
        add_subscription(store, subscription(sid, receiver.url))
        message = Message(
            str(uuid.uuid4()), "ops", MessageKind.NOTIFICATION, "S", "m", {}, datetime.now(UTC)
        )
        with store.write() as tx:
            tx.enqueue(message, [sid])
        assert held.arrived.wait(30), "the first server never attempted the delivery"
        if fresh_db.kind == "postgresql":  # a second replica, idle until the hand-back
            servers.append(ServerProcess(fresh_db, ARGS).start())

        assert first.stop() == 0
        held.release.set()
        if fresh_db.kind == "sqlite":  # the same server, started again
            servers.append(ServerProcess(fresh_db, ARGS).start())

        def delivered() -> bool:
            with store.read() as tx:
                return tx.deliveries_of(message.message_id) == [(sid, "Delivered")]

        wait_for(delivered, seconds=60, what="the other server to make the delivery")
        assert len(receiver.bodies()) == 1
    finally:
        held.release.set()
        for server in servers:
            server.kill()
        receiver.stop()
        store.close()
