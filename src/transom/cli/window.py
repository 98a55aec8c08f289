"""`transom window`: maintenance windows on a running server, through its API.

Credentials, profile and region are found as the `aws` CLI finds them (botocore's session);
requests are SigV4-signed. Exit codes: 0 done (with `--wait`: the execution ended SUCCESS),
1 the execution ended otherwise or `--timeout` passed, 2 bad usage, an unreachable server or
an API error (its message on stderr).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import click

from transom.cli import signed
from transom.cli.signed import server_options

POLL_SECONDS = 0.5
ACTIVE = frozenset({"PENDING", "IN_PROGRESS", "CANCELLING"})


@click.group()
def window() -> None:
    """Work with maintenance windows on a Transom server."""


@window.command("run")
@click.argument("window_id")
@server_options
@click.option("--wait", is_flag=True, help="Follow the run until it ends; exit 1 unless SUCCESS.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=3600,
    show_default=True,
    help="Seconds --wait waits before giving up (the run goes on).",
)
def run(
    window_id: str,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
    wait: bool,
    timeout: float,
) -> None:
    """Start an execution of WINDOW_ID now, outside its schedule, and print its id."""
    with signed.reported():
        session, region = signed.session(profile, region, ca_bundle)
        endpoint = signed.endpoint(endpoint_url, session)
        execution_id = _start(session, endpoint, region, window_id)
        click.echo(execution_id)
        if not wait:
            return
        ssm = session.create_client("ssm", endpoint_url=endpoint, region_name=region)
        status = _follow(ssm, execution_id, timeout)
    raise click.exceptions.Exit(0 if status == "SUCCESS" else 1)


def _start(session: Any, endpoint_url: str, region: str, window_id: str) -> str:
    """POST /v1/windows/{id}/executions, signed; the execution id, or `Fatal`."""
    from urllib.parse import quote

    path = f"/v1/windows/{quote(window_id, safe='')}/executions"
    with signed.http_client(session, 30) as client:
        answer = signed.call(
            client, session, region, "POST", endpoint_url, path, (201, "WindowExecutionId")
        )
    return str(answer["WindowExecutionId"])


def _follow(ssm: Any, execution_id: str, timeout: float) -> str:
    """Print a line per task or invocation status change until the execution ends, then a
    summary; its final status. Exit 1 once `timeout` seconds have passed."""
    started = time.monotonic()
    progress = _Progress(ssm, execution_id)
    while True:
        execution = progress.poll()
        status = str(execution["Status"])
        if status not in ACTIVE:
            details = execution.get("StatusDetails") if status != "SUCCESS" else None
            elapsed = time.monotonic() - started
            click.echo(
                f"execution {execution_id} {status} after {elapsed:.1f} s"
                + (f": {details}" if details else "")
            )
            return status
        if time.monotonic() - started >= timeout:
            raise click.ClickException(
                f"gave up waiting after {timeout:g} s: execution {execution_id} is still "
                f"{status}; it goes on running."
            )
        time.sleep(POLL_SECONDS)


class _Progress:
    """What has been shown of one execution: the last status of each task and invocation."""

    def __init__(self, ssm: Any, execution_id: str) -> None:
        self._ssm = ssm
        self._id = execution_id
        self._shown: dict[str, str] = {}
        self._settled: set[str] = set()

    def poll(self) -> dict[str, Any]:
        """Read the execution, then its tasks and their invocations, printing what changed;
        the execution as read first (so when it has ended, everything below it is shown)."""
        execution: dict[str, Any] = self._ssm.get_maintenance_window_execution(
            WindowExecutionId=self._id
        )
        for task in self._pages(
            "describe_maintenance_window_execution_tasks", "WindowExecutionTaskIdentities"
        ):
            task_id = task["TaskExecutionId"]
            if task_id in self._settled:
                continue
            invocations = self._pages(
                "describe_maintenance_window_execution_task_invocations",
                "WindowExecutionTaskInvocationIdentities",
                TaskId=task_id,
            )
            lines = [(i["InvocationId"], i, "  " + _node(i)) for i in invocations]
            ended = task["Status"] not in ACTIVE
            heading = [(task_id, task, f"task {task_id} {task['TaskArn']}")]
            for key, record, label in lines + heading if ended else heading + lines:
                self._show(key, record, label)
            if ended:
                self._settled.add(task_id)
        return execution

    def _pages(self, method: str, key: str, **params: str) -> Iterator[dict[str, Any]]:
        """Every item under `key` of every page of the paginated `method`."""
        paginator = self._ssm.get_paginator(method)
        for page in paginator.paginate(WindowExecutionId=self._id, **params):
            yield from page.get(key, [])

    def _show(self, key: str, record: dict[str, Any], label: str) -> None:
        status = str(record["Status"])
        if self._shown.get(key) == status:
            return
        self._shown[key] = status
        line = f"{label} {status}"
        if record.get("ExecutionId"):
            line += f" (command {record['ExecutionId']})"
        if status not in ACTIVE and status != "SUCCESS" and record.get("StatusDetails"):
            line += f": {record['StatusDetails']}"
        click.echo(line)


def _node(invocation: dict[str, Any]) -> str:
    """The node an invocation runs on (from its launch parameters), else the invocation id."""
    import json

    try:
        nodes = json.loads(invocation.get("Parameters") or "{}").get("instanceIds") or []
    except (ValueError, AttributeError):
        nodes = []
    return " ".join(map(str, nodes)) or f"invocation {invocation['InvocationId']}"
