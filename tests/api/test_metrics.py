"""`GET /metrics` of a real server, scraped over HTTP and parsed with prometheus_client's
parser, on each database: the counts kept in the database, and what the process observed
(request latency and errors per operation, agent polls, window start delays, the pool).
Tests share a server, so each compares a scrape after its actions with one before them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.agents import AgentProcess
from tests.support.metrics import Scrape
from tests.support.nodes import activation, poll
from tests.support.schedules import at_in
from tests.support.servers import boto3_client, free_port
from tests.support.waiting import wait_for
from tests.support.watched import Watched


@pytest.fixture
def client(watched: Watched) -> Any:
    return boto3_client(watched.endpoint)


def requests(found: Scrape, api: str, operation: str) -> float:
    """How many requests of the operation were timed."""
    count = found.value("transom_request_duration_seconds_count", api=api, operation=operation)
    return count or 0


def errors(found: Scrape, api: str, operation: str, code: str) -> float:
    labels = {"api": api, "operation": operation, "code": code}
    return found.value("transom_request_errors_total", **labels) or 0


def test_windows_are_counted_with_the_next_run_of_each_enabled_one(
    watched: Watched, client: Any
) -> None:
    before = watched.metrics()
    enabled = client.create_maintenance_window(
        Name="daily", Schedule="rate(1 day)", Duration=2, Cutoff=1, AllowUnassociatedTargets=True
    )["WindowId"]
    disabled = client.create_maintenance_window(
        Name="off", Schedule="rate(1 day)", Duration=2, Cutoff=1, AllowUnassociatedTargets=True
    )["WindowId"]
    client.update_maintenance_window(WindowId=disabled, Enabled=False)
    next_run = datetime.fromisoformat(
        client.get_maintenance_window(WindowId=enabled)["NextExecutionTime"]
    )

    def next_run_reported() -> Scrape | None:
        found = watched.metrics()
        name = "transom_window_next_run_timestamp_seconds"
        return found if found.value(name, window_id=enabled) is not None else None

    after = wait_for(next_run_reported, what="the enabled window's next run")
    reported = after.value("transom_window_next_run_timestamp_seconds", window_id=enabled)
    assert reported == pytest.approx(next_run.timestamp(), abs=0.001)  # the API shows ms
    assert after.value("transom_window_next_run_timestamp_seconds", window_id=disabled) is None
    for state in ("true", "false"):
        grown = (after.value("transom_windows", enabled=state) or 0) - (
            before.value("transom_windows", enabled=state) or 0
        )
        assert grown == 1, state
    assert requests(after, "ssm", "CreateMaintenanceWindow") == (
        requests(before, "ssm", "CreateMaintenanceWindow") + 2
    )
    assert after.value("transom_database_up") == 1


def test_a_command_on_a_real_agent_shows_in_nodes_polls_and_invocations(
    watched: Watched, client: Any, tmp_path: Path
) -> None:
    before = watched.metrics()
    activation_id, code = activation(client)
    agent = AgentProcess.register(watched.endpoint, activation_id, code, tmp_path / "agent")
    agent.start()
    try:
        wait_for(
            lambda: (watched.metrics().value("transom_agent_polls_in_flight") or 0) >= 1,
            what="the agent's long poll",
        )
        command_id = client.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[agent.instance_id],
            Parameters={"commands": ["echo metrics"]},
        )["Command"]["CommandId"]
        wait_for(
            lambda: (
                client.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Success"
            ),
            what="the command",
        )
        after = watched.metrics()
    finally:
        agent.kill()

    def grown(name: str, **labels: str) -> float:
        return (after.value(name, **labels) or 0) - (before.value(name, **labels) or 0)

    assert grown("transom_nodes", ping_status="Online") == 1
    assert grown("transom_nodes", ping_status="ConnectionLost") == 0
    assert grown("transom_invocations", status="Success") == 1
    assert after.value("transom_invocations", status="Pending") == 0
    assert requests(after, "ssm", "SendCommand") == requests(before, "ssm", "SendCommand") + 1
    assert requests(after, "agent", "register") == requests(before, "agent", "register") + 1
    assert requests(after, "agent", "poll") > requests(before, "agent", "poll")


def test_errors_are_counted_by_api_operation_and_code(watched: Watched, client: Any) -> None:
    before = watched.metrics()
    with pytest.raises(client.exceptions.DoesNotExistException):
        client.get_maintenance_window(WindowId="mw-0123456789abcdef0")
    sns = boto3_client(watched.endpoint, "sns")
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000:nowhere")
    unsigned = httpx.post(
        watched.endpoint, headers={"X-Amz-Target": "AmazonSSM.NoSuchThing"}, content=b"{}"
    )
    refused = poll(watched.endpoint, "mi-0123456789abcdef0", "wrong")
    rest = httpx.post(f"{watched.endpoint}/v1/windows/mw-bad/executions")
    assert {unsigned.status_code, refused.status_code, rest.status_code} <= {400, 401, 403}
    after = watched.metrics()

    expected = [
        ("ssm", "GetMaintenanceWindow", "DoesNotExistException"),
        ("sns", "GetTopicAttributes", "NotFound"),
        ("ssm", "unknown", "MissingAuthenticationTokenException"),
        ("agent", "poll", refused.json()["error"]),
        ("rest", "StartWindowExecution", "MissingAuthenticationTokenException"),
    ]
    for labels in expected:
        assert errors(after, *labels) == errors(before, *labels) + 1, labels
    assert requests(after, "sns", "GetTopicAttributes") == (
        requests(before, "sns", "GetTopicAttributes") + 1
    )


def test_a_scheduled_window_s_start_delay_and_execution_are_reported(
    watched: Watched, client: Any
) -> None:
    before = watched.metrics()
    window = client.create_maintenance_window(
        Name="soon", Schedule=at_in(2), Duration=1, Cutoff=0, AllowUnassociatedTargets=True
    )["WindowId"]

    def ended() -> bool:
        found = client.describe_maintenance_window_executions(WindowId=window)
        return any(e["Status"] == "SUCCESS" for e in found["WindowExecutions"])

    wait_for(ended, what="the window's execution")
    after = watched.metrics()
    delays = "transom_window_start_delay_seconds_count"
    assert (after.value(delays) or 0) - (before.value(delays) or 0) == 1
    successes = "transom_window_executions"
    assert (after.value(successes, status="SUCCESS") or 0) - (
        before.value(successes, status="SUCCESS") or 0
    ) == 1
    infinite = after.value("transom_window_start_delay_seconds_bucket", le="+Inf")
    assert infinite == after.value(delays)


def test_the_delivery_backlog_and_the_outbox_are_reported(watched: Watched) -> None:
    before = watched.metrics()
    sns = boto3_client(watched.endpoint, "sns")
    topic = sns.create_topic(Name=f"backlog-{free_port()}")["TopicArn"]
    # Nothing listens on the port: the confirmation's delivery fails and waits an hour.
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{free_port()}/")

    def retrying() -> Scrape | None:
        found = watched.metrics()
        grown = (found.value("transom_delivery_backlog", state="retrying") or 0) - (
            before.value("transom_delivery_backlog", state="retrying") or 0
        )
        return found if grown == 1 else None

    wait_for(retrying, what="the failed delivery to wait for its retry")
    wait_for(
        lambda: watched.metrics().value("transom_events_unrelayed") == 0,
        what="the outbox to be relayed",
    )


def test_the_pool_is_reported_and_nothing_else_is_missing(watched: Watched) -> None:
    found = watched.metrics()
    assert found.value("transom_store_pool_size") == 8
    assert found.value("transom_store_pool_limit") == 32
    checked_out = found.value("transom_store_pool_checked_out")
    assert checked_out is not None
    assert 0 <= checked_out <= 32
    assert (found.value("process_resident_memory_bytes") or 0) > 0
    statuses = {dict(labels)["status"] for labels in found.series("transom_window_executions")}
    assert statuses == {
        "PENDING",
        "IN_PROGRESS",
        "SUCCESS",
        "FAILED",
        "TIMED_OUT",
        "CANCELLING",
        "CANCELLED",
        "SKIPPED_OVERLAPPING",
    }
    assert json.loads(httpx.get(f"{watched.endpoint}/health").text) == {"status": "ok"}
