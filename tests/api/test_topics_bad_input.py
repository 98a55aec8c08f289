"""Bad input to every SNS action: a 4xx `ErrorResponse` that says what to fix, and no change to
anything stored. Requests are hand-made signed forms, so botocore's own checks don't interfere."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.api.test_bad_input import dump
from tests.support.servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    boto3_client,
)

__all__ = ["dump"]

NS = "{http://sns.amazonaws.com/doc/2010-03-31/}"
P = "InvalidParameter"
V = "ValidationError"
N = "NotFound"
R = "ResourceNotFound"
M = "MalformedQueryString"
UNKNOWN_TOPIC = "arn:aws:sns:us-east-1:000000000000:no-such-topic"
OTHER_ACCOUNT = "arn:aws:sns:us-east-1:123456789012:bad-input"
UNKNOWN_SUB = "{topic}:01234567-89ab-4def-8123-456789abcdef"
T = {"TopicArn": "{topic}"}
SUB = {"TopicArn": "{topic}", "Protocol": "https", "Endpoint": "https://hooks.example/x"}
PUB = {"TopicArn": "{topic}", "Message": "hello"}

CASES: list[tuple[str, dict[str, str], str, str]] = [
    # framing
    ("NoSuchAction", {}, "InvalidAction", "NoSuchAction"),
    ("ListTopics", {"Version": "2009-01-01"}, "InvalidAction", "2010-03-31"),
    ("CreateTopic", {"Name": "x", "Attributes.entry.1.key": "DisplayName"}, M, "entry.1"),
    ("CreateTopic", {"Name.member.1": "x"}, M, "Name"),
    ("CreateTopic", {"Name": "a\x01b"}, P, "XML 1.0"),
    # CreateTopic
    ("CreateTopic", {}, V, "Value null at 'name' failed to satisfy constraint"),
    ("CreateTopic", {"Name": "no spaces!"}, P, "Topic Name"),
    ("CreateTopic", {"Name": "x" * 257}, P, "1 to 256"),
    (
        "CreateTopic",
        {
            "Name": "bad-input",
            "Attributes.entry.1.key": "FifoTopic",
            "Attributes.entry.1.value": "true",
        },
        P,
        "DisplayName, DeliveryPolicy, Policy, SignatureVersion",
    ),
    (
        "CreateTopic",
        {
            "Name": "fresh",
            "Attributes.entry.1.key": "DeliveryPolicy",
            "Attributes.entry.1.value": "[1]",
        },
        P,
        "JSON object",
    ),
    ("CreateTopic", {"Name": "fresh", "DataProtectionPolicy": "{}"}, P, "DataProtectionPolicy"),
    (
        "CreateTopic",
        {"Name": "fresh", "Tags.member.1.Key": "aws:x", "Tags.member.1.Value": "1"},
        P,
        "aws:",
    ),
    (
        "CreateTopic",
        {"Name": "fresh", "Tags.member.1.Key": "k" * 129, "Tags.member.1.Value": "1"},
        V,
        "length less than or equal to 128",
    ),
    (
        "CreateTopic",
        {
            "Name": "bad-input",
            "Attributes.entry.1.key": "DisplayName",
            "Attributes.entry.1.value": "Other",
        },
        P,
        "different attributes",
    ),
    # DeleteTopic, GetTopicAttributes, SetTopicAttributes
    ("DeleteTopic", {}, V, "topicArn"),
    ("DeleteTopic", {"TopicArn": "bad-input"}, P, "not a topic ARN"),
    ("GetTopicAttributes", {"TopicArn": UNKNOWN_TOPIC}, N, "no-such-topic"),
    ("GetTopicAttributes", {"TopicArn": OTHER_ACCOUNT}, N, "region and account"),
    (
        "SetTopicAttributes",
        {**T, "AttributeName": "KmsMasterKeyId", "AttributeValue": "k"},
        P,
        "KmsMasterKeyId",
    ),
    (
        "SetTopicAttributes",
        {**T, "AttributeName": "SignatureVersion", "AttributeValue": "3"},
        P,
        "SignatureVersion",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": UNKNOWN_TOPIC, "AttributeName": "DisplayName"},
        N,
        "no-such-topic",
    ),
    ("SetTopicAttributes", T, V, "attributeName"),
    # ListTopics, ListSubscriptions, ListSubscriptionsByTopic
    ("ListTopics", {"NextToken": "garbage"}, P, "NextToken"),
    ("ListSubscriptions", {"NextToken": "garbage"}, P, "NextToken"),
    ("ListSubscriptionsByTopic", {"TopicArn": UNKNOWN_TOPIC}, N, "no-such-topic"),
    ("ListSubscriptionsByTopic", {**T, "NextToken": "garbage"}, P, "NextToken"),
    # Subscribe
    ("Subscribe", {**SUB, "Protocol": "sqs"}, P, "http, https, email, email-json"),
    ("Subscribe", {**SUB, "Endpoint": "ftp://hooks.example/x"}, P, "https:// URL"),
    ("Subscribe", {**SUB, "Protocol": "http"}, P, "http:// URL"),
    ("Subscribe", {**SUB, "Protocol": "email", "Endpoint": "not an address"}, P, "email address"),
    ("Subscribe", {"TopicArn": "{topic}", "Protocol": "email"}, P, "needs an Endpoint"),
    ("Subscribe", {**SUB, "ReturnSubscriptionArn": "yes"}, P, "ReturnSubscriptionArn"),
    (
        "Subscribe",
        {**SUB, "Attributes.entry.1.key": "FilterPolicy", "Attributes.entry.1.value": "{}"},
        P,
        "RawMessageDelivery, DeliveryPolicy",
    ),
    (
        "Subscribe",
        {
            **SUB,
            "Attributes.entry.1.key": "RawMessageDelivery",
            "Attributes.entry.1.value": "maybe",
        },
        P,
        "true or false",
    ),
    (
        "Subscribe",
        {
            **SUB,
            "Protocol": "email",
            "Endpoint": "a@b.example",
            "Attributes.entry.1.key": "ChatFormat",
            "Attributes.entry.1.value": "text",
        },
        P,
        "only http and https",
    ),
    ("Subscribe", {**SUB, "TopicArn": UNKNOWN_TOPIC}, N, "no-such-topic"),
    ("Subscribe", {"TopicArn": "{topic}"}, V, "protocol"),
    # ConfirmSubscription, Unsubscribe
    ("ConfirmSubscription", {**T, "Token": "0" * 96}, P, "Invalid token"),
    (
        "ConfirmSubscription",
        {**T, "Token": "{token}", "AuthenticateOnUnsubscribe": "sure"},
        P,
        "AuthenticateOnUnsubscribe",
    ),
    ("ConfirmSubscription", T, V, "token"),
    ("Unsubscribe", {"SubscriptionArn": "{topic}"}, P, "not a subscription ARN"),
    ("Unsubscribe", {"SubscriptionArn": UNKNOWN_SUB}, N, "01234567-89ab"),
    # Get/SetSubscriptionAttributes
    ("GetSubscriptionAttributes", {"SubscriptionArn": UNKNOWN_SUB}, N, "01234567-89ab"),
    (
        "GetSubscriptionAttributes",
        {"SubscriptionArn": "PendingConfirmation"},
        P,
        "not a subscription ARN",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "{sub}", "AttributeName": "RedrivePolicy", "AttributeValue": "{}"},
        P,
        "RedrivePolicy",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "{sub}", "AttributeName": "ChatFormat", "AttributeValue": "html"},
        P,
        "ChatFormat",
    ),
    (
        "SetSubscriptionAttributes",
        {
            "SubscriptionArn": UNKNOWN_SUB,
            "AttributeName": "RawMessageDelivery",
            "AttributeValue": "true",
        },
        N,
        "01234567",
    ),
    # Publish
    ("Publish", {"Message": "hello"}, P, "TopicArn"),
    ("Publish", {"TargetArn": "{topic}", "Message": "hello"}, P, "TargetArn"),
    ("Publish", {**PUB, "PhoneNumber": "+15555550100"}, P, "PhoneNumber"),
    ("Publish", {**PUB, "MessageStructure": "json"}, P, "MessageStructure"),
    ("Publish", {**PUB, "MessageGroupId": "g"}, P, "FIFO"),
    ("Publish", {"TopicArn": "{topic}"}, V, "message"),
    ("Publish", {**PUB, "Message": ""}, P, "must not be empty"),
    ("Publish", {**PUB, "Message": "x" * (256 * 1024 + 1)}, P, "262144"),
    ("Publish", {**PUB, "Subject": "s" * 101}, P, "Subject"),
    ("Publish", {**PUB, "Subject": "two\nlines"}, P, "line breaks"),
    (
        "Publish",
        {
            **PUB,
            "MessageAttributes.entry.1.Name": "n",
            "MessageAttributes.entry.1.Value.DataType": "Float",
            "MessageAttributes.entry.1.Value.StringValue": "1",
        },
        P,
        "String, Number or Binary",
    ),
    (
        "Publish",
        {
            **PUB,
            "MessageAttributes.entry.1.Name": "n",
            "MessageAttributes.entry.1.Value.DataType": "Number",
            "MessageAttributes.entry.1.Value.StringValue": "many",
        },
        P,
        "not a number",
    ),
    (
        "Publish",
        {
            **PUB,
            "MessageAttributes.entry.1.Name": "AWS.x",
            "MessageAttributes.entry.1.Value.DataType": "String",
            "MessageAttributes.entry.1.Value.StringValue": "1",
        },
        P,
        "AWS.",
    ),
    (
        "Publish",
        {
            **PUB,
            "MessageAttributes.entry.1.Name": "n",
            "MessageAttributes.entry.1.Value.DataType": "String",
        },
        P,
        "StringValue",
    ),
    ("Publish", {**PUB, "TopicArn": UNKNOWN_TOPIC}, N, "no-such-topic"),
    # tags
    (
        "TagResource",
        {"ResourceArn": UNKNOWN_TOPIC, "Tags.member.1.Key": "k", "Tags.member.1.Value": "v"},
        R,
        "no-such-topic",
    ),
    (
        "TagResource",
        {"ResourceArn": "{topic}", "Tags.member.1.Key": "aws:k", "Tags.member.1.Value": "v"},
        P,
        "aws:",
    ),
    (
        "TagResource",
        {
            "ResourceArn": "{topic}",
            **{
                f"Tags.member.{n}.{part}": f"k{n}"
                for n in range(1, 52)
                for part in ("Key", "Value")
            },
        },
        "TagLimitExceeded",
        "maximum is 50",
    ),
    ("TagResource", {"ResourceArn": "{topic}"}, V, "tags"),
    ("UntagResource", {"ResourceArn": "{topic}"}, V, "tagKeys"),
    ("UntagResource", {"ResourceArn": UNKNOWN_TOPIC, "TagKeys.member.1": "k"}, R, "no-such"),
    ("ListTagsForResource", {"ResourceArn": "topic"}, P, "not a topic ARN"),
]


def _fill(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return text


def _post(endpoint: str, form: dict[str, str], *, sign: bool = True) -> httpx.Response:
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "sns", REGION).add_auth(request)
    return httpx.post(endpoint + "/", content=body, headers=dict(request.headers), timeout=30)


def _error(response: httpx.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    assert root.tag == f"{NS}ErrorResponse", response.text
    code, message = root.find(f"{NS}Error/{NS}Code"), root.find(f"{NS}Error/{NS}Message")
    assert code is not None
    assert message is not None
    return code.text or "", message.text or ""


@pytest.fixture(scope="module")
def ids(server: ServerProcess, backend_db: Database) -> dict[str, str]:
    sns = boto3_client(server.endpoint, "sns")
    topic = sns.create_topic(Name="bad-input", Attributes={"DisplayName": "Keep"})["TopicArn"]
    sub = sns.subscribe(**{**SUB, "TopicArn": topic}, ReturnSubscriptionArn=True)
    store = backend_db.open_store()
    try:
        with store.read() as tx:
            found = tx.get_subscription(sub["SubscriptionArn"].rsplit(":", 1)[1])
    finally:
        store.close()
    assert found is not None
    assert found.token is not None
    return {"topic": topic, "sub": sub["SubscriptionArn"], "token": found.token}


@pytest.mark.parametrize(("action", "params", "code", "words"), CASES)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    server: ServerProcess,
    ids: dict[str, str],
    dump: Any,
    action: str,
    params: dict[str, str],
    code: str,
    words: str,
) -> None:
    before = dump()
    response = _post(
        server.endpoint,
        {
            "Action": action,
            "Version": "2010-03-31",
            **{k: _fill(v, ids) for k, v in params.items()},
        },
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "text/xml"
    found_code, message = _error(response)
    assert found_code == code, message
    assert _fill(words, ids) in message, message
    assert dump() == before


@pytest.mark.parametrize(
    ("request_kind", "code", "status"),
    [
        ("unsigned post", "MissingAuthenticationToken", 403),
        ("unsigned get", "MissingAuthenticationToken", 403),
        ("unsigned unsubscribe without token", "MissingAuthenticationToken", 403),
        ("wrong secret", "SignatureDoesNotMatch", 403),
        ("not utf-8", M, 400),
        ("repeated parameter", M, 400),
    ],
)
def test_requests_the_protocol_refuses(
    server: ServerProcess,
    ids: dict[str, str],
    dump: Any,
    request_kind: str,
    code: str,
    status: int,
) -> None:
    before = dump()
    url = server.endpoint + "/"
    form = "Action=DeleteTopic&Version=2010-03-31&TopicArn=" + ids["topic"]
    content_type = {"Content-Type": "application/x-www-form-urlencoded"}
    if request_kind == "unsigned post":
        response = httpx.post(url, content=form.encode(), headers=content_type)
    elif request_kind == "unsigned get":
        response = httpx.get(url + "?" + form)
    elif request_kind == "unsigned unsubscribe without token":
        response = httpx.get(url, params={"Action": "Unsubscribe", "SubscriptionArn": ids["sub"]})
    elif request_kind == "wrong secret":
        body = form.encode()
        request = AWSRequest(method="POST", url=url, data=body, headers=content_type)
        SigV4Auth(Credentials(ACCESS_KEY_ID, "x" * 40), "sns", REGION).add_auth(request)
        response = httpx.post(url, content=body, headers=dict(request.headers))
    else:
        body = (form + ("&Name=\xff" if request_kind == "not utf-8" else "&TopicArn=x")).encode(
            "latin-1"
        )
        request = AWSRequest(method="POST", url=url, data=body, headers=content_type)
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "sns", REGION).add_auth(request)
        response = httpx.post(url, content=body, headers=dict(request.headers))
    assert response.status_code == status, response.text
    assert _error(response)[0] == code
    assert dump() == before


def test_every_sns_action_has_bad_input_cases() -> None:
    from transom.protocol.query.operations import OPERATIONS

    assert set(OPERATIONS) <= {case[0] for case in CASES}
