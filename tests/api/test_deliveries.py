"""`GET /v1/deliveries`: recent deliveries and their outcomes, on a real server delivering to
real receivers: one that answers 200, one that answers 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.support.receivers import Receiver
from tests.support.servers import Database, ServerProcess
from tests.support.signing import signed_get
from tests.support.subscriptions import add_subscription, remove_subscription, subscription
from tests.support.waiting import wait_for
from transom.domain.topics import Message, MessageKind
from transom.store.sql import SqlStore

ACCOUNT_ARN = "arn:aws:sns:us-east-1:000000000000"


def get_deliveries(endpoint: str, params: dict[str, str], sign: bool = True) -> httpx.Response:
    return signed_get(f"{endpoint}/v1/deliveries?{urlencode(params, quote_via=quote)}", sign=sign)


def read(endpoint: str, **params: str) -> dict[str, Any]:
    response = get_deliveries(endpoint, params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def publish(store: SqlStore, topic: str, sid: str, age: timedelta = timedelta(0)) -> str:
    """A message to one subscription, first due `age` ago (an hour old: given up at once)."""
    message = Message(
        str(uuid.uuid4()),
        topic,
        MessageKind.NOTIFICATION,
        "S",
        "body",
        {},
        datetime.now(UTC) - age,
    )
    with store.write() as tx:
        tx.enqueue(message, [sid])
    return message.message_id


class Outcomes:
    """Three messages on one topic: delivered, given up, and failing (pending, retried)."""

    def __init__(self, server: ServerProcess, store: SqlStore) -> None:
        self.topic = f"ops-{uuid.uuid4().hex[:8]}"
        self.ok = Receiver().start()
        self.failing = Receiver(lambda _r: 500).start()
        self.ok_sid, self.bad_sid = str(uuid.uuid4()), str(uuid.uuid4())
        add_subscription(store, subscription(self.ok_sid, self.ok.url, topic_name=self.topic))
        secret = f"http://u:hunter2@127.0.0.1:{self.failing.port}/hook/T0KEN0123456789ab?k=PSST"
        add_subscription(store, subscription(self.bad_sid, secret, topic_name=self.topic))
        self.delivered = publish(store, self.topic, self.ok_sid)
        self.given_up = publish(store, self.topic, self.bad_sid, age=timedelta(hours=2))
        self.pending = publish(store, self.topic, self.bad_sid)
        self.ids = (self.pending, self.given_up, self.delivered)

        def settled() -> list[dict[str, Any]] | None:
            ours = self.of(read(server.endpoint, limit="1000"))
            statuses = [(r["Status"], bool(r["LastError"])) for r in ours]
            done = [("Pending", True), ("GivenUp", True), ("Delivered", False)]
            return ours if statuses == done else None

        self.records = wait_for(settled, seconds=30, what="the three outcomes", every=0.2)

    def of(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in answer["deliveries"] if r["MessageId"] in self.ids]

    def close(self, store: SqlStore) -> None:
        remove_subscription(store, self.ok_sid)
        remove_subscription(store, self.bad_sid)
        self.ok.stop()
        self.failing.stop()


@pytest.fixture
def store(backend_db: Database) -> Iterator[SqlStore]:
    opened = backend_db.open_store()
    yield opened
    opened.close()


@pytest.fixture
def outcomes(server: ServerProcess, store: SqlStore) -> Iterator[Outcomes]:
    made = Outcomes(server, store)
    yield made
    made.close(store)


def test_deliveries_come_newest_first_with_their_outcome(outcomes: Outcomes) -> None:
    pending, given_up, delivered = outcomes.records
    topic_arn = f"{ACCOUNT_ARN}:{outcomes.topic}"
    assert [r["MessageId"] for r in outcomes.records] == list(outcomes.ids)
    assert delivered == {
        "MessageId": outcomes.delivered,
        "TopicArn": topic_arn,
        "SubscriptionArn": f"{topic_arn}:{outcomes.ok_sid}",
        "Protocol": "http",
        "Endpoint": outcomes.ok.url,
        "Status": "Delivered",
        "Attempts": 1,
        "NextAttempt": None,
        "LastError": None,
        "CreatedDate": delivered["CreatedDate"],
        "FinishedDate": delivered["FinishedDate"],
    }
    assert delivered["FinishedDate"] >= delivered["CreatedDate"]
    assert delivered["CreatedDate"].endswith("Z")
    datetime.fromisoformat(delivered["CreatedDate"])

    shown = f"http://127.0.0.1:{outcomes.failing.port}/hook/…"
    assert given_up["SubscriptionArn"] == f"{topic_arn}:{outcomes.bad_sid}"
    assert given_up["Endpoint"] == shown
    assert given_up["Status"] == "GivenUp"
    assert given_up["Attempts"] == 1
    assert given_up["NextAttempt"] is None
    assert given_up["LastError"] == f"{shown} answered HTTP 500"
    assert given_up["FinishedDate"] is not None

    assert pending["Status"] == "Pending"
    assert pending["Attempts"] >= 1
    assert pending["NextAttempt"] is not None
    assert pending["FinishedDate"] is None
    for secret in ("hunter2", "T0KEN", "PSST"):
        assert secret not in str(outcomes.records)


def test_failing_lists_only_given_up_and_retrying_deliveries(
    server: ServerProcess, outcomes: Outcomes
) -> None:
    answer = read(server.endpoint, failing="true", limit="1000")
    assert [r["MessageId"] for r in outcomes.of(answer)] == [outcomes.pending, outcomes.given_up]
    assert all(r["LastError"] for r in answer["deliveries"])
    assert answer["backlog"] >= 1
    everything = read(server.endpoint, failing="false", limit="1000")
    assert len(outcomes.of(everything)) == 3


@pytest.mark.usefixtures("outcomes")
def test_limit_caps_the_list(server: ServerProcess) -> None:
    assert len(read(server.endpoint, limit="1")["deliveries"]) == 1
    assert len(read(server.endpoint, limit="2")["deliveries"]) == 2
    assert len(read(server.endpoint)["deliveries"]) >= 3


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"limit": "0"}, "limit='0' must be a whole number from 1 to 1000"),
        ({"limit": "1001"}, "from 1 to 1000"),
        ({"limit": "-1"}, "from 1 to 1000"),
        ({"limit": "ten"}, "from 1 to 1000"),
        ({"limit": "9" * 5000}, "from 1 to 1000"),
        ({"failing": "yes"}, "failing='yes' must be true or false"),
        ({"failing": ""}, "must be true or false"),
        ({"since": "0"}, "Unknown query parameter 'since'"),
    ],
)
def test_bad_queries_are_refused_saying_what_to_fix(
    server: ServerProcess, params: dict[str, str], says: str
) -> None:
    response = get_deliveries(server.endpoint, params)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    assert says in response.json()["message"]


def test_an_unsigned_read_is_refused(server: ServerProcess) -> None:
    response = get_deliveries(server.endpoint, {}, sign=False)
    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
