"""The delivery worker against real endpoints: an HTTP(S) receiver, a local SMTP server,
on both backends. Back-offs longer than seconds are crossed with a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.mailbox import Mailbox, body, smtp_server
from tests.support.receivers import Received, Receiver, https_context
from tests.support.servers import BACKEND_PARAMS, Database
from tests.support.subscriptions import add_subscription, subscription
from tests.support.waiting import wait_for
from transom.domain.clock import Clock, SystemClock
from transom.domain.delivery_policy import RetryPolicy
from transom.domain.events import Realm
from transom.domain.topics import Message, MessageKind
from transom.engine import slow_pass
from transom.engine.delivery import DeliveryPacing, DeliveryWorker
from transom.engine.doorbell import Doorbell
from transom.events.senders import Senders, tls_context
from transom.events.signing import SigningKey
from transom.events.smtp import SmtpServer
from transom.events.sns_messages import SnsMessages
from transom.services.delivery import DeliveryService
from transom.store.sql import SqlStore

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
FAST = RetryPolicy(min_delay=timedelta(milliseconds=100), max_delay=timedelta(seconds=1))
REALM = Realm()
KEY = SigningKey.generate()


@pytest.fixture
def store(fresh_db: Database) -> Iterator[SqlStore]:
    opened = fresh_db.open_store()
    yield opened
    opened.close()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


class Running:
    """A service and its worker, looping in a thread of their own."""

    def __init__(
        self,
        store: SqlStore,
        clock: Clock | None = None,
        smtp: SmtpServer | None = None,
        ca_bundle: Path | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.doorbell = Doorbell()
        self.senders = Senders(
            SnsMessages(REALM, "http://transom.test:8770", KEY), smtp, tls_context(ca_bundle)
        )
        self.service = DeliveryService(
            store,
            clock or SystemClock(),
            REALM,
            FAST,
            attempt_timeout=timeout,
            wake=self.doorbell.ring,
        )
        self.worker = DeliveryWorker(
            self.service,
            self.senders.send,
            clock or SystemClock(),
            self.doorbell,
            DeliveryPacing(idle=30),
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._task: asyncio.Task[None] | None = None

    def _run(self) -> None:
        self._task = self._loop.create_task(self.worker.run_forever())
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)
        self._loop.run_until_complete(self.senders.aclose())
        self._loop.close()

    def __enter__(self) -> Running:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        wait_for(lambda: self._task is not None, what="the worker to start")
        assert self._task is not None
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=20)


def publish(
    store: SqlStore,
    subscription_ids: list[str],
    body: str = "the window failed",
    subject: str | None = "Window failed",
    kind: MessageKind = MessageKind.NOTIFICATION,
    at: datetime | None = None,
) -> str:
    message = Message(
        message_id=str(uuid.uuid4()),
        topic_name="ops",
        kind=kind,
        subject=subject,
        body=body,
        attributes={},
        created_date=at or datetime.now(UTC),
    )
    with store.write() as tx:
        tx.enqueue(message, subscription_ids)
    return message.message_id


def subscribe(store: SqlStore, endpoint: str, protocol: str = "http", **attributes: str) -> str:
    sid = str(uuid.uuid4())
    add_subscription(store, subscription(sid, endpoint, protocol, attributes=attributes))
    return sid


def status_of(store: SqlStore, message_id: str) -> list[str]:
    with store.read() as tx:
        return [status for _sid, status in tx.deliveries_of(message_id)]


def test_a_publication_wakes_the_worker_and_the_receiver_gets_it_signed(
    store: SqlStore,
) -> None:
    receiver = Receiver().start()
    try:
        sid = subscribe(store, receiver.url)
        with Running(store) as running:
            message_id = publish(store, [sid])
            running.service.wake()
            [body] = wait_for(receiver.bodies, seconds=5, what="the notification")
            wait_for(lambda: status_of(store, message_id) == ["Delivered"], what="the record")
        request = receiver.received[0]
        assert request.headers["content-type"] == "text/plain; charset=UTF-8"
        assert request.headers["x-amz-sns-message-type"] == "Notification"
        assert request.headers["x-amz-sns-message-id"] == message_id
        assert request.headers["x-amz-sns-topic-arn"] == "arn:aws:sns:us-east-1:000000000000:ops"
        assert request.headers["x-amz-sns-subscription-arn"].endswith(":ops:" + sid)
        document = json.loads(body)
        assert document["MessageId"] == message_id
        assert document["Message"] == "the window failed"
        assert document["SigningCertURL"] == "http://transom.test:8770/sns/signing-cert.pem"
    finally:
        receiver.stop()


def test_a_slow_pass_is_logged_with_the_attempts_it_started(
    store: SqlStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slow_pass, "SLOW_PASS_SECONDS", -1.0)  # every pass is slow

    def passes(field: str) -> int:
        return sum(
            r.__dict__[field]
            for r in list(caplog.records)
            if r.getMessage().startswith("slow delivery pass")
        )

    receiver = Receiver().start()
    try:
        sid = subscribe(store, receiver.url)
        with Running(store) as running:
            publish(store, [sid])
            running.service.wake()
            wait_for(lambda: passes("outcomes_recorded"), what="a pass recording the outcome")
    finally:
        receiver.stop()
    assert (passes("attempts_started"), passes("outcomes_recorded")) == (1, 1)


def test_a_failing_receiver_gets_the_message_on_a_retry_with_the_same_id(
    store: SqlStore,
) -> None:
    answers = iter([500, 503])
    receiver = Receiver(lambda _r: next(answers, 200)).start()
    try:
        sid = subscribe(store, receiver.url)
        with Running(store) as running:
            message_id = publish(store, [sid])
            running.service.wake()
            wait_for(lambda: status_of(store, message_id) == ["Delivered"], seconds=10)
        [request] = receiver.received
        assert request.headers["x-amz-sns-message-id"] == message_id
        assert json.loads(request.body)["MessageId"] == message_id
        with store.read() as tx:
            [delivery] = tx.recent_deliveries(1)
        assert delivery.attempts == 3
        assert delivery.last_error is not None
        assert "answered HTTP 503" in delivery.last_error
    finally:
        receiver.stop()


def test_a_receiver_down_for_a_while_gets_everything_exactly_once(store: SqlStore) -> None:
    receiver = Receiver()
    sid = subscribe(store, receiver.url)
    with Running(store) as running:
        sent = [publish(store, [sid], body=f"message {i}") for i in range(20)]
        running.service.wake()
        wait_for(
            lambda: (
                all(status_of(store, m) == ["Pending"] for m in sent)
                and running.service.recent(1, failing_only=True)
            ),
            what="failed attempts",
        )
        receiver.start()
        try:
            wait_for(lambda: len(receiver.bodies()) >= 20, seconds=15, what="all 20")
            wait_for(lambda: running.service.backlog() == 0, what="an empty backlog")
        finally:
            receiver.stop()
    ids = [json.loads(body)["MessageId"] for body in receiver.bodies()]
    assert sorted(ids) == sorted(sent)


def test_a_slow_endpoint_does_not_delay_another_subscription(store: SqlStore) -> None:
    release = threading.Event()

    def stall(_request: Received) -> int:
        release.wait(20)
        return 200

    slow, quick = Receiver(stall).start(), Receiver().start()
    try:
        slow_sid, quick_sid = subscribe(store, slow.url), subscribe(store, quick.url)
        with Running(store) as running:
            for i in range(10):
                publish(store, [slow_sid], body=f"slow {i}")
            running.service.wake()
            for i in range(5):
                publish(store, [quick_sid], body=f"quick {i}")
                running.service.wake()
                wait_for(lambda: len(quick.bodies()) > i, seconds=3, what="a quick delivery")  # noqa: B023
            assert slow.bodies() == []
            release.set()
            wait_for(lambda: len(slow.bodies()) == 10, seconds=15)
    finally:
        release.set()
        slow.stop()
        quick.stop()


def test_a_delivery_failing_for_an_hour_is_given_up_with_its_event(store: SqlStore) -> None:
    from tests.support.clock import FakeClock

    start = datetime.now(UTC)
    clock = FakeClock(start)
    sid = subscribe(store, "http://user:pw@127.0.0.1:1/hook/" + "s" * 24 + "?key=secret")
    message_id = publish(store, [sid], at=start)
    service = DeliveryService(store, clock, REALM, RetryPolicy())

    async def refuse(_delivery: object) -> None:
        raise ConnectionRefusedError("connection refused")

    attempts = 0
    while True:
        claim = service.claim(10, 10)
        if not claim.deliveries:
            due = service.next_due()
            if due is None:
                break
            clock.set(due)
            continue
        for delivery in claim.deliveries:
            attempts += 1
            assert not asyncio.run(service.attempt(delivery, claim.lease, refuse))
    assert clock.now() - start >= timedelta(hours=1)
    assert status_of(store, message_id) == ["GivenUp"]
    with store.read() as tx:
        [event] = [e.event for e in tx.events_after(0, 10)]
        [failing] = tx.recent_deliveries(5, failing_only=True)
    assert (failing.attempts, failing.last_error) == (attempts, "connection refused")
    assert event.source == "transom"
    assert event.detail_type == "Notification Delivery Given Up"
    assert event.detail == {
        "message-id": message_id,
        "topic-arn": "arn:aws:sns:us-east-1:000000000000:ops",
        "subscription-arn": f"arn:aws:sns:us-east-1:000000000000:ops:{sid}",
        "protocol": "http",
        "endpoint": "http://127.0.0.1:1/hook/…",
        "attempts": attempts,
        "last-error": "connection refused",
    }


def test_giving_up_a_given_up_event_emits_no_further_event(store: SqlStore) -> None:
    from tests.support.clock import FakeClock

    start = datetime.now(UTC)
    clock = FakeClock(start + timedelta(hours=2))
    sid = subscribe(store, "http://127.0.0.1:1/hook")
    envelope = {"source": "transom", "detail-type": "Notification Delivery Given Up", "detail": {}}
    message_id = publish(store, [sid], body=json.dumps(envelope), at=start)
    service = DeliveryService(store, clock, REALM, RetryPolicy())
    claim = service.claim(10, 10)
    service.failed(claim.deliveries[0], claim.lease, "refused")
    assert status_of(store, message_id) == ["GivenUp"]
    with store.read() as tx:
        assert tx.events_after(0, 10) == []


def test_https_with_a_trusted_ca_and_the_chat_and_raw_formats(
    store: SqlStore, tmp_path: Path
) -> None:
    tls, ca_file = https_context(tmp_path)
    receiver = Receiver(tls=tls).start()
    try:
        chat = subscribe(store, receiver.url, ChatFormat="text")
        raw = subscribe(store, receiver.url, RawMessageDelivery="true")
        event = {
            "version": "0",
            "id": "e-1",
            "detail-type": "Maintenance Window Execution State-change Notification",
            "source": "aws.ssm",
            "time": "2026-03-29T01:30:15Z",
            "detail": {
                "start-time": "2026-03-29T01:29:00Z",
                "end-time": "2026-03-29T01:30:15Z",
                "window-id": "mw-0123456789abcdef0",
                "window-execution-id": "11111111-2222-3333-4444-555555555555",
                "status": "FAILED",
            },
        }
        with Running(store, ca_bundle=ca_file) as running:
            publish(store, [chat, raw], body=json.dumps(event), subject=None)
            running.service.wake()
            wait_for(lambda: len(receiver.bodies()) == 2, seconds=10, what="both deliveries")
        by_type = {r.headers["content-type"]: r for r in receiver.received}
        assert json.loads(by_type["application/json"].body) == {
            "text": "Maintenance Window Execution: mw-0123456789abcdef0 "
            "11111111-2222-3333-4444-555555555555 FAILED at 2026-03-29T01:30:15Z"
        }
        raw_request = by_type["text/plain; charset=UTF-8"]
        assert json.loads(raw_request.body) == event
        assert raw_request.headers["x-amz-sns-rawdelivery"] == "true"
    finally:
        receiver.stop()


def test_https_to_an_untrusted_certificate_fails(store: SqlStore, tmp_path: Path) -> None:
    tls, _ca_file = https_context(tmp_path)
    receiver = Receiver(tls=tls).start()
    try:
        sid = subscribe(store, receiver.url)
        with Running(store) as running:
            message_id = publish(store, [sid])
            running.service.wake()
            [failing] = wait_for(
                lambda: running.service.recent(1, failing_only=True), what="a failure"
            )
        assert "CERTIFICATE_VERIFY_FAILED" in (failing.last_error or "")
        assert status_of(store, message_id) == ["Pending"]
    finally:
        receiver.stop()


def test_email_and_email_json_arrive_in_the_mailbox(
    store: SqlStore, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    smtp = SmtpServer.parse(f"smtp://127.0.0.1:{port}?from=transom@example.com")
    plain = subscribe(store, "ops@example.com", "email")
    as_json = subscribe(store, "bot@example.com", "email-json")
    with Running(store, smtp=smtp) as running:
        message_id = publish(store, [plain, as_json], body="Window mw-1 FAILED")
        confirmation = publish(
            store, [plain], body="tok-1", subject=None, kind=MessageKind.SUBSCRIPTION_CONFIRMATION
        )
        running.service.wake()
        wait_for(lambda: len(box.mails) == 3, seconds=10, what="three mails")
        wait_for(lambda: running.service.backlog() == 0, what="the outcomes recorded")
    assert status_of(store, message_id) == ["Delivered", "Delivered"]
    assert status_of(store, confirmation) == ["Delivered"]
    mails = {(m["To"], m["Subject"]): m for m in box.mails}

    text = mails["ops@example.com", "Window failed"]
    assert text["From"] == "transom@example.com"
    assert body(text).splitlines()[0] == "Window mw-1 FAILED"
    assert "Action=Unsubscribe" in body(text)
    document = json.loads(body(mails["bot@example.com", "Window failed"]))
    assert (document["Type"], document["MessageId"]) == ("Notification", message_id)
    confirm = mails["ops@example.com", "AWS Notification - Subscription Confirmation"]
    assert "Action=ConfirmSubscription" in body(confirm)
    assert "Token=tok-1" in body(confirm)
