"""Window, target and task changes through boto3 land in the outbox with their events, and
changes that leave a state as it was emit none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.events import REALM, expected, last_seq, outbox, window_arn
from tests.support.servers import Database
from transom.store.sql import SqlStore

STATE = "Maintenance Window State-change Notification"
TARGET = "Maintenance Window Target Registration Notification"
TASK = "Maintenance Window Task Registration Notification"


@pytest.fixture
def store(backend_db: Database) -> Iterator[SqlStore]:
    """The server's database, to read its outbox."""
    opened = backend_db.open_store()
    try:
        yield opened
    finally:
        opened.close()


def _window_events(store: SqlStore, after: int, window_id: str) -> list[dict[str, Any]]:
    """The events about the window after `after`, each `time` checked to be recent and
    removed."""
    found = [e for e in outbox(store, after) if window_arn(window_id) in e["resources"]]
    now = datetime.now(UTC)
    for event in found:
        at = datetime.strptime(event.pop("time"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((now - at).total_seconds()) < 60
    return found


def _no_time(envelope: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in envelope.items() if k != "time"}


def _state(window_id: str, status: str) -> dict[str, Any]:
    detail = {"window-id": window_id, "status": status}
    return _no_time(expected(STATE, [window_arn(window_id)], detail, ""))


def _registration(window_id: str, kind: str, member_id: str, status: str) -> dict[str, Any]:
    detail_type, resource, member = {
        "target": (TARGET, "windowtarget", "window-target-id"),
        "task": (TASK, "windowtask", "window-task-id"),
    }[kind]
    arn = REALM.arn("ssm", f"{resource}/{member_id}")
    detail = {member: member_id, "window-id": window_id, "status": status}
    return _no_time(expected(detail_type, [window_arn(window_id), arn], detail, ""))


def test_window_target_and_task_changes_emit_their_events(ssm: Any, store: SqlStore) -> None:
    before = last_seq(store)
    window_id = ssm.create_maintenance_window(
        Name=f"ev-{uuid.uuid4().hex[:8]}",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
    ssm.update_maintenance_window(WindowId=window_id, Enabled=False)  # no change
    ssm.update_maintenance_window(WindowId=window_id, Description="no state change")
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Role", "Values": ["web"]}],
    )["WindowTargetId"]
    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )["WindowTaskId"]
    ssm.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=task_id)
    ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=target_id)

    assert _window_events(store, before, window_id) == [
        _state(window_id, "ENABLED"),
        _state(window_id, "DISABLED"),
        _registration(window_id, "target", target_id, "REGISTERED"),
        _registration(window_id, "task", task_id, "REGISTERED"),
        _registration(window_id, "task", task_id, "DEREGISTERED"),
        _registration(window_id, "target", target_id, "DEREGISTERED"),
    ]


def test_deleting_a_window_deregisters_its_targets_and_tasks_and_disables_it(
    ssm: Any, store: SqlStore
) -> None:
    window_id = ssm.create_maintenance_window(
        Name=f"ev-{uuid.uuid4().hex[:8]}",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=True,
    )["WindowId"]
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Role", "Values": ["web"]}],
    )["WindowTargetId"]
    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )["WindowTaskId"]
    before = last_seq(store)

    ssm.delete_maintenance_window(WindowId=window_id)
    ssm.delete_maintenance_window(WindowId=window_id)  # gone already: nothing more

    assert _window_events(store, before, window_id) == [
        _registration(window_id, "target", target_id, "DEREGISTERED"),
        _registration(window_id, "task", task_id, "DEREGISTERED"),
        _state(window_id, "DISABLED"),
    ]


def test_a_replayed_client_token_emits_nothing(ssm: Any, store: SqlStore) -> None:
    request = {
        "Name": f"ev-{uuid.uuid4().hex[:8]}",
        "Schedule": "rate(1 day)",
        "Duration": 2,
        "Cutoff": 1,
        "AllowUnassociatedTargets": False,
        "ClientToken": uuid.uuid4().hex,
    }
    before = last_seq(store)
    window_id = ssm.create_maintenance_window(**request)["WindowId"]
    assert ssm.create_maintenance_window(**request)["WindowId"] == window_id

    assert _window_events(store, before, window_id) == [_state(window_id, "ENABLED")]
