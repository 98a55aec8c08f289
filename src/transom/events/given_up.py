"""The `transom` event of a delivery given up, and how to recognise a message carrying one."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from transom.domain.events import TRANSOM, Event, Realm
from transom.domain.topics import Delivery, Message
from transom.events.endpoints import shown_endpoint

GIVEN_UP = "Notification Delivery Given Up"


def given_up_event(delivery: Delivery, realm: Realm, error: str, now: datetime) -> Event:
    """The event of `delivery` given up at `now` after its last attempt failed with `error`
    (`delivery.attempts` counts the attempts before that one)."""
    subscription = delivery.subscription
    topic_arn = realm.arn("sns", delivery.message.topic_name)
    subscription_arn = f"{realm.arn('sns', subscription.topic_name)}:{subscription.subscription_id}"
    return Event(
        event_id=str(uuid.uuid4()),
        time=now,
        source=TRANSOM,
        detail_type=GIVEN_UP,
        resources=(topic_arn, subscription_arn),
        detail={
            "message-id": delivery.message.message_id,
            "topic-arn": topic_arn,
            "subscription-arn": subscription_arn,
            "protocol": subscription.protocol,
            "endpoint": shown_endpoint(subscription.endpoint),
            "attempts": delivery.attempts + 1,
            "last-error": error,
        },
    )


def reports_given_up(message: Message) -> bool:
    """Whether the message is the envelope of a given-up event (as a rule delivers it)."""
    try:
        body = json.loads(message.body)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("source") == TRANSOM
        and body.get("detail-type") == GIVEN_UP
    )
