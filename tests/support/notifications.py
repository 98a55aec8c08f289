"""The notification stack of `tests/cli/test_notifications_*.py`: a server with agents, an HTTPS
receiver, a chat webhook and a mailbox subscribed to a topic with the real `aws` CLI and
confirmed as each subscriber can, and what checks what they hear as an SNS client does."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.agents import AgentProcess
from tests.support.cli import AwsCli
from tests.support.mailbox import Mailbox, body, smtp_server
from tests.support.nodes import activation
from tests.support.receivers import Receiver, https_context
from tests.support.servers import (
    Database,
    ServerProcess,
    aws_cli_env,
    boto3_client,
)
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for
from transom.events.sns_messages import string_to_sign
from transom.store.sql import SqlStore

FAILED_WINDOWS = {
    "source": ["aws.ssm"],
    "detail-type": ["Maintenance Window Execution State-change Notification"],
    "detail": {"status": ["FAILED"]},
}
FAILS_WHERE_MARKED = "if [ -e ../../fail ]; then echo broken; exit 3; fi; echo fine"
"""A script that fails on the nodes whose agent state directory holds a `fail` file (the
agent runs a command two levels below it)."""
CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"
NOTIFICATION_SUBJECT = "AWS Notification Message"
MAIL_FOOTER = "\n\n--\n"


@dataclass
class Stack:
    """A server with two agents, a topic `ops` with confirmed HTTPS, chat (HTTPS with
    ChatFormat text) and email subscriptions, and the tools to drive them."""

    server: ServerProcess
    store: SqlStore
    receiver: Receiver
    chat: Receiver
    mailbox: Mailbox
    agents: list[AgentProcess]
    topic_arn: str
    tmp: Path

    def aws(self, service: str) -> AwsCli:
        return AwsCli(self.server.endpoint, self.tmp, service)

    def notifications(self) -> list[dict[str, Any]]:
        """The Notification documents the HTTPS receiver got, each signature checked."""
        documents = [json.loads(b) for b in self.receiver.bodies()]
        found = [d for d in documents if d["Type"] == "Notification"]
        for document in found:
            verify_as_an_sns_client(document)
        return found

    def chat_lines(self) -> list[str]:
        """The `text` of each chat message after the confirmation."""
        return [json.loads(b)["text"] for b in self.chat.bodies()[1:]]

    def mails(self) -> list[str]:
        """The text of each notification mail, without the unsubscribe footer."""
        mails = self.mailbox.with_subject(NOTIFICATION_SUBJECT)
        return [body(mail).split(MAIL_FOOTER)[0] for mail in mails]

    def settled(self) -> None:
        """Wait until every event is relayed and every delivery made."""

        def quiet() -> bool:
            with self.store.read() as tx:
                return not tx.has_unrelayed() and tx.pending_deliveries() == 0

        wait_for(quiet, what="every event relayed and every delivery made")


def verify_as_an_sns_client(document: dict[str, Any]) -> None:
    """What SNS client libraries do: fetch SigningCertURL, rebuild the string to sign from the
    document's members, check the RSA-SHA256 signature (SignatureVersion 2)."""
    assert document["SignatureVersion"] == "2"
    pem = httpx.get(document["SigningCertURL"]).content
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(document["Signature"]),
        string_to_sign(document).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def visit(url: str) -> None:
    """Follow a SubscribeURL as a browser or webhook receiver does: an unsigned GET."""
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    assert "<SubscriptionArn>" in answer.text


@contextmanager
def notification_stack(fresh_db: Database, tmp_path: Path) -> Iterator[Stack]:
    """A `Stack` on `fresh_db`, its files in `tmp_path`; stopped on leaving."""
    tls, ca_bundle = https_context(tmp_path)
    receiver, chat = Receiver(tls=tls).start(), Receiver(tls=tls).start()
    with smtp_server() as (mailbox, smtp_port):
        server = ServerProcess(
            fresh_db,
            ["--smtp-url", f"smtp://127.0.0.1:{smtp_port}", "--ca-bundle", str(ca_bundle)],
        ).start()
        store = fresh_db.open_store()
        agents: list[AgentProcess] = []
        try:
            ssm = boto3_client(server.endpoint)
            activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": "web"}])
            for i in range(2):
                agent = AgentProcess.register(
                    server.endpoint, activation_id, code, tmp_path / f"agent{i}"
                )
                agents.append(agent.start())
            sns = AwsCli(server.endpoint, tmp_path, "sns")
            topic_arn = sns("create-topic", "--name", "ops")["TopicArn"]
            stack = Stack(server, store, receiver, chat, mailbox, agents, topic_arn, tmp_path)
            subscribe_and_confirm(stack)
            yield stack
        finally:
            for agent in agents:
                agent.kill()
            server.kill()
            store.close()
            receiver.stop()
            chat.stop()


def subscribe_and_confirm(stack: Stack) -> None:
    sns = stack.aws("sns")
    for protocol, endpoint in (("https", stack.receiver.url), ("email", "ops@example.com")):
        pending = sns(
            "subscribe",
            "--topic-arn",
            stack.topic_arn,
            "--protocol",
            protocol,
            "--notification-endpoint",
            endpoint,
        )
        assert pending["SubscriptionArn"] == "pending confirmation"
    sns(
        "subscribe",
        "--topic-arn",
        stack.topic_arn,
        "--protocol",
        "https",
        "--notification-endpoint",
        stack.chat.url,
        "--attributes",
        "ChatFormat=text",
    )

    [confirmation] = wait_for(stack.receiver.bodies, what="the HTTPS SubscriptionConfirmation")
    document = json.loads(confirmation)
    assert document["Type"] == "SubscriptionConfirmation"
    assert document["TopicArn"] == stack.topic_arn
    verify_as_an_sns_client(document)
    visit(document["SubscribeURL"])

    [mail] = wait_for(
        lambda: stack.mailbox.with_subject(CONFIRMATION_SUBJECT), what="the confirmation mail"
    )
    assert mail["To"] == "ops@example.com"
    link = re.search(r"https?://\S*Action=ConfirmSubscription\S*", body(mail))
    assert link is not None, body(mail)
    visit(link.group(0))

    # A chat channel cannot visit a link: it shows it, and someone confirms with its token.
    [posted] = wait_for(stack.chat.bodies, what="the chat webhook's confirmation")
    text = json.loads(posted)["text"]
    assert text.startswith(f"SubscriptionConfirmation for {stack.topic_arn}: visit http")
    token = re.search(r"[?&]Token=(\w+)", text)
    assert token is not None, text
    confirmed = sns(
        "confirm-subscription", "--topic-arn", stack.topic_arn, "--token", token.group(1)
    )
    assert confirmed["SubscriptionArn"].startswith(stack.topic_arn + ":")

    subscriptions = sns("list-subscriptions-by-topic", "--topic-arn", stack.topic_arn)
    assert sorted(
        (s["Protocol"], s["SubscriptionArn"].startswith(stack.topic_arn + ":"))
        for s in subscriptions["Subscriptions"]
    ) == [("email", True), ("https", True), ("https", True)]


def run_window(stack: Stack, name: str, *commands: str, ok: int) -> tuple[str, str]:
    """Make a window whose task runs `commands` on both nodes, run it now with `transom window
    run --wait` (checked to exit `ok`: 0 SUCCESS, 1 FAILED), and return its id and the
    execution's."""
    window_id = shell_window(
        boto3_client(stack.server.endpoint),
        "cron(0 4 ? * SUN *)",
        ("Fleet", "web"),
        commands,
        name=name,
        duration=2,
        cutoff=1,
        max_concurrency="2",
        max_errors="2",
    )
    done = subprocess.run(
        [sys.executable, "-m", "transom", "window", "run", window_id, "--wait"],
        capture_output=True,
        text=True,
        env=aws_cli_env(stack.tmp) | {"AWS_ENDPOINT_URL": stack.server.endpoint},
        timeout=60,
        check=False,
    )
    assert done.returncode == ok, (done.stdout, done.stderr)
    return window_id, done.stdout.splitlines()[0]
