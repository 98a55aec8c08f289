"""Which resources each SNS operation touches, as the ARNs its caller's policy is asked about
(`services.authorization`; see `protocol.awsjson.access`). Subscriptions' operations touch no
particular resource, as on AWS; the unsigned links a subscriber follows are not asked about
(their token is their authorization)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from transom.protocol.query.registry import Params
from transom.services.authorization import ANYTHING, Arns

Touches = Callable[[Arns, Params], list[str]]


def _anything(_arns: Arns, _params: Params) -> list[str]:
    return [ANYTHING]


def _arn(member: str) -> Touches:
    return lambda _arns, params: [params[member]]


def _published_to(_arns: Arns, params: Params) -> list[str]:
    return [params.get("TopicArn") or params.get("TargetArn") or ANYTHING]


SNS: Mapping[str, Touches] = {
    "CreateTopic": lambda arns, params: [arns.topic(params["Name"])],
    "DeleteTopic": _arn("TopicArn"),
    "ListTopics": _anything,
    "GetTopicAttributes": _arn("TopicArn"),
    "SetTopicAttributes": _arn("TopicArn"),
    "Publish": _published_to,
    "TagResource": _arn("ResourceArn"),
    "UntagResource": _arn("ResourceArn"),
    "ListTagsForResource": _arn("ResourceArn"),
    "Subscribe": _arn("TopicArn"),
    "ConfirmSubscription": _arn("TopicArn"),
    "Unsubscribe": _anything,
    "ListSubscriptions": _anything,
    "ListSubscriptionsByTopic": _arn("TopicArn"),
    "GetSubscriptionAttributes": _anything,
    "SetSubscriptionAttributes": _anything,
}
