"""Topics and subscriptions (the SNS API's use cases), and `publish`, which any service calls
inside its own transaction to notify a topic's confirmed subscribers.

ARNs: a topic is `arn:aws:sns:REGION:ACCOUNT:NAME` with the server's `Realm`; a subscription
is its topic's ARN, `:` and its id (a UUID). A subscription to any protocol starts pending:
Subscribe enqueues a `SUBSCRIPTION_CONFIRMATION` message to it alone, and it receives
notifications once ConfirmSubscription presented its token.

Tokens: 64 random hex digits followed by the subscription id's 32 hex digits, so that a token
names its subscription. A token confirms its subscription (any number of times) and, as
Transom's documented extension of SNS's UnsubscribeURL, lets an unsigned request unsubscribe
it, unless it was confirmed by a signed request with AuthenticateOnUnsubscribe true.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from transom.domain.clock import Clock
from transom.domain.errors import (
    AuthorizationError,
    InvalidParameterError,
    NotFoundError,
    SubscriptionLimitExceededError,
    TopicLimitExceededError,
    TopicResourceNotFoundError,
)
from transom.domain.events import Realm
from transom.domain.topics import Message, MessageKind, Subscription, Topic
from transom.services import topic_rules as rules
from transom.store.port import Store, Transaction

_CONFIRMED_BY_SIGNATURE = "ConfirmationWasAuthenticated"
_AUTHENTICATE_ON_UNSUBSCRIBE = "AuthenticateOnUnsubscribe"
_HIDDEN = frozenset({_AUTHENTICATE_ON_UNSUBSCRIBE})
"""Kept with a subscription's attributes, never shown by GetSubscriptionAttributes."""


def publish(
    tx: Transaction,
    topic_name: str,
    subject: str | None,
    body: str,
    attributes: Mapping[str, str],
    message_id: str | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Enqueue a notification to every confirmed subscription of the topic, in `tx`; return
    its message id (`message_id` if given, for a publication that may be repeated: a repeat
    writes nothing). `attributes` as `Message.attributes`; `now` should be the caller's
    clock (default: the system's). `NotFoundError` when the topic does not exist."""
    message = Message(
        message_id=message_id or str(uuid.uuid4()),
        topic_name=topic_name,
        kind=MessageKind.NOTIFICATION,
        subject=subject,
        body=body,
        attributes=dict(attributes),
        created_date=now or datetime.now(UTC),
    )
    if publish_all(tx, [message]):
        raise NotFoundError(f"Topic does not exist: there is no topic named {topic_name!r}.")
    return message.message_id


def publish_all(tx: Transaction, messages: Sequence[Message]) -> set[str]:
    """`publish` for many messages in a few statements: each topic and its confirmed
    subscriptions are read once. Messages to a topic that does not exist are skipped; the
    names of those topics are returned."""
    subscribers: dict[str, list[str] | None] = {}
    for name in {m.topic_name for m in messages}:
        exists = tx.get_topic(name) is not None
        subscribers[name] = tx.confirmed_subscription_ids(name) if exists else None
    tx.enqueue_many([(m, ids) for m in messages if (ids := subscribers[m.topic_name]) is not None])
    return {name for name, ids in subscribers.items() if ids is None}


def topic_exists(tx: Transaction, arn: str, realm: Realm) -> bool:
    """Whether `arn` is the ARN of an existing topic of this server; `InvalidParameterError`
    when it is not a topic ARN at all."""
    try:
        name = rules.topic_name_of(arn, realm)
    except NotFoundError:
        return False
    return tx.get_topic(name) is not None


class TopicService:
    def __init__(
        self, store: Store, clock: Clock, realm: Realm, wake: Callable[[], None] = lambda: None
    ) -> None:
        """`wake` is told, after the commit, that deliveries were enqueued (the worker)."""
        self._store = store
        self._clock = clock
        self.realm = realm
        self._wake = wake

    # ARNs, for the adapters

    def topic_arn(self, topic_name: str) -> str:
        return rules.topic_arn(self.realm, topic_name)

    def subscription_arn(self, subscription: Subscription) -> str:
        return rules.subscription_arn(
            self.realm, subscription.topic_name, subscription.subscription_id
        )

    def exists(self, arn: str) -> bool:
        with self._store.read() as tx:
            return topic_exists(tx, arn, self.realm)

    # topics

    def create_topic(
        self, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
    ) -> Topic:
        """The new topic; the existing one when it has the same attributes and tags."""
        rules.check_topic_name(name)
        for key, value in attributes.items():
            rules.check_topic_attribute(key, value)
        rules.check_tags(tags, {}, self.topic_arn(name))
        with self._store.write() as tx:
            tx.lock("topics")
            existing = tx.get_topic(name)
            if existing is not None:
                if dict(attributes) != {
                    k: v for k, v in existing.attributes.items() if k in attributes
                }:
                    raise InvalidParameterError(
                        "Invalid parameter: Attributes Reason: Topic already exists with "
                        "different attributes."
                    )
                if tags and dict(tags) != dict(existing.tags):
                    raise InvalidParameterError(
                        "Invalid parameter: Tags Reason: Topic already exists with different tags."
                    )
                return existing
            if tx.count_topics() >= rules.MAX_TOPICS:
                raise TopicLimitExceededError(
                    f"Topic limit exceeded: a server holds at most {rules.MAX_TOPICS} topics; "
                    "delete one first."
                )
            topic = Topic(name, dict(attributes), dict(tags), self._clock.now())
            tx.insert_topic(topic)
            return topic

    def delete_topic(self, arn: str) -> None:
        """Delete the topic and its subscriptions; nothing to do for a topic that does not
        exist (SNS's DeleteTopic is idempotent)."""
        name = rules.topic_name_of(arn, self.realm)
        with self._store.write() as tx:
            tx.delete_topic(name)

    def list_topics(self, after: str | None) -> tuple[list[Topic], str | None]:
        """A page of topics in name order after `after`, and the name to continue after."""
        with self._store.read() as tx:
            topics = tx.list_topics(after, rules.PAGE_SIZE + 1)
        if len(topics) > rules.PAGE_SIZE:
            return topics[: rules.PAGE_SIZE], topics[rules.PAGE_SIZE - 1].name
        return topics, None

    def topic_attributes(self, arn: str) -> dict[str, str]:
        name = rules.topic_name_of(arn, self.realm)
        with self._store.read() as tx:
            topic = self._topic(tx, name)
            confirmed, pending = tx.subscription_counts(name)
        return {
            "TopicArn": self.topic_arn(name),
            "Owner": self.realm.account_id,
            "DisplayName": "",
            "SignatureVersion": "1",
            **topic.attributes,
            "SubscriptionsConfirmed": str(confirmed),
            "SubscriptionsPending": str(pending),
            "SubscriptionsDeleted": "0",
            "EffectiveDeliveryPolicy": _effective_policy(topic.attributes),
        }

    def set_topic_attribute(self, arn: str, name: str, value: str) -> None:
        """Set the attribute; an empty value removes DeliveryPolicy or Policy."""
        rules.check_topic_attribute(name, value)
        topic_name = rules.topic_name_of(arn, self.realm)
        with self._store.write() as tx:
            topic = self._topic(tx, topic_name)
            attributes = dict(topic.attributes)
            if value or name == "DisplayName":
                attributes[name] = value
            else:
                attributes.pop(name, None)
            tx.update_topic(replace(topic, attributes=attributes))

    # subscriptions

    def subscribe(
        self, arn: str, protocol: str, endpoint: str | None, attributes: Mapping[str, str]
    ) -> Subscription:
        """A new pending subscription, with its confirmation enqueued; the existing one for
        the same protocol and endpoint when its attributes agree (a pending one gets a new
        confirmation)."""
        subscription = self._subscribe(arn, protocol, endpoint, attributes)
        self._wake()
        return subscription

    def _subscribe(
        self, arn: str, protocol: str, endpoint: str | None, attributes: Mapping[str, str]
    ) -> Subscription:
        endpoint = rules.check_endpoint(protocol, endpoint)
        for key, value in attributes.items():
            rules.check_subscription_attribute(key, value, protocol)
        name = rules.topic_name_of(arn, self.realm)
        now = self._clock.now()
        with self._store.write() as tx:
            tx.lock(f"topic:{name}")
            self._topic(tx, name)
            existing = tx.find_subscription(name, protocol, endpoint)
            if existing is not None:
                shown = {k: existing.attributes.get(k, "") for k in attributes}
                if shown != dict(attributes):
                    raise InvalidParameterError(
                        "Invalid parameter: Attributes Reason: Subscription already exists "
                        "with different attributes."
                    )
                if not existing.confirmed:
                    self._confirmation(tx, existing, now)
                return existing
            if sum(tx.subscription_counts(name)) >= rules.MAX_SUBSCRIPTIONS_PER_TOPIC:
                raise SubscriptionLimitExceededError(
                    f"Subscription limit exceeded: a topic has at most "
                    f"{rules.MAX_SUBSCRIPTIONS_PER_TOPIC} subscriptions."
                )
            sid = str(uuid.uuid4())
            subscription = Subscription(
                subscription_id=sid,
                topic_name=name,
                protocol=protocol,
                endpoint=endpoint,
                attributes={k: v for k, v in attributes.items() if v},
                token=secrets.token_hex(32) + uuid.UUID(sid).hex,
                confirmed=False,
                created_date=now,
            )
            tx.insert_subscription(subscription)
            self._confirmation(tx, subscription, now)
            return subscription

    def _confirmation(self, tx: Transaction, subscription: Subscription, now: datetime) -> None:
        assert subscription.token is not None
        message = Message(
            message_id=str(uuid.uuid4()),
            topic_name=subscription.topic_name,
            kind=MessageKind.SUBSCRIPTION_CONFIRMATION,
            subject=None,
            body=subscription.token,
            attributes={},
            created_date=now,
        )
        tx.enqueue(message, [subscription.subscription_id])

    def confirm(
        self, arn: str, token: str, *, signed: bool, authenticate_on_unsubscribe: bool = False
    ) -> Subscription:
        """Confirm the subscription `token` names (again, if it is confirmed already)."""
        name = rules.topic_name_of(arn, self.realm)
        sid = _subscription_id_in(token)
        with self._store.write() as tx:
            subscription = tx.get_subscription(sid) if sid else None
            if (
                subscription is None
                or subscription.topic_name != name
                or not _same_token(subscription, token)
            ):
                raise InvalidParameterError(
                    "Invalid token: it is not the token of a subscription to "
                    f"{self.topic_arn(name)}; use the Token of its SubscriptionConfirmation."
                )
            if subscription.confirmed:
                return subscription
            attributes = {
                **subscription.attributes,
                _CONFIRMED_BY_SIGNATURE: "true" if signed else "false",
            }
            if signed and authenticate_on_unsubscribe:
                attributes[_AUTHENTICATE_ON_UNSUBSCRIBE] = "true"
            confirmed = replace(subscription, attributes=attributes, confirmed=True)
            tx.update_subscription(confirmed)
            return confirmed

    def unsubscribe(self, arn: str, token: str | None = None) -> None:
        """Delete the subscription. `token` given: an unsigned request, allowed only with the
        subscription's token and unless it asked for authenticated unsubscribes."""
        _name, sid = rules.subscription_id_of(arn, self.realm)
        with self._store.write() as tx:
            subscription = self._subscription(tx, sid, arn)
            if token is not None:
                if not _same_token(subscription, token):
                    raise AuthorizationError(
                        "An unsigned Unsubscribe needs the subscription's Token, as in the "
                        "UnsubscribeURL of its messages; or sign the request."
                    )
                if subscription.attributes.get(_AUTHENTICATE_ON_UNSUBSCRIBE) == "true":
                    raise AuthorizationError(
                        "This subscription was confirmed with AuthenticateOnUnsubscribe: "
                        "unsubscribe with a signed request."
                    )
            tx.delete_subscription(sid)

    def list_subscriptions(
        self, topic_arn: str | None, after: str | None
    ) -> tuple[list[Subscription], str | None]:
        """A page of subscriptions (of the topic, if given) and the id to continue after."""
        name = None if topic_arn is None else rules.topic_name_of(topic_arn, self.realm)
        with self._store.read() as tx:
            if name is not None:
                self._topic(tx, name)
            found = tx.list_subscriptions(name, after, rules.PAGE_SIZE + 1)
        if len(found) > rules.PAGE_SIZE:
            return found[: rules.PAGE_SIZE], found[rules.PAGE_SIZE - 1].subscription_id
        return found, None

    def subscription_attributes(self, arn: str) -> dict[str, str]:
        _name, sid = rules.subscription_id_of(arn, self.realm)
        with self._store.read() as tx:
            subscription = self._subscription(tx, sid, arn)
        attributes = {
            "SubscriptionArn": self.subscription_arn(subscription),
            "TopicArn": self.topic_arn(subscription.topic_name),
            "Owner": self.realm.account_id,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "PendingConfirmation": "false" if subscription.confirmed else "true",
            _CONFIRMED_BY_SIGNATURE: "false",
            "RawMessageDelivery": "false",
            **{k: v for k, v in subscription.attributes.items() if k not in _HIDDEN},
        }
        if subscription.protocol.startswith("http"):
            attributes["EffectiveDeliveryPolicy"] = _effective_policy(subscription.attributes)
        return attributes

    def set_subscription_attribute(self, arn: str, name: str, value: str) -> None:
        """Set the attribute; an empty value removes DeliveryPolicy or ChatFormat."""
        _topic, sid = rules.subscription_id_of(arn, self.realm)
        with self._store.write() as tx:
            subscription = self._subscription(tx, sid, arn)
            rules.check_subscription_attribute(name, value, subscription.protocol)
            attributes = dict(subscription.attributes)
            if value:
                attributes[name] = value
            else:
                attributes.pop(name, None)
            tx.update_subscription(replace(subscription, attributes=attributes))

    # messages

    def publish(
        self,
        arn: str,
        message: str,
        subject: str | None,
        attributes: Mapping[str, tuple[str, str | None]],
    ) -> str:
        """Publish to the topic's confirmed subscriptions; the message id. `attributes` maps
        a name to (data type, string value or base64 of a binary value)."""
        name = rules.topic_name_of(arn, self.realm)
        if subject is not None:
            rules.check_subject(subject)
        if not message:
            raise InvalidParameterError("Invalid parameter: Message: must not be empty.")
        if len(attributes) > rules.MAX_MESSAGE_ATTRIBUTES:
            raise InvalidParameterError(
                f"Invalid parameter: MessageAttributes: at most {rules.MAX_MESSAGE_ATTRIBUTES} "
                f"attributes; got {len(attributes)}."
            )
        size = len(message.encode())
        kept: dict[str, str] = {}
        for key, (data_type, value) in attributes.items():
            rules.check_message_attribute(key, data_type, value)
            assert value is not None
            size += len(key.encode()) + len(data_type.encode()) + len(value.encode())
            kept[key] = json.dumps({"Type": data_type, "Value": value})
        if size > rules.MAX_MESSAGE_BYTES:
            raise InvalidParameterError(
                f"Invalid parameter: Message too long: the message and its attributes are "
                f"{size} bytes; the maximum is {rules.MAX_MESSAGE_BYTES}."
            )
        with self._store.write() as tx:
            self._topic(tx, name)
            message_id = publish(tx, name, subject, message, kept, now=self._clock.now())
        self._wake()
        return message_id

    # tags

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        with self._store.write() as tx:
            topic = self._tagged(tx, arn)
            rules.check_tags(tags, topic.tags, arn)
            tx.update_topic(replace(topic, tags={**topic.tags, **tags}))

    def untag(self, arn: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            topic = self._tagged(tx, arn)
            tx.update_topic(
                replace(topic, tags={k: v for k, v in topic.tags.items() if k not in keys})
            )

    def tags(self, arn: str) -> Mapping[str, str]:
        with self._store.read() as tx:
            return self._tagged(tx, arn).tags

    def _tagged(self, tx: Transaction, arn: str) -> Topic:
        try:
            name = rules.topic_name_of(arn, self.realm, "ResourceArn")
        except NotFoundError as exc:
            raise TopicResourceNotFoundError(exc.message) from None
        topic = tx.get_topic(name)
        if topic is None:
            raise TopicResourceNotFoundError(f"Resource does not exist: no topic {arn}.")
        return topic

    def _topic(self, tx: Transaction, name: str) -> Topic:
        topic = tx.get_topic(name)
        if topic is None:
            raise NotFoundError(f"Topic does not exist: no topic {self.topic_arn(name)}.")
        return topic

    def _subscription(self, tx: Transaction, sid: str, arn: str) -> Subscription:
        subscription = tx.get_subscription(sid)
        if subscription is None or self.subscription_arn(subscription) != arn:
            raise NotFoundError(f"Subscription does not exist: no subscription {arn}.")
        return subscription


def _same_token(subscription: Subscription, token: str) -> bool:
    stored = subscription.token
    return stored is not None and token.isascii() and hmac.compare_digest(stored, token)


def _subscription_id_in(token: str) -> str | None:
    if len(token) != 96 or not token.isascii():
        return None
    try:
        return str(uuid.UUID(hex=token[64:]))
    except ValueError:
        return None


def _effective_policy(attributes: Mapping[str, str]) -> str:
    own = attributes.get("DeliveryPolicy")
    if own:
        return own
    return json.dumps(rules.DEFAULT_DELIVERY_POLICY, separators=(",", ":"))
