"""Run Command's own notifications: what a command's NotificationConfig (from SendCommand, or
from a window task's RunCommand parameters) asks to hear, in the message body AWS sends."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from transom.domain.commands import Command
from transom.events.systems_manager import instant

COMMAND = "Command"
INVOCATION = "Invocation"
_EVENTS = frozenset({"InProgress", "Success", "TimedOut", "Cancelled", "Failed"})


def notification_topic(command: Command, kind: str, status: str) -> str | None:
    """The topic ARN to tell that the command (`kind` COMMAND) or one of its invocations
    (INVOCATION) moved to `status`; None when its NotificationConfig does not ask for it.
    NotificationEvents `All` means every status AWS notifies of (not Pending or Delayed)."""
    config: Mapping[str, Any] = (command.request or {}).get("NotificationConfig") or {}
    arn = config.get("NotificationArn")
    if not arn or config.get("NotificationType", COMMAND) != kind or status not in _EVENTS:
        return None
    wanted = set(config.get("NotificationEvents") or ("All",))
    return str(arn) if "All" in wanted or status in wanted else None


def command_message(command: Command, status: str, at: datetime) -> str:
    """The body of a command summary notification."""
    request = command.request or {}
    return json.dumps(
        {
            "commandId": command.command_id,
            "documentName": command.document_name,
            "instanceIds": list(command.instance_ids) if not command.targets else [],
            "requestedDateTime": instant(command.requested_date),
            "expiresAfter": instant(command.expires_after),
            "outputS3BucketName": request.get("OutputS3BucketName", ""),
            "outputS3KeyPrefix": request.get("OutputS3KeyPrefix", ""),
            "status": status,
            "eventTime": instant(at),
        }
    )


def invocation_message(command: Command, instance_id: str, status: str, at: datetime) -> str:
    """The body of an invocation notification."""
    return json.dumps(
        {
            "commandId": command.command_id,
            "documentName": command.document_name,
            "instanceId": instance_id,
            "requestedDateTime": instant(command.requested_date),
            "status": status,
            "eventTime": instant(at),
        }
    )
