"""`transom events deliveries` against a real server delivering, through the SNS API, to a
receiver that answers 200 and one that confirms its subscription, then answers 500."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.receivers import Received, Receiver
from tests.support.servers import Database, ServerProcess, aws_cli_env, boto3_client
from tests.support.waiting import wait_for
from transom.domain.topics import Message, MessageKind

COMMAND = (sys.executable, "-m", "transom", "events", "deliveries")


def _confirm_only(request: Received) -> int:
    confirming = request.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    return 200 if confirming else 500


def deliveries(endpoint: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "--endpoint-url", endpoint, *args],
        check=False,
        capture_output=True,
        text=True,
        env=aws_cli_env(tmp),
        timeout=60,
    )


def listed(endpoint: str, tmp: Path, *args: str) -> dict[str, Any]:
    done = deliveries(endpoint, tmp, "--json", *args)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


class Topic:
    """A topic with two confirmed HTTP subscriptions, one failing, and three messages: one
    published (delivered to one, retried for the other) and, older than the retry policy's
    hour, one to the failing subscription alone (given up at its first failure)."""

    def __init__(self, server: ServerProcess, db: Database, tmp: Path) -> None:
        sns = boto3_client(server.endpoint, "sns")
        self.name = f"ops-{uuid.uuid4().hex[:8]}"
        self.arn = sns.create_topic(Name=self.name)["TopicArn"]
        self.ok = Receiver().start()
        self.failing = Receiver(_confirm_only).start()
        self.failing_arn = ""
        for receiver in (self.ok, self.failing):
            arn = sns.subscribe(
                TopicArn=self.arn,
                Protocol="http",
                Endpoint=receiver.url,
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
            if receiver is self.failing:
                self.failing_arn = arn
            confirmation = json.loads(wait_for(receiver.bodies, what="a confirmation")[0])
            assert httpx.get(confirmation["SubscribeURL"]).status_code == 200
        self.published = sns.publish(TopicArn=self.arn, Message="window failed")["MessageId"]
        store = db.open_store()
        try:
            old = Message(
                str(uuid.uuid4()),
                self.name,
                MessageKind.NOTIFICATION,
                None,
                "an hour late",
                {},
                datetime.now(UTC) - timedelta(hours=2),
            )
            with store.write() as tx:
                tx.enqueue(old, [self.failing_arn.rsplit(":", 1)[-1]])
            self.given_up = old.message_id
        finally:
            store.close()

        def settled() -> list[dict[str, Any]] | None:
            ours = self.of(listed(server.endpoint, tmp, "--limit", "1000"))
            statuses = sorted((r["Status"], bool(r["LastError"])) for r in ours)
            done = [("Delivered", False), ("GivenUp", True), ("Pending", True)]
            return ours if statuses == done else None

        self.records = wait_for(settled, seconds=60, what="the three outcomes", every=0.3)
        self.sns = sns

    def of(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        """The deliveries of the two notifications (not of the confirmations)."""
        ids = (self.published, self.given_up)
        return [r for r in answer["deliveries"] if r["MessageId"] in ids]

    def close(self) -> None:
        self.sns.delete_topic(TopicArn=self.arn)  # its subscriptions go, and their retries
        self.ok.stop()
        self.failing.stop()


@pytest.fixture
def topic(server: ServerProcess, backend_db: Database, tmp_path: Path) -> Iterator[Topic]:
    made = Topic(server, backend_db, tmp_path)
    yield made
    made.close()


def test_json_lists_the_deliveries_newest_first_and_the_backlog(topic: Topic) -> None:
    given_up, *published = topic.records
    assert given_up["MessageId"] == topic.given_up
    assert given_up["Status"] == "GivenUp"
    assert given_up["SubscriptionArn"] == topic.failing_arn
    assert given_up["LastError"] == f"{topic.failing.url} answered HTTP 500"
    assert {r["MessageId"] for r in published} == {topic.published}
    by_status = {r["Status"]: r for r in published}
    assert by_status["Delivered"]["Endpoint"] == topic.ok.url
    assert by_status["Delivered"]["Attempts"] == 1
    assert by_status["Pending"]["SubscriptionArn"] == topic.failing_arn
    assert by_status["Pending"]["NextAttempt"] is not None


def test_the_table_shows_time_status_attempts_topic_endpoint_and_error(
    server: ServerProcess, topic: Topic, tmp_path: Path
) -> None:
    done = deliveries(server.endpoint, tmp_path, "--limit", "1000")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    heading = "TIME (UTC) STATUS ATTEMPTS TOPIC ENDPOINT LAST ERROR"
    assert lines[0].split() == heading.split()
    ours = [line.split() for line in lines if f" {topic.name} " in line]
    assert ours[0][2] == "GivenUp"
    assert sorted(row[2] for row in ours[:3]) == ["Delivered", "GivenUp", "Pending"]
    assert [row[2] for row in ours[3:]] == ["Delivered", "Delivered"]  # the confirmations
    for row in ours:
        datetime.strptime(f"{row[0]} {row[1]}", "%Y-%m-%d %H:%M:%S")
        assert row[4] == topic.name
    given_up = ours[0]
    assert given_up[3] == "1"
    assert given_up[5] == topic.failing.url
    assert " ".join(given_up[6:]) == f"{topic.failing.url} answered HTTP 500"
    delivered = next(row for row in ours if row[2] == "Delivered")
    assert delivered[5:] == [topic.ok.url, "-"]
    assert lines[-1].startswith("backlog: ")
    assert int(lines[-1].split()[1]) >= 1
    assert done.stderr == ""


def test_failing_leaves_out_what_was_delivered(
    server: ServerProcess, topic: Topic, tmp_path: Path
) -> None:
    answer = listed(server.endpoint, tmp_path, "--failing", "--limit", "1000")
    assert [r["Status"] for r in topic.of(answer)] == ["GivenUp", "Pending"]
    assert all(r["LastError"] for r in answer["deliveries"])
    assert answer["backlog"] >= 1
    done = deliveries(server.endpoint, tmp_path, "--failing", "--limit", "1000")
    assert done.returncode == 0, done.stderr
    assert "Delivered" not in done.stdout
    assert len([line for line in done.stdout.splitlines() if topic.name in line]) == 2


@pytest.mark.usefixtures("topic")
def test_limit_caps_the_list(server: ServerProcess, tmp_path: Path) -> None:
    assert len(listed(server.endpoint, tmp_path, "--limit", "2")["deliveries"]) == 2
    done = deliveries(server.endpoint, tmp_path, "--limit", "1")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3  # heading, one delivery, backlog


def test_an_api_error_exits_2_with_its_message(server: ServerProcess, tmp_path: Path) -> None:
    env = {**aws_cli_env(tmp_path), "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"}
    done = subprocess.run(
        COMMAND,
        check=False,
        capture_output=True,
        text=True,
        env={**env, "AWS_ENDPOINT_URL": server.endpoint},
        timeout=60,
    )
    assert done.returncode == 2
    assert "UnrecognizedClientException" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_an_unreachable_server_exits_2(tmp_path: Path) -> None:
    done = deliveries("http://127.0.0.1:9", tmp_path)
    assert done.returncode == 2
    assert "cannot reach http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
