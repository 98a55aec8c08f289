"""Rules for topics and subscriptions as SNS states them: names, ARNs, attributes, endpoints,
messages and their limits. Every refusal is an `InvalidParameterError` saying what to fix."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

from transom.domain.errors import InvalidParameterError, NotFoundError, TagLimitExceededError
from transom.domain.events import Realm

MAX_TOPICS = 100_000
MAX_SUBSCRIPTIONS_PER_TOPIC = 12_500_000
MAX_TAGS = 50
MAX_MESSAGE_BYTES = 256 * 1024
"""The message and its attributes together, as SNS counts them."""
MAX_MESSAGE_ATTRIBUTES = 10
PAGE_SIZE = 100

TOPIC_ATTRIBUTES = ("DisplayName", "DeliveryPolicy", "Policy", "SignatureVersion")
"""What CreateTopic and SetTopicAttributes accept. Policy is kept and shown, not enforced:
every access key of a Transom server may do everything."""

CHAT_FORMAT = "ChatFormat"
"""Transom's subscription attribute for chat incoming webhooks (Slack, Teams): `text` makes an
http/https delivery a JSON body `{"text": "<short human-readable summary>"}` instead of SNS's
format; empty (or absent) keeps SNS's format. It takes precedence over RawMessageDelivery."""
CHAT_FORMATS = ("text",)
SUBSCRIPTION_ATTRIBUTES = ("RawMessageDelivery", "DeliveryPolicy", CHAT_FORMAT)
"""What Subscribe and SetSubscriptionAttributes accept."""
PROTOCOLS = ("http", "https", "email", "email-json")

DEFAULT_DELIVERY_POLICY: Mapping[str, object] = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 1,
            "maxDelayTarget": 300,
            "numRetries": 30,
            "numNoDelayRetries": 0,
            "numMinDelayRetries": 0,
            "numMaxDelayRetries": 0,
            "backoffFunction": "exponential",
        },
        "disableSubscriptionOverrides": False,
    }
}
"""The EffectiveDeliveryPolicy of a topic or subscription that sets none."""

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOPIC_ARN = re.compile(r"arn:aws:sns:([a-z0-9-]+):(\d{12}):([^:]*)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[\x21-\x7e]{1,255})?")


def check_topic_name(name: str) -> None:
    if not _TOPIC_NAME.fullmatch(name):
        raise InvalidParameterError(
            "Invalid parameter: Topic Name: a topic name is 1 to 256 letters, digits, "
            f"hyphens (-) and underscores (_); got {name!r}."
        )


def topic_arn(realm: Realm, name: str) -> str:
    return realm.arn("sns", name)


def subscription_arn(realm: Realm, topic_name: str, subscription_id: str) -> str:
    return f"{topic_arn(realm, topic_name)}:{subscription_id}"


def topic_name_of(arn: str, realm: Realm, member: str = "TopicArn") -> str:
    """The name of the topic `arn` names on this server. `InvalidParameterError` for what is not
    a topic ARN, `NotFoundError` for another region's or account's topic."""
    match = _TOPIC_ARN.fullmatch(arn)
    if match is None or not _TOPIC_NAME.fullmatch(match.group(3)):
        raise InvalidParameterError(
            f"Invalid parameter: {member}: {arn!r} is not a topic ARN; expected "
            f"{topic_arn(realm, 'NAME')}."
        )
    region, account, name = match.groups()
    if (region, account) != (realm.region, realm.account_id):
        raise NotFoundError(
            f"Topic does not exist: {arn} is not in this server's region and account; its "
            f"topics are {topic_arn(realm, 'NAME')}."
        )
    return name


def subscription_id_of(arn: str, realm: Realm) -> tuple[str, str]:
    """(topic name, subscription id) of a subscription ARN of this server, refused as
    `topic_name_of` refuses its topic part."""
    topic, _, sid = arn.rpartition(":")
    if not topic or not _is_uuid(sid):
        raise InvalidParameterError(
            f"Invalid parameter: SubscriptionArn: {arn!r} is not a subscription ARN; expected "
            f"{topic_arn(realm, 'NAME')}:<subscription id>."
        )
    return topic_name_of(topic, realm, "SubscriptionArn"), sid


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def check_topic_attribute(name: str, value: str) -> None:
    if name not in TOPIC_ATTRIBUTES:
        raise InvalidParameterError(
            f"Invalid parameter: AttributeName: Transom does not support the topic attribute "
            f"{name!r}; use one of: {', '.join(TOPIC_ATTRIBUTES)}."
        )
    if name == "DisplayName" and len(value) > 100:
        raise InvalidParameterError(
            f"Invalid parameter: DisplayName: at most 100 characters; got {len(value)}."
        )
    if name in ("DeliveryPolicy", "Policy") and value:
        _json_object(name, value)
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise InvalidParameterError(
            f"Invalid parameter: SignatureVersion: use 1 (SHA1) or 2 (SHA256); got {value!r}."
        )


def check_subscription_attribute(name: str, value: str, protocol: str) -> None:
    if name not in SUBSCRIPTION_ATTRIBUTES:
        raise InvalidParameterError(
            f"Invalid parameter: Attributes: Transom does not support the subscription "
            f"attribute {name!r}; use one of: {', '.join(SUBSCRIPTION_ATTRIBUTES)}."
        )
    if name == "RawMessageDelivery" and value not in ("true", "false"):
        raise InvalidParameterError(
            f"Invalid parameter: RawMessageDelivery: use true or false; got {value!r}."
        )
    if name in ("DeliveryPolicy", CHAT_FORMAT) and not protocol.startswith("http"):
        raise InvalidParameterError(
            f"Invalid parameter: {name}: only http and https subscriptions take it, not {protocol}."
        )
    if name == "DeliveryPolicy" and value:
        _json_object(name, value)
    if name == CHAT_FORMAT and value not in ("", *CHAT_FORMATS):
        raise InvalidParameterError(
            f"Invalid parameter: {CHAT_FORMAT}: use {' or '.join(CHAT_FORMATS)} (a chat "
            f"webhook's JSON body), or an empty value for SNS's format; got {value!r}."
        )


def _json_object(name: str, value: str) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidParameterError(f"Invalid parameter: {name}: must be a JSON object.")


def check_endpoint(protocol: str, endpoint: str | None) -> str:
    """The endpoint, checked for `protocol`."""
    if protocol not in PROTOCOLS:
        raise InvalidParameterError(
            f"Invalid parameter: Protocol: Transom does not support {protocol!r}; use one of: "
            f"{', '.join(PROTOCOLS)}."
        )
    if not endpoint:
        raise InvalidParameterError(
            f"Invalid parameter: Endpoint: a {protocol} subscription needs an Endpoint."
        )
    if protocol.startswith("http"):
        parts = urlsplit(endpoint)
        if parts.scheme != protocol or not parts.hostname or any(c.isspace() for c in endpoint):
            raise InvalidParameterError(
                f"Invalid parameter: Endpoint: a {protocol} endpoint is a {protocol}:// URL "
                f"with a host; got {endpoint!r}."
            )
    elif not _EMAIL.fullmatch(endpoint):
        raise InvalidParameterError(
            f"Invalid parameter: Endpoint: a {protocol} endpoint is an email address; "
            f"got {endpoint!r}."
        )
    return endpoint


def check_subject(subject: str) -> None:
    if not subject or len(subject) > 100 or not all(" " <= c <= "~" for c in subject):
        raise InvalidParameterError(
            "Invalid parameter: Subject: 1 to 100 printable ASCII characters, without line "
            "breaks or control characters."
        )


def check_message_attribute(name: str, data_type: str, value: str | None) -> None:
    if (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or ".." in name
        or name.startswith(".")
        or name.endswith(".")
        or name.lower().startswith(("aws.", "amazon."))
    ):
        raise InvalidParameterError(
            f"Invalid parameter: MessageAttributes: the name {name!r} must be 1 to 256 letters, "
            "digits, '_', '-' and '.', without leading, trailing or repeated periods, not "
            "starting with AWS. or Amazon."
        )
    if not _DATA_TYPE.fullmatch(data_type):
        raise InvalidParameterError(
            f"Invalid parameter: MessageAttributes: the attribute {name!r} has data type "
            f"{data_type!r}; use String, Number or Binary (optionally with a .suffix)."
        )
    if value is None:
        member = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
        raise InvalidParameterError(
            f"Invalid parameter: MessageAttributes: the {data_type} attribute {name!r} needs "
            f"its {member}."
        )
    if data_type.startswith("Number"):
        try:
            float(value)
        except ValueError:
            raise InvalidParameterError(
                f"Invalid parameter: MessageAttributes: the Number attribute {name!r} has "
                f"value {value!r}, which is not a number."
            ) from None


def check_tags(tags: Mapping[str, str], existing: Mapping[str, str], arn: str) -> None:
    reserved = [key for key in tags if key.lower().startswith("aws:")]
    if reserved:
        raise InvalidParameterError(
            f"Invalid parameter: Tags: the key {reserved[0]!r} uses the reserved prefix "
            "'aws:'; choose another key."
        )
    keys = set(existing) | set(tags)
    if len(keys) > MAX_TAGS:
        raise TagLimitExceededError(
            f"{arn} would have {len(keys)} tags; the maximum is {MAX_TAGS}. Remove tags first."
        )
