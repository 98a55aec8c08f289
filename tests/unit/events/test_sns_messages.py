"""SNS message documents, their signatures, chat lines, shown endpoints, SMTP URLs and the
signing key file."""

from __future__ import annotations

import base64
import json
import multiprocessing
import stat
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from transom.domain.events import Realm
from transom.domain.topics import Delivery, DeliveryStatus, Message, MessageKind, Subscription
from transom.events.endpoints import shown_endpoint
from transom.events.signing import SigningKey
from transom.events.smtp import SmtpServer
from transom.events.sns_messages import SnsMessages, chat_text, string_to_sign

T = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
KEY = SigningKey.generate()
SNS = SnsMessages(Realm(), "https://transom.example", KEY)
SUB = Subscription("sub-1", "ops", "https", "https://h/x", {}, "tok", True, T)


def _delivery(kind: MessageKind, subject: str | None = "Hi", body: str = "hello") -> Delivery:
    message = Message("m-1", "ops", kind, subject, body, {}, T)
    return Delivery(1, message, SUB, DeliveryStatus.PENDING, 0, T, None, T, None)


def _verify(document: dict[str, str], certificate: x509.Certificate) -> None:
    """As SNS client libraries check a message (SignatureVersion 2)."""
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(
        base64.b64decode(document["Signature"]),
        string_to_sign(document).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_a_notification_document_is_signed_as_sns_signs_it() -> None:
    document = SNS.document(_delivery(MessageKind.NOTIFICATION))
    assert list(document) == [
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
        "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL",
    ]  # fmt: skip
    assert document["Timestamp"] == "2026-03-29T01:30:15.123Z"
    assert document["SigningCertURL"] == "https://transom.example/sns/signing-cert.pem"
    assert string_to_sign(document) == (
        "Message\nhello\nMessageId\nm-1\nSubject\nHi\nTimestamp\n2026-03-29T01:30:15.123Z\n"
        "TopicArn\narn:aws:sns:us-east-1:000000000000:ops\nType\nNotification\n"
    )
    _verify(document, KEY.certificate)
    tampered = {**document, "Message": "bye"}
    with pytest.raises(InvalidSignature):
        _verify(tampered, KEY.certificate)


def test_a_confirmation_carries_its_token_and_subscribe_url() -> None:
    document = SNS.document(
        _delivery(MessageKind.SUBSCRIPTION_CONFIRMATION, subject=None, body="tok")
    )
    assert document["Token"] == "tok"
    assert document["SubscribeURL"] == (
        "https://transom.example/?Action=ConfirmSubscription&TopicArn="
        "arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aops&Token=tok"
    )
    assert document["Message"].startswith("You have chosen to subscribe to the topic arn:")
    assert "UnsubscribeURL" not in document
    assert string_to_sign(document).startswith("Message\nYou have chosen")
    _verify(document, KEY.certificate)
    headers = SNS.headers(_delivery(MessageKind.SUBSCRIPTION_CONFIRMATION))
    assert "x-amz-sns-subscription-arn" not in headers


def test_chat_text_of_an_event_and_of_a_plain_message() -> None:
    event = {
        "detail-type": "EC2 Command Invocation Status-change Notification",
        "time": "2026-03-29T01:30:15Z",
        "detail": {"command-id": "c-1", "instance-id": "mi-1", "status": "Failed"},
    }
    message = _delivery(MessageKind.NOTIFICATION, body=json.dumps(event)).message
    assert chat_text(message) == "EC2 Command Invocation: c-1 mi-1 Failed at 2026-03-29T01:30:15Z"
    invocation = {
        "commandId": "c-1",
        "documentName": "AWS-RunShellScript",
        "instanceId": "mi-1",
        "requestedDateTime": "2026-03-29T01:30:00.000Z",
        "status": "Failed",
        "eventTime": "2026-03-29T01:30:15.123Z",
    }
    message = _delivery(MessageKind.NOTIFICATION, body=json.dumps(invocation)).message
    assert chat_text(message) == (
        "Run Command: c-1 AWS-RunShellScript mi-1 Failed at 2026-03-29T01:30:15.123Z"
    )
    summary = invocation | {"instanceIds": [], "status": "Success"}
    del summary["instanceId"]
    message = _delivery(MessageKind.NOTIFICATION, body=json.dumps(summary)).message
    assert chat_text(message).startswith("Run Command: c-1 AWS-RunShellScript Success at ")
    plain = _delivery(MessageKind.NOTIFICATION, "Deploy", "done\nmore lines").message
    assert chat_text(plain) == "Deploy: done"
    long = _delivery(MessageKind.NOTIFICATION, None, "x" * 600).message
    assert len(chat_text(long)) == 500


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("https://u:p@hooks.slack.com/services/T0/B0/abcdefghijklmnopqrstuvwx?x=1",
         "https://hooks.slack.com/services/T0/B0/…"),
        ("http://[::1]:8080/hook#f", "http://[::1]:8080/hook"),
        ("ops@example.com", "ops@example.com"),
    ],
)  # fmt: skip
def test_shown_endpoints_keep_no_secrets(endpoint: str, shown: str) -> None:
    assert shown_endpoint(endpoint) == shown


def test_smtp_urls() -> None:
    server = SmtpServer.parse("smtp+starttls://me%40x:p%2Fw@mail.example?from=t@example.com")
    assert server == SmtpServer(
        "smtp+starttls", "mail.example", 587, "me@x", "p/w", "t@example.com"
    )
    assert SmtpServer.parse("smtps://mail").port == 465
    with pytest.raises(ValueError, match="smtp://, smtp\\+starttls:// or smtps://"):
        SmtpServer.parse("http://mail")


def test_the_signing_key_file_is_made_once_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    made = SigningKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SigningKey.load_or_create(path)
    assert again.certificate_pem() == made.certificate_pem()
    assert again.sign("x") == made.sign("x")
    (tmp_path / "bad.pem").write_text("nothing")
    with pytest.raises(ValueError, match=r"Could not deserialize|Unable to load"):
        SigningKey.load_or_create(tmp_path / "bad.pem")


def _certificate_made_or_loaded(path: Path, start: Any) -> bytes:
    start.wait()
    return SigningKey.load_or_create(path).certificate_pem()


def test_servers_starting_together_make_one_key_and_all_load_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(4, mp_context=spawn) as pool:
        start = manager.Barrier(4)
        certificates = list(pool.map(_certificate_made_or_loaded, [path] * 4, [start] * 4))
    assert len(set(certificates)) == 1
    assert SigningKey.load_or_create(path).certificate_pem() == certificates[0]
    assert [p.name for p in tmp_path.iterdir()] == ["key.pem"]  # no temporary file left
