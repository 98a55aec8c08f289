"""Issue 11 end to end: a team subscribes an HTTPS endpoint, a chat webhook and a mailbox to a
topic with the real `aws` CLI, confirms each as its subscriber can (the endpoint visits the
SubscribeURL, a person pastes the token from the link the chat channel shows, the mail's link
is followed), and hears of each node a command with a NotificationConfig fails on;
nothing of a node it succeeds on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.notifications import (
    FAILS_WHERE_MARKED,
    Stack,
    notification_stack,
)
from tests.support.servers import BACKEND_PARAMS, Database
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


@pytest.fixture
def stack(fresh_db: Database, tmp_path: Path) -> Iterator[Stack]:
    with notification_stack(fresh_db, tmp_path) as made:
        yield made


def test_send_command_notifies_once_per_failed_node_and_never_for_a_success(
    stack: Stack,
) -> None:
    failing, succeeding = stack.agents
    (failing.state_dir / "fail").touch()
    ssm = stack.aws("ssm")
    config = {
        "NotificationArn": stack.topic_arn,
        "NotificationEvents": ["Failed"],
        "NotificationType": "Invocation",
    }
    command = ssm(
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        failing.instance_id,
        succeeding.instance_id,
        "--parameters",
        json.dumps({"commands": [FAILS_WHERE_MARKED]}),
        "--service-role-arn",
        "arn:aws:iam::123456789012:role/run-command-notifications",
        "--notification-config",  # the shorthand the README shows
        f"NotificationArn={stack.topic_arn},NotificationEvents=Failed,NotificationType=Invocation",
    )["Command"]
    assert command["NotificationConfig"] == config

    def ended() -> list[dict[str, Any]] | None:
        invocations = ssm("list-command-invocations", "--command-id", command["CommandId"])
        found: list[dict[str, Any]] = invocations["CommandInvocations"]
        done = len(found) == 2 and all(i["Status"] in ("Success", "Failed") for i in found)
        return found if done else None

    invocations = {i["InstanceId"]: i["Status"] for i in wait_for(ended, what="both nodes")}
    assert invocations == {failing.instance_id: "Failed", succeeding.instance_id: "Success"}
    stack.settled()

    [notification] = stack.notifications()
    message = json.loads(notification["Message"])
    assert set(message) == {
        "commandId",
        "documentName",
        "instanceId",
        "requestedDateTime",
        "status",
        "eventTime",
    }
    assert (message["commandId"], message["documentName"], message["instanceId"]) == (
        command["CommandId"],
        "AWS-RunShellScript",
        failing.instance_id,
    )
    assert message["status"] == "Failed"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["eventTime"])
    [mail] = stack.mails()
    assert json.loads(mail) == message
    assert stack.chat_lines() == [
        f"Run Command: {command['CommandId']} AWS-RunShellScript {failing.instance_id} Failed "
        f"at {message['eventTime']}"
    ]
