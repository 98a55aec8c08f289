"""Deliveries survive a crash: `kill -9` the server while the receiver is down, start both
again, and every message arrives once, signed with the certificate the server serves."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.receivers import Receiver
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess
from tests.support.subscriptions import add_subscription, subscription
from tests.support.waiting import wait_for
from transom.domain.topics import Message, MessageKind
from transom.store.sql import SqlStore

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
ARGS = ["--delivery-retry-delay", "2"]
"""Long enough that the kill most likely comes between attempts, not during one (whose
lease would hold its delivery back for 30 s after the restart)."""


def _verify_as_an_sns_client(document: dict[str, str]) -> None:
    """What SNS client libraries do: fetch SigningCertURL, rebuild the string to sign from
    the document's members, check the RSA-SHA256 signature."""
    assert document["SignatureVersion"] == "2"
    certificate = x509.load_pem_x509_certificate(httpx.get(document["SigningCertURL"]).content)
    names = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    text = "".join(f"{n}\n{document[n]}\n" for n in names if n in document)
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(document["Signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def _publish(store: SqlStore, sid: str, n: int) -> str:
    message = Message(
        str(uuid.uuid4()), "ops", MessageKind.NOTIFICATION, "S", f"m{n}", {}, datetime.now(UTC)
    )
    with store.write() as tx:
        tx.enqueue(message, [sid])
    return message.message_id


def test_killed_while_the_receiver_is_down_every_message_arrives_once(
    fresh_db: Database,
) -> None:
    receiver = Receiver()
    store = fresh_db.open_store()
    server = ServerProcess(fresh_db, ARGS).start()
    try:
        sid = str(uuid.uuid4())
        add_subscription(store, subscription(sid, receiver.url))
        sent = [_publish(store, sid, n) for n in range(10)]

        def failed_once() -> bool:
            with store.read() as tx:
                return all(d.attempts >= 1 for d in tx.recent_deliveries(10))

        wait_for(failed_once, what="every delivery to fail once")
        server.kill()
        receiver.start()
        server = ServerProcess(fresh_db, ARGS).start()
        wait_for(lambda: len(receiver.bodies()) >= 10, what="all ten messages")

        def all_delivered() -> bool:
            with store.read() as tx:
                return tx.pending_deliveries() == 0

        wait_for(all_delivered, what="every delivery recorded")
        documents = [json.loads(body) for body in receiver.bodies()]
        assert sorted(d["MessageId"] for d in documents) == sorted(sent)
        assert documents[0]["SigningCertURL"] == server.endpoint + "/sns/signing-cert.pem"
        for document in documents:
            _verify_as_an_sns_client(document)
    finally:
        server.kill()
        receiver.stop()
        store.close()
