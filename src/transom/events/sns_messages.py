"""What SNS sends a subscriber: the signed JSON document of an HTTP/S delivery (also the
body of an email-json one), its `x-amz-sns-*` headers, the URLs it carries, and the short text
for chat incoming webhooks.

Signatures follow SNS's SignatureVersion 2: the string to sign is `Name\\nvalue\\n` for each
signed member present, in the order SNS documents (Notification: Message, MessageId,
Subject, Timestamp, TopicArn, Type; confirmations: Message, MessageId, SubscribeURL,
Timestamp, Token, TopicArn, Type). A confirmation message's body is its token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from transom.domain.events import Realm
from transom.domain.topics import Delivery, Message, MessageKind, Subscription
from transom.events.signing import SigningKey

CERTIFICATE_PATH = "/sns/signing-cert.pem"
"""Where the server serves the signing certificate (the messages' SigningCertURL)."""
RAW_MESSAGE_DELIVERY = "RawMessageDelivery"
CHAT_FORMAT = "ChatFormat"
"""The subscription attribute whose value `text` makes an HTTP/S delivery `{"text": ...}`."""
CHAT_TEXT_CHARS = 500

_NOTIFICATION_SIGNED = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_SIGNED = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def timestamp(instant: datetime) -> str:
    """SNS's Timestamp: UTC to the millisecond, `Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def string_to_sign(document: dict[str, Any]) -> str:
    """The text SNS signs for a message document (Notification or confirmation)."""
    names = _NOTIFICATION_SIGNED if document["Type"] == "Notification" else _CONFIRMATION_SIGNED
    return "".join(f"{name}\n{document[name]}\n" for name in names if name in document)


@dataclass(frozen=True)
class SnsMessages:
    realm: Realm
    public_url: str
    """The server's base URL as subscribers reach it, without a trailing slash."""
    key: SigningKey

    def topic_arn(self, topic_name: str) -> str:
        return self.realm.arn("sns", topic_name)

    def subscription_arn(self, subscription: Subscription) -> str:
        return f"{self.topic_arn(subscription.topic_name)}:{subscription.subscription_id}"

    def subscribe_url(self, message: Message) -> str:
        query = {
            "Action": "ConfirmSubscription",
            "TopicArn": self.topic_arn(message.topic_name),
            "Token": message.body,
        }
        return f"{self.public_url}/?{urlencode(query)}"

    def unsubscribe_url(self, subscription: Subscription) -> str:
        query = {"Action": "Unsubscribe", "SubscriptionArn": self.subscription_arn(subscription)}
        if subscription.token:
            query["Token"] = subscription.token
        return f"{self.public_url}/?{urlencode(query)}"

    def document(self, delivery: Delivery) -> dict[str, Any]:
        """The signed JSON document, members in SNS's order."""
        message, subscription = delivery.message, delivery.subscription
        doc: dict[str, Any] = {"Type": message.kind.value, "MessageId": message.message_id}
        if message.kind is MessageKind.NOTIFICATION:
            doc["TopicArn"] = self.topic_arn(message.topic_name)
            if message.subject is not None:
                doc["Subject"] = message.subject
            doc["Message"] = message.body
            doc["Timestamp"] = timestamp(message.created_date)
        else:
            doc["Token"] = message.body
            doc["TopicArn"] = self.topic_arn(message.topic_name)
            doc["Message"] = _confirmation_text(message, self.subscription_arn(subscription))
            doc["SubscribeURL"] = self.subscribe_url(message)
            doc["Timestamp"] = timestamp(message.created_date)
        doc["SignatureVersion"] = "2"
        doc["Signature"] = self.key.sign(string_to_sign(doc))
        doc["SigningCertURL"] = self.public_url + CERTIFICATE_PATH
        if message.kind is MessageKind.NOTIFICATION:
            doc["UnsubscribeURL"] = self.unsubscribe_url(subscription)
            if message.attributes:
                doc["MessageAttributes"] = {
                    name: _attribute(value) for name, value in message.attributes.items()
                }
        return doc

    def headers(self, delivery: Delivery) -> dict[str, str]:
        """The `x-amz-sns-*` headers of an HTTP/S delivery."""
        message = delivery.message
        headers = {
            "x-amz-sns-message-type": message.kind.value,
            "x-amz-sns-message-id": message.message_id,
            "x-amz-sns-topic-arn": self.topic_arn(message.topic_name),
        }
        if message.kind is MessageKind.NOTIFICATION:
            headers["x-amz-sns-subscription-arn"] = self.subscription_arn(delivery.subscription)
        return headers


def _confirmation_text(message: Message, subscription_arn: str) -> str:
    if message.kind is MessageKind.UNSUBSCRIBE_CONFIRMATION:
        return (
            f"You have chosen to deactivate subscription {subscription_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL "
            "included in this message."
        )
    return (
        f"You have chosen to subscribe to the topic {subscription_arn.rsplit(':', 1)[0]}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )


def _attribute(value: str) -> Any:
    """A message attribute as kept (JSON `{"Type", "Value"}`), or a bare string value."""
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and {"Type", "Value"} <= decoded.keys():
        return decoded
    return {"Type": "String", "Value": value}


def chat_text(message: Message) -> str:
    """One short line for a chat channel: for an EventBridge event, what happened to which
    resource, its status and when (`Maintenance Window Execution: mw-1 ... FAILED at ...`); for
    a Run Command notification likewise (`Run Command: <command id> AWS-RunShellScript mi-1
    Failed at ...`); otherwise the subject and the message's first line. At most
    `CHAT_TEXT_CHARS`."""
    text = _event_line(message.body)
    if text is None:
        first = message.body.strip().splitlines()[0] if message.body.strip() else ""
        text = f"{message.subject}: {first}" if message.subject else first
    if len(text) > CHAT_TEXT_CHARS:
        text = text[: CHAT_TEXT_CHARS - 1] + "…"
    return text


_NOTIFICATION_SUFFIXES = (
    " State-change Notification",
    " Status-change Notification",
    " Notification",
)


def _event_line(body: str) -> str | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if "commandId" in event and "status" in event:
        return _command_line(event)
    if not isinstance(event.get("detail"), dict):
        return None
    kind = event.get("detail-type")
    if not isinstance(kind, str):
        return None
    for suffix in _NOTIFICATION_SUFFIXES:
        kind = kind.removesuffix(suffix)
    detail: dict[str, Any] = event["detail"]
    ids = [str(v) for k, v in detail.items() if k.endswith("-id") and v]
    status = detail.get("status") or detail.get("state")
    when = detail.get("end-time") or event.get("time")
    parts = [f"{kind}:", *ids]
    if status:
        parts.append(str(status))
    if when:
        parts.append(f"at {when}")
    return " ".join(parts)


def _command_line(notification: dict[str, Any]) -> str:
    """The line for the body of a Run Command notification (`command_notifications`)."""
    names = ("commandId", "documentName", "instanceId", "status")
    parts = ["Run Command:", *(str(notification[n]) for n in names if notification.get(n))]
    if notification.get("eventTime"):
        parts.append(f"at {notification['eventTime']}")
    return " ".join(parts)
