"""The event relay: each outbox event once to the topics of the rules it matches, and Run
Command status changes to the topic their NotificationConfig names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeClock
from tests.support.servers import BACKEND_PARAMS, Database
from transom.bootstrap import Settings, build_services
from transom.domain.commands import Command, CommandDetails, CommandStatus
from transom.domain.events import AWS_SSM, Event
from transom.domain.rules import RuleState, RuleTarget
from transom.services.container import Services
from transom.services.event_relay import EventRelay, message_id
from transom.store.sql import SqlStore

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)

NOW = datetime(2026, 3, 2, tzinfo=UTC)
WINDOW = "Maintenance Window Execution State-change Notification"


@pytest.fixture
def store(fresh_db: Database) -> Iterator[SqlStore]:
    opened = fresh_db.open_store()
    yield opened
    opened.close()


@pytest.fixture
def services(store: SqlStore, fresh_db: Database) -> Services:
    return build_services(store, FakeClock(NOW), Settings(data_dir=fresh_db.data_dir))


def _topic_with_subscriber(services: Services, name: str) -> tuple[str, str]:
    """A topic with one confirmed subscription: (topic ARN, subscription id)."""
    arn = services.topics.topic_arn(services.topics.create_topic(name, {}, {}).name)
    pending = services.topics.subscribe(arn, "https", f"https://example.com/{name}", {})
    assert pending.token is not None
    services.topics.confirm(arn, pending.token, signed=True)
    return arn, pending.subscription_id


def _event(status: str, detail_type: str = WINDOW, **detail: object) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        time=NOW,
        source=AWS_SSM,
        detail_type=detail_type,
        resources=(),
        detail={"status": status, **detail},
    )


def _messages(store: SqlStore, relay_key: str) -> list[tuple[str, str]]:
    with store.read() as tx:
        return tx.deliveries_of(message_id(relay_key))


def test_an_event_goes_once_to_the_topics_of_the_rules_it_matches(
    store: SqlStore, services: Services
) -> None:
    arn, subscription = _topic_with_subscriber(services, "ops")
    pattern = '{"source": ["aws.ssm"], "detail": {"status": ["FAILED"]}}'
    services.rules.put("failures", pattern, RuleState.ENABLED, None, {})
    services.rules.put("off", pattern, RuleState.DISABLED, None, {})
    services.rules.put_targets("failures", [RuleTarget("ops", arn)])
    services.rules.put_targets("off", [RuleTarget("ops", arn)])
    failed, succeeded = _event("FAILED"), _event("SUCCESS")
    with store.write() as tx:
        tx.append_events([failed, succeeded])
    woken: list[bool] = []
    relay = EventRelay(store, services.topics.realm, services.rules, lambda: woken.append(True))
    assert relay.pending()
    assert relay.relay() == 2
    assert not relay.pending()
    assert relay.relay() == 0
    assert woken == [True]
    assert _messages(store, f"{failed.event_id}/failures/ops") == [(subscription, "Pending")]
    assert _messages(store, f"{succeeded.event_id}/failures/ops") == []
    assert _messages(store, f"{failed.event_id}/off/ops") == []


def test_a_rule_whose_topic_is_gone_skips_it_and_still_relays(
    store: SqlStore, services: Services
) -> None:
    services.rules.put("all", '{"source": ["aws.ssm"]}', RuleState.ENABLED, None, {})
    gone = services.topics.realm.arn("sns", "gone")
    services.rules.put_targets("all", [RuleTarget("gone", gone)])
    event = _event("FAILED")
    with store.write() as tx:
        tx.append_events([event])
    relay = EventRelay(store, services.topics.realm, services.rules)
    assert relay.relay() == 1
    assert not relay.pending()


def test_run_command_status_changes_reach_the_topic_of_their_notification_config(
    store: SqlStore, services: Services
) -> None:
    arn, subscription = _topic_with_subscriber(services, "runs")
    command = Command(
        command_id=str(uuid.uuid4()),
        document_name="AWS-RunShellScript",
        parameters={"commands": ["false"]},
        instance_ids=["mi-00000000000000001", "mi-00000000000000002"],
        targets=[],
        requested_date=NOW,
        expires_after=NOW + timedelta(hours=1),
        timeout_seconds=3600,
        max_concurrency="50",
        max_errors="0",
        status=CommandStatus.IN_PROGRESS,
        status_details=CommandDetails.IN_PROGRESS,
        request={
            "NotificationConfig": {
                "NotificationArn": arn,
                "NotificationEvents": ["Failed"],
                "NotificationType": "Invocation",
            }
        },
    )
    invocation = "EC2 Command Invocation Status-change Notification"
    failed = _event(
        "Failed",
        invocation,
        **{"command-id": command.command_id, "instance-id": "mi-00000000000000001"},
    )
    success = _event(
        "Success",
        invocation,
        **{"command-id": command.command_id, "instance-id": "mi-00000000000000002"},
    )
    summary = _event(
        "Failed", "EC2 Command Status-change Notification", **{"command-id": command.command_id}
    )
    with store.write() as tx:
        tx.insert_command(command, [])
        tx.append_events([failed, success, summary])
    assert EventRelay(store, services.topics.realm, services.rules).relay() == 3
    assert _messages(store, f"{failed.event_id}/notification") == [(subscription, "Pending")]
    assert _messages(store, f"{success.event_id}/notification") == []
    assert _messages(store, f"{summary.event_id}/notification") == []


def test_without_rules_events_of_commands_without_notifications_are_relayed_unread(
    store: SqlStore, services: Services
) -> None:
    """With no rule, the relay reads whole only the events whose command asks for a
    notification; every event of the batch is still marked relayed, once."""
    arn, subscription = _topic_with_subscriber(services, "some")
    invocation = "EC2 Command Invocation Status-change Notification"
    notified, quiet = (
        Command(
            command_id=str(uuid.uuid4()),
            document_name="AWS-RunShellScript",
            parameters={"commands": ["true"]},
            instance_ids=["mi-00000000000000001"],
            targets=[],
            requested_date=NOW,
            expires_after=NOW + timedelta(hours=1),
            timeout_seconds=3600,
            max_concurrency="50",
            max_errors="0",
            status=CommandStatus.IN_PROGRESS,
            status_details=CommandDetails.IN_PROGRESS,
            request=request,
        )
        for request in (
            {
                "NotificationConfig": {
                    "NotificationArn": arn,
                    "NotificationEvents": ["All"],
                    "NotificationType": "Invocation",
                }
            },
            {},
        )
    )
    events = [
        _event(
            "Success",
            invocation,
            **{"command-id": c.command_id, "instance-id": "mi-00000000000000001"},
        )
        for c in (quiet, notified, quiet)
    ]
    events.insert(1, _event("Success"))  # a window's: no command
    events.append(_event("Success", invocation, **{"command-id": "no-such-command"}))
    with store.write() as tx:
        tx.insert_command(notified, [])
        tx.insert_command(quiet, [])
        tx.append_events(events)
    relay = EventRelay(store, services.topics.realm, services.rules)
    assert relay.relay() == 5
    assert not relay.pending()
    assert relay.relay() == 0
    sent = [e for e in events if _messages(store, f"{e.event_id}/notification")]
    assert sent == [events[2]]
    assert _messages(store, f"{events[2].event_id}/notification") == [(subscription, "Pending")]
