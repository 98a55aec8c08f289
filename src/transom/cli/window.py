"""`transom window`: maintenance windows on a running server, through its API.

Credentials, profile and region are found as the `aws` CLI finds them (botocore's session);
requests are SigV4-signed. Exit codes: 0 done (with `--wait`: the execution ended SUCCESS),
1 the execution ended otherwise or `--timeout` passed, 2 bad usage, an unreachable server or
an API error (its message on stderr).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

FALLBACK_REGION = "us-east-1"
"""Signed into requests when no region is configured; Transom accepts any."""
POLL_SECONDS = 0.5
ACTIVE = frozenset({"PENDING", "IN_PROGRESS", "CANCELLING"})


class Fatal(click.ClickException):
    """Bad usage, an unreachable server or an API error: exit code 2."""

    exit_code = 2


@click.group()
def window() -> None:
    """Work with maintenance windows on a Transom server."""


@window.command("run")
@click.argument("window_id")
@click.option(
    "--endpoint-url",
    envvar=["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"],
    show_envvar=True,
    help="The server's URL, like http://127.0.0.1:8770.",
)
@click.option(
    "--profile", help="The aws profile to sign with (default: AWS_PROFILE, else default)."
)
@click.option("--region", help="The region to sign for (default: the profile's, else us-east-1).")
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
    wait: bool,
    timeout: float,
) -> None:
    """Start an execution of WINDOW_ID now, outside its schedule, and print its id."""
    endpoint = _endpoint(endpoint_url)
    with _reported():
        session, region = _session(profile, region)
        execution_id = _start(session, endpoint, region, window_id)
        click.echo(execution_id)
        if not wait:
            return
        ssm = session.create_client("ssm", endpoint_url=endpoint, region_name=region)
        status = _follow(ssm, execution_id, timeout)
    raise click.exceptions.Exit(0 if status == "SUCCESS" else 1)


def _endpoint(url: str | None) -> str:
    """`url` if it is an http(s) URL with a host (and a valid port, if any), else `Fatal`."""
    from urllib.parse import urlsplit

    if not url:
        raise Fatal(
            "no endpoint: pass --endpoint-url http://HOST:PORT (or set AWS_ENDPOINT_URL_SSM "
            "or AWS_ENDPOINT_URL)."
        )
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        valid = False
    if not valid:
        raise Fatal(f"the endpoint {url!r} is not an http(s) URL like http://127.0.0.1:8770.")
    return url


@contextmanager
def _reported() -> Iterator[None]:
    """Turn botocore failures into a one-line message and exit code 2."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise Fatal(f"{error.get('Code', 'Error')}: {error.get('Message', exc)}") from exc
    except BotoCoreError as exc:
        raise Fatal(str(exc)) from exc


def _session(profile: str | None, region: str | None) -> tuple[Any, str]:
    """The botocore session and the region to sign for; `Fatal` without credentials."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    if session.get_credentials() is None:
        raise Fatal(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass "
            "--profile (see `transom up`'s output)."
        )
    return session, region or session.get_config_variable("region") or FALLBACK_REGION


def _start(session: Any, endpoint_url: str, region: str, window_id: str) -> str:
    """POST /v1/windows/{id}/executions, signed; the execution id, or `Fatal`."""
    from urllib.parse import quote

    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    url = f"{endpoint_url.rstrip('/')}/v1/windows/{quote(window_id, safe='')}/executions"
    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(session.get_credentials(), "ssm", region).add_auth(request)
    try:
        with httpx.Client(timeout=30) as client:
            response = client.post(url, content=b"", headers=dict(request.headers))
    except httpx.HTTPError as exc:
        raise Fatal(f"cannot reach {endpoint_url}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code == 201 and "WindowExecutionId" in answer:
        return str(answer["WindowExecutionId"])
    if "__type" in answer:
        raise Fatal(f"{answer['__type']}: {answer.get('message', '')}")
    raise Fatal(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")


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
