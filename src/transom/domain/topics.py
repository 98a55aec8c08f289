"""Topics (SNS's word), their subscriptions, the messages published to them, and the delivery
of one message to one subscription."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MessageKind(StrEnum):
    """What a message is, as the `Type` an HTTP subscriber receives."""

    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


class DeliveryStatus(StrEnum):
    PENDING = "Pending"
    """Not yet delivered: due at `next_attempt`."""
    DELIVERED = "Delivered"
    GIVEN_UP = "GivenUp"
    """Every attempt the delivery policy allows failed; `last_error` says why."""


@dataclass(frozen=True)
class Topic:
    name: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str]
    created_date: datetime


@dataclass(frozen=True)
class Subscription:
    """`protocol` is SNS's (`http`, `https`, `email`, `email-json`); `token` is what
    ConfirmSubscription must present while `confirmed` is False."""

    subscription_id: str
    topic_name: str
    protocol: str
    endpoint: str
    attributes: Mapping[str, str]
    token: str | None
    confirmed: bool
    created_date: datetime


@dataclass(frozen=True)
class Message:
    """One publication to a topic; `message_id` is what every subscriber sees, the same on
    every attempt.

    `body`: a NOTIFICATION's message text; a SUBSCRIPTION_CONFIRMATION's is the token of the
    one subscription it goes to (the sender builds SNS's text and SubscribeURL
    `<server>/?Action=ConfirmSubscription&TopicArn=<arn>&Token=<token>` from it; the
    UnsubscribeURL is `<server>/?Action=Unsubscribe&SubscriptionArn=<arn>&Token=<token>`
    with the subscription's token). `attributes`: message attribute name -> JSON text
    `{"Type": data type, "Value": string value or base64 of a binary one}`, the shape SNS's
    HTTP notifications carry them in."""

    message_id: str
    topic_name: str
    kind: MessageKind
    subject: str | None
    body: str
    attributes: Mapping[str, str]
    created_date: datetime


@dataclass(frozen=True)
class Delivery:
    """One message on its way to one subscription."""

    seq: int
    message: Message
    subscription: Subscription
    status: DeliveryStatus
    attempts: int
    next_attempt: datetime
    last_error: str | None
    created_date: datetime
    finished_date: datetime | None
