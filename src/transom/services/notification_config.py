"""The NotificationConfig of SendCommand and of a RUN_COMMAND window task: its topic must be
one of this server's, and exist, when the command or task is accepted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transom.domain.errors import ClientError, InvalidParameterError, NotFoundError
from transom.domain.events import Realm
from transom.services.topic_rules import topic_arn, topic_name_of
from transom.store.port import Transaction


def check_notification_config(
    tx: Transaction, config: Mapping[str, Any] | None, realm: Realm, error: type[ClientError]
) -> None:
    """Raise `error` when `config` names a NotificationArn that is not a topic ARN of this
    server, or a topic that does not exist; a config without an ARN asks for nothing."""
    arn = (config or {}).get("NotificationArn")
    if not arn:
        return
    try:
        name = topic_name_of(arn, realm, "NotificationArn")
    except (InvalidParameterError, NotFoundError):
        raise error(
            f"NotificationArn {arn!r} is not a topic of this server: give the ARN of a topic, "
            f"{topic_arn(realm, 'NAME')}."
        ) from None
    if tx.get_topic(name) is None:
        raise error(
            f"NotificationArn {arn} names the topic {name!r}, which does not exist: create it "
            f"first (aws sns create-topic --name {name})."
        )
