"""The SNS API over the AWS Query protocol, with the real boto3 `sns` client and `aws sns`."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError

from tests.support.servers import (
    REGION,
    Database,
    ServerProcess,
    aws_cli_env,
    aws_executable,
)
from transom.store import schema
from transom.store.sql import SqlStore

ACCOUNT = "000000000000"


@pytest.fixture
def store(backend_db: Database) -> Iterator[SqlStore]:
    opened = backend_db.open_store()
    yield opened
    opened.close()


def _name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _token(store: SqlStore, subscription_arn: str) -> str:
    with store.read() as tx:
        found = tx.get_subscription(subscription_arn.rsplit(":", 1)[1])
    assert found is not None
    assert found.token is not None
    return found.token


def _confirmations(store: SqlStore, subscription_arn: str) -> list[str]:
    """Bodies of the SubscriptionConfirmation messages on their way to the subscription."""
    m, d = schema.messages, schema.deliveries
    query = (
        sa.select(m.c.body)
        .join(d, d.c.message_id == m.c.message_id)
        .where(
            d.c.subscription_id == subscription_arn.rsplit(":", 1)[1],
            m.c.kind == "SubscriptionConfirmation",
        )
    )
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def test_a_topic_is_created_once_described_and_deleted(sns: Any) -> None:
    name = _name()
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "Ops"})["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "Ops"})["TopicArn"] == arn
    with pytest.raises(ClientError) as error:
        sns.create_topic(Name=name, Attributes={"DisplayName": "Other"})
    assert _code(error) == "InvalidParameter"
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == ACCOUNT
    assert attributes["DisplayName"] == "Ops"
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert json.loads(attributes["EffectiveDeliveryPolicy"])["http"]
    policy = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=policy)
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Alerts")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["DisplayName"], attributes["DeliveryPolicy"]) == ("Alerts", policy)
    assert attributes["EffectiveDeliveryPolicy"] == policy
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # idempotent, as on SNS
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=arn)


def test_topics_are_listed_a_hundred_per_page(sns: Any) -> None:
    mine = {sns.create_topic(Name=_name("page"))["TopicArn"] for _ in range(101)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    assert first["NextToken"]
    seen = [t["TopicArn"] for t in first["Topics"]]
    for page in sns.get_paginator("list_topics").paginate(
        PaginationConfig={"StartingToken": first["NextToken"]}
    ):
        seen += [t["TopicArn"] for t in page["Topics"]]
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)
    for arn in mine:
        sns.delete_topic(TopicArn=arn)


def test_a_subscription_is_pending_until_confirmed_with_its_token(
    sns: Any, store: SqlStore, server: ServerProcess
) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    answer = sns.subscribe(
        TopicArn=arn,
        Protocol="https",
        Endpoint="https://hooks.example/ops",
        Attributes={"RawMessageDelivery": "true", "ChatFormat": "text"},
    )
    assert answer["SubscriptionArn"] == "pending confirmation"  # as SNS answers Subscribe
    sub_arn = sns.subscribe(
        TopicArn=arn,
        Protocol="https",
        Endpoint="https://hooks.example/ops",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    assert sub_arn.startswith(arn + ":")
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["SubscriptionArn"], s["Endpoint"]) for s in listed] == [
        ("PendingConfirmation", "https://hooks.example/ops")
    ]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsPending"] == "1"
    token = _token(store, sub_arn)
    with pytest.raises(ClientError) as error:
        sns.confirm_subscription(TopicArn=arn, Token="0" * 96)
    assert _code(error) == "InvalidParameter"
    # the SubscribeURL a subscriber follows: unsigned
    confirmed = httpx.get(
        server.endpoint + "/",
        params={"Action": "ConfirmSubscription", "TopicArn": arn, "Token": token},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert f"<SubscriptionArn>{sub_arn}</SubscriptionArn>" in confirmed.text
    assert sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"] == sub_arn
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ChatFormat"] == "text"
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["ConfirmationWasAuthenticated"] == "false"
    sns.set_subscription_attributes(
        SubscriptionArn=sub_arn, AttributeName="RawMessageDelivery", AttributeValue="false"
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert attributes["RawMessageDelivery"] == "false"
    mine = [s for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == arn]
    assert [s["SubscriptionArn"] for s in mine] == [sub_arn]
    # the UnsubscribeURL: unsigned, with the token
    refused = httpx.get(
        server.endpoint + "/",
        params={"Action": "Unsubscribe", "SubscriptionArn": sub_arn, "Token": "x" * 96},
    )
    assert refused.status_code == 403
    assert "<Code>AuthorizationError</Code>" in refused.text
    done = httpx.get(
        server.endpoint + "/",
        params={"Action": "Unsubscribe", "SubscriptionArn": sub_arn, "Token": token},
    )
    assert done.status_code == 200, done.text
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []


def test_subscribe_enqueues_a_confirmation_and_publish_reaches_confirmed_ones_only(
    sns: Any, store: SqlStore
) -> None:
    arn = sns.create_topic(Name=_name())["TopicArn"]
    pending = sns.subscribe(
        TopicArn=arn, Protocol="email", Endpoint="ops@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    confirmed = []
    for protocol, endpoint in (("http", "http://127.0.0.1:9/a"), ("email-json", "a@b.example")):
        sub = sns.subscribe(
            TopicArn=arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        sns.confirm_subscription(TopicArn=arn, Token=_token(store, sub))
        confirmed.append(sub.rsplit(":", 1)[1])
    assert _confirmations(store, pending) == [_token(store, pending)]
    message_id = sns.publish(
        TopicArn=arn,
        Message="the window failed",
        Subject="Window failed",
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "high"}},
    )["MessageId"]
    with store.read() as tx:
        assert tx.deliveries_of(message_id) == [(sid, "Pending") for sid in confirmed]


def test_tags_are_added_listed_and_removed(sns: Any) -> None:
    arn = sns.create_topic(Name=_name(), Tags=[{"Key": "team", "Value": "ops"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "tier", "Value": "1"}])
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "ops", "tier": "1"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.list_tags_for_resource(ResourceArn=arn + "-gone")


def test_the_aws_cli_creates_subscribes_and_publishes(
    server: ServerProcess, tmp_path: Path
) -> None:
    def aws(*args: str) -> Any:
        done = subprocess.run(
            [aws_executable(), "sns", *args, "--endpoint-url", server.endpoint, "--output", "json"],
            env=aws_cli_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    name = _name("cli")
    arn = aws("create-topic", "--name", name, "--tags", "Key=team,Value=ops")["TopicArn"]
    assert arn.endswith(":" + name)
    assert arn in [t["TopicArn"] for t in aws("list-topics")["Topics"]]
    sub = aws(
        "subscribe",
        "--topic-arn",
        arn,
        "--protocol",
        "email",
        "--notification-endpoint",
        "ops@example.com",
    )
    assert sub["SubscriptionArn"] == "pending confirmation"
    assert aws("publish", "--topic-arn", arn, "--message", "hello", "--subject", "Hi")["MessageId"]
    aws("delete-topic", "--topic-arn", arn)
    done = subprocess.run(
        [
            aws_executable(),
            "sns",
            "get-topic-attributes",
            "--topic-arn",
            arn,
            "--endpoint-url",
            server.endpoint,
        ],
        env=aws_cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "NotFound" in done.stderr
