"""Issue 11 end to end: a team subscribes an HTTPS endpoint, a chat webhook and a mailbox to a
topic with the real `aws` CLI, confirms each as its subscriber can (the endpoint visits the
SubscribeURL, a person pastes the token from the link the chat channel shows, the mail's link
is followed), routes failed window executions there with an EventBridge rule, and hears of a
window failing on a real agent; nothing of one that succeeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.notifications import (
    FAILED_WINDOWS,
    Stack,
    notification_stack,
    run_window,
)
from tests.support.servers import BACKEND_PARAMS, Database
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


@pytest.fixture
def stack(fresh_db: Database, tmp_path: Path) -> Iterator[Stack]:
    with notification_stack(fresh_db, tmp_path) as made:
        yield made


def test_a_failed_window_reaches_the_webhook_and_the_mailbox_and_a_successful_one_does_not(
    stack: Stack,
) -> None:
    events = stack.aws("events")
    rule_arn = events(
        "put-rule", "--name", "window-failed", "--event-pattern", json.dumps(FAILED_WINDOWS)
    )["RuleArn"]
    assert rule_arn.endswith(":rule/window-failed")
    added = events(
        "put-targets", "--rule", "window-failed", "--targets", f"Id=ops,Arn={stack.topic_arn}"
    )
    assert added["FailedEntryCount"] == 0

    run_window(stack, "fine", "echo fine", ok=0)
    failed_window, failed_execution = run_window(stack, "broken", "echo broken", "exit 3", ok=1)

    wait_for(stack.notifications, what="the failed window's notification")
    stack.settled()
    [notification] = stack.notifications()
    assert notification["TopicArn"] == stack.topic_arn
    event = json.loads(notification["Message"])
    assert (event["source"], event["detail-type"]) == (
        "aws.ssm",
        "Maintenance Window Execution State-change Notification",
    )
    assert event["resources"] == [
        f"arn:aws:ssm:us-east-1:{event['account']}:maintenancewindow/{failed_window}"
    ]
    assert event["detail"]["window-execution-id"] == failed_execution
    assert event["detail"]["status"] == "FAILED"
    [mail] = stack.mails()
    assert json.loads(mail) == event
    assert stack.chat_lines() == [
        f"Maintenance Window Execution: {failed_window} {failed_execution} FAILED at "
        + event["detail"]["end-time"]
    ]
