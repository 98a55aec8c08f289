"""Events reach each subscription once when several replicas share one PostgreSQL database,
and when one of them is killed (`kill -9`) and started again while they flow."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.outbox import append, window_event
from tests.support.receivers import Receiver
from tests.support.servers import Database, ServerProcess, boto3_client
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
FAILED = '{"source": ["aws.ssm"], "detail": {"status": ["FAILED"]}}'


def _subscribed(endpoint: str, receiver: Receiver) -> None:
    """Topic `ops` with the receiver confirmed on it, and a rule sending FAILED events there."""
    sns = boto3_client(endpoint, "sns")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    wait_for(receiver.bodies, what="the subscription confirmation")
    confirmation = json.loads(receiver.bodies()[0])
    assert httpx.get(confirmation["SubscribeURL"]).status_code == 200
    events = boto3_client(endpoint, "events")
    events.put_rule(Name="failed", EventPattern=FAILED)
    events.put_targets(Rule="failed", Targets=[{"Id": "ops", "Arn": topic}])


def _notifications(receiver: Receiver) -> list[tuple[str, str]]:
    """(event marker, message id) of each notification received, repeats included."""
    found = []
    for body in receiver.bodies():
        document: dict[str, Any] = json.loads(body)
        if document["Type"] == "Notification":
            marker = json.loads(document["Message"])["detail"]["marker"]
            found.append((marker, document["MessageId"]))
    return found


def test_two_replicas_deliver_each_event_once_even_when_one_is_killed(
    fresh_db: Database,
) -> None:
    receiver = Receiver().start()
    first = ServerProcess(fresh_db).start()
    second = ServerProcess(fresh_db).start()
    store = fresh_db.open_store()

    def settled() -> bool:
        with store.read() as tx:
            return not tx.has_unrelayed() and tx.pending_deliveries() == 0

    def flow(batches: range) -> list[str]:
        sent: list[str] = []
        for batch in batches:
            markers = [f"{batch}-{uuid.uuid4().hex[:6]}" for _ in range(20)]
            append(fresh_db, *(window_event("FAILED", m) for m in markers))
            append(fresh_db, window_event("SUCCESS", f"{batch}-ok"))
            sent += markers
        return sent

    try:
        _subscribed(first.endpoint, receiver)
        sent = flow(range(3))
        wait_for(settled, what="nothing left to relay or deliver", seconds=90)
        assert sorted(m for m, _ in _notifications(receiver)) == sorted(sent)  # exactly once

        sent += flow(range(3, 4))
        second.kill()  # while those are relayed and delivered
        second = ServerProcess(fresh_db).start()
        sent += flow(range(4, 6))
        wait_for(settled, what="nothing left to relay or deliver", seconds=90)
        received = _notifications(receiver)
        assert {m for m, _ in received} == set(sent)  # only FAILED events, every one
        ids = {m: {i for n, i in received if n == m} for m in sent}
        assert all(len(i) == 1 for i in ids.values())  # a repeat carries the same message id
    finally:
        store.close()
        first.stop()
        second.stop()
        receiver.stop()
