"""Subscribe, ConfirmSubscription, Unsubscribe, the subscription lists and attributes."""

from __future__ import annotations

from transom.domain.errors import InvalidParameterError
from transom.domain.topics import Subscription
from transom.protocol.query.operations.paging import decode_token, encode_token
from transom.protocol.query.registry import Call, Params, operation
from transom.services.container import Services

PENDING = "PendingConfirmation"
"""The SubscriptionArn SNS lists for a subscription not confirmed yet."""
SUBSCRIBED_PENDING = "pending confirmation"
"""What SNS's Subscribe answers instead of the ARN of a subscription not confirmed yet."""


def _arn(services: Services, subscription: Subscription) -> str:
    return services.topics.subscription_arn(subscription) if subscription.confirmed else PENDING


@operation("Subscribe")
def subscribe(services: Services, call: Call) -> Params:
    p = call.params
    subscription = services.topics.subscribe(
        p["TopicArn"], p["Protocol"], p.get("Endpoint"), p.get("Attributes", {})
    )
    if p.get("ReturnSubscriptionArn"):
        return {"SubscriptionArn": services.topics.subscription_arn(subscription)}
    if not subscription.confirmed:
        return {"SubscriptionArn": SUBSCRIBED_PENDING}
    return {"SubscriptionArn": services.topics.subscription_arn(subscription)}


@operation("ConfirmSubscription")
def confirm(services: Services, call: Call) -> Params:
    p = call.params
    flag = p.get("AuthenticateOnUnsubscribe", "false").lower()
    if flag not in ("true", "false"):
        raise InvalidParameterError(
            f"Invalid parameter: AuthenticateOnUnsubscribe: use true or false; got {flag!r}."
        )
    subscription = services.topics.confirm(
        p["TopicArn"],
        p["Token"],
        signed=call.signed,
        authenticate_on_unsubscribe=flag == "true",
    )
    return {"SubscriptionArn": services.topics.subscription_arn(subscription)}


@operation("Unsubscribe")
def unsubscribe(services: Services, call: Call) -> Params:
    token = None if call.signed else call.form.get("Token", "")
    services.topics.unsubscribe(call.params["SubscriptionArn"], token)
    return {}


def _listed(services: Services, subscription: Subscription) -> Params:
    return {
        "SubscriptionArn": _arn(services, subscription),
        "Owner": services.topics.realm.account_id,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": services.topics.topic_arn(subscription.topic_name),
    }


@operation("ListSubscriptions")
def list_subscriptions(services: Services, call: Call) -> Params:
    found, after = services.topics.list_subscriptions(
        None, decode_token("ListSubscriptions", call.params)
    )
    return {
        "Subscriptions": [_listed(services, s) for s in found],
        "NextToken": encode_token("ListSubscriptions", after),
    }


@operation("ListSubscriptionsByTopic")
def list_by_topic(services: Services, call: Call) -> Params:
    found, after = services.topics.list_subscriptions(
        call.params["TopicArn"], decode_token("ListSubscriptionsByTopic", call.params)
    )
    return {
        "Subscriptions": [_listed(services, s) for s in found],
        "NextToken": encode_token("ListSubscriptionsByTopic", after),
    }


@operation("GetSubscriptionAttributes")
def get_attributes(services: Services, call: Call) -> Params:
    return {"Attributes": services.topics.subscription_attributes(call.params["SubscriptionArn"])}


@operation("SetSubscriptionAttributes")
def set_attributes(services: Services, call: Call) -> Params:
    p = call.params
    services.topics.set_subscription_attribute(
        p["SubscriptionArn"], p["AttributeName"], p.get("AttributeValue", "")
    )
    return {}
