"""Run Command notifications: which statuses a NotificationConfig asks for, and the bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from transom.domain.commands import Command, CommandDetails, CommandStatus
from transom.events.command_notifications import (
    COMMAND,
    INVOCATION,
    command_message,
    invocation_message,
    notification_topic,
)

TOPIC = "arn:aws:sns:us-east-1:000000000000:ops"
SENT = datetime(2019, 4, 25, 17, 57, 9, 170000, tzinfo=UTC)


def _command(config: dict[str, Any] | None, **request: Any) -> Command:
    if config is not None:
        request["NotificationConfig"] = config
    return Command(
        command_id="a8c7e76f-15f1-4c33-9052-0123456789ab",
        document_name="AWS-RunShellScript",
        parameters={"commands": ["date"]},
        instance_ids=["mi-00000000000000001", "mi-00000000000000002"],
        targets=[],
        requested_date=SENT,
        expires_after=SENT + timedelta(hours=1, minutes=10),
        timeout_seconds=3600,
        max_concurrency="50",
        max_errors="0",
        status=CommandStatus.IN_PROGRESS,
        status_details=CommandDetails.IN_PROGRESS,
        request=request,
    )


@pytest.mark.parametrize(
    ("config", "kind", "status", "told"),
    [
        ({"NotificationArn": TOPIC, "NotificationEvents": ["All"]}, COMMAND, "Success", True),
        ({"NotificationArn": TOPIC, "NotificationEvents": ["All"]}, COMMAND, "Pending", False),
        ({"NotificationArn": TOPIC, "NotificationEvents": ["All"]}, INVOCATION, "Failed", False),
        (
            {
                "NotificationArn": TOPIC,
                "NotificationEvents": ["Failed"],
                "NotificationType": "Invocation",
            },
            INVOCATION,
            "Failed",
            True,
        ),
        (
            {
                "NotificationArn": TOPIC,
                "NotificationEvents": ["Failed"],
                "NotificationType": "Invocation",
            },
            INVOCATION,
            "Success",
            False,
        ),
        (
            {"NotificationArn": TOPIC, "NotificationEvents": ["TimedOut", "Cancelled"]},
            COMMAND,
            "Cancelled",
            True,
        ),
        ({"NotificationArn": TOPIC}, COMMAND, "InProgress", True),
        ({"NotificationArn": "", "NotificationEvents": ["All"]}, COMMAND, "Success", False),
        (None, COMMAND, "Success", False),
    ],
)
def test_a_notification_config_picks_the_kind_and_statuses_it_names(
    config: dict[str, Any] | None, kind: str, status: str, told: bool
) -> None:
    assert notification_topic(_command(config), kind, status) == (TOPIC if told else None)


def test_the_bodies_are_those_aws_sends() -> None:
    command = _command(None, OutputS3BucketName="bucket", OutputS3KeyPrefix="runcommand")
    at = datetime(2019, 4, 25, 17, 57, 9, 236000, tzinfo=UTC)
    assert json.loads(command_message(command, "InProgress", at)) == {
        "commandId": "a8c7e76f-15f1-4c33-9052-0123456789ab",
        "documentName": "AWS-RunShellScript",
        "instanceIds": ["mi-00000000000000001", "mi-00000000000000002"],
        "requestedDateTime": "2019-04-25T17:57:09.170Z",
        "expiresAfter": "2019-04-25T19:07:09.170Z",
        "outputS3BucketName": "bucket",
        "outputS3KeyPrefix": "runcommand",
        "status": "InProgress",
        "eventTime": "2019-04-25T17:57:09.236Z",
    }
    assert json.loads(invocation_message(command, "mi-00000000000000001", "Failed", at)) == {
        "commandId": "a8c7e76f-15f1-4c33-9052-0123456789ab",
        "documentName": "AWS-RunShellScript",
        "instanceId": "mi-00000000000000001",
        "requestedDateTime": "2019-04-25T17:57:09.170Z",
        "status": "Failed",
        "eventTime": "2019-04-25T17:57:09.236Z",
    }
