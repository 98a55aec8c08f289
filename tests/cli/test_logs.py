"""`--log-level` and `--log-format` of `transom server`, `transom up` and `transom agent run`:
real processes whose every stderr line is read back, a real window run on a real agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.agents import AgentProcess
from tests.support.nodes import activation, poll, register
from tests.support.schedules import at_in
from tests.support.servers import (
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    boto3_client,
    free_port,
    install_test_key,
)
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for

JSON_DEBUG = ["--log-format", "json", "--log-level", "debug"]


def records(log: list[str]) -> list[dict[str, Any]]:
    """Every line of `log` as the JSON object it must be."""
    found = []
    for line in list(log):
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        assert record["time"].endswith("Z"), line
        found.append(record)
    return found


def lines(log: list[str], message: str, **fields: Any) -> list[dict[str, Any]]:
    """The records of `log` whose message starts with `message` and that hold `fields`."""
    return [
        r
        for r in records(log)
        if r["message"].startswith(message) and all(r.get(k) == v for k, v in fields.items())
    ]


def logged(log: list[str], message: str, **fields: Any) -> Callable[[], list[dict[str, Any]]]:
    return lambda: lines(log, message, **fields)


def window_run_logged(log: list[str], window_id: str) -> str:
    """Wait for the window's run to end; check its start and end lines; its execution id."""
    [ended] = wait_for(
        logged(log, "window execution ended", window_id=window_id), what="the window run to end"
    )
    [started] = lines(log, "window execution started", window_id=window_id)
    assert (started["status"], started["tasks"]) == ("PENDING", 1)
    assert started["execution_id"] == ended["execution_id"]
    assert datetime.fromisoformat(started["scheduled_time"]).tzinfo is not None
    assert (ended["level"], ended["status"]) == ("INFO", "SUCCESS")
    assert (ended["tasks"], ended["invocations"]) == (1, 1)
    assert ended["task_statuses"] == ended["invocation_statuses"] == {"SUCCESS": 1}
    assert ended["duration_seconds"] >= 0
    return str(started["execution_id"])


def test_json_logs_tell_a_window_run_and_an_agent_losing_its_server_and_no_secret(
    tmp_path: Path,
) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    port = free_port()
    server = ServerProcess(db, [*JSON_DEBUG, "--port", str(port)]).start()
    agent: AgentProcess | None = None
    logs: list[list[str]] = [server.log]
    try:
        ssm = boto3_client(server.endpoint)
        fleet = f"logs-{uuid.uuid4().hex[:8]}"
        activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": fleet}])
        agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
        agent.args = JSON_DEBUG
        agent.start()
        wait_for(logged(agent.log, "connected", server=server.endpoint), what="connected")
        parameter = f"param-{uuid.uuid4().hex}"
        window_id = shell_window(
            ssm, at_in(2), ("Fleet", fleet), [f"test -n {parameter}"], name="logged"
        )
        execution_id = window_run_logged(server.log, window_id)
        execution = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
        assert execution["Status"] == "SUCCESS"
        ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[agent.instance_id],
            Parameters={"commands": [f"test -n {parameter}"]},
        )
        # the access log names the path without its query
        httpx.get(f"{server.endpoint}/health?Token={parameter}")
        wait_for(
            lambda: [
                r
                for r in records(server.log)
                if r["logger"] == "uvicorn.access" and "GET /health HTTP" in r["message"]
            ],
            what="the access line",
        )
        assert server.stop() == 0
        wait_for(logged(agent.log, "lost the server", server=server.endpoint), what="lost")
        again = ServerProcess(db, [*JSON_DEBUG, "--port", str(port)]).start()
        logs.append(again.log)
        try:
            wait_for(logged(agent.log, "reconnected", server=server.endpoint), what="reconnected")
        finally:
            assert again.stop() == 0
    finally:
        server.kill()
        if agent is not None:
            agent.kill()
    assert lines(server.log, "server listening on http://")
    assert lines(server.log, "Application startup complete.")  # uvicorn's own lines, as JSON
    assert len(lines(server.log, "window execution started", execution_id=execution_id)) == 1
    assert len(lines(server.log, "window execution ended", execution_id=execution_id)) == 1
    registration = json.loads((tmp_path / "agent" / "registration.json").read_text())
    everything = "".join(line for log in [*logs, agent.log] for line in log)
    for secret in (SECRET_ACCESS_KEY, registration["secret"], code, parameter, "Signature="):
        assert secret not in everything
    records(agent.log)


def test_the_server_logs_a_node_registered_lost_and_back(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    args = ["--log-format", "json", "--node-ping-timeout", "1"]
    server = ServerProcess(db, args).start()
    try:
        ssm = boto3_client(server.endpoint)
        activation_id, code = activation(ssm)
        node = register(server.endpoint, activation_id, code)
        # the server's output is read by another thread: the line may trail the answer
        registered = logged(server.log, "node registered", instance_id=node.instance_id)
        wait_for(registered, what="the node registered")
        lost = {"instance_id": node.instance_id, "level": "WARNING", "ping_timeout_seconds": 1}
        wait_for(logged(server.log, "node connection lost", **lost), what="the node lost")
        assert poll(server.endpoint, node.instance_id, node.secret).status_code == 200
        back = {"instance_id": node.instance_id, "level": "INFO"}
        wait_for(logged(server.log, "node connected again", **back), what="the node back")
    finally:
        assert server.stop() == 0
    assert node.secret not in "".join(server.log)
    assert code not in "".join(server.log)


def credentials(path: Path) -> tuple[str, str]:
    """The key id and secret of the credentials file `transom up` wrote."""
    values = dict(line.split(" = ") for line in path.read_text().splitlines() if " = " in line)
    return values["aws_access_key_id"], values["aws_secret_access_key"]


def test_up_at_level_warning_writes_json_lines_without_info_but_its_own(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    up = ServerProcess(db, ["--log-format", "json", "--log-level", "warning"], "up").start()
    try:
        wait_for(logged(up.log, "agent serving"), what="the agent")  # passed on to the agent
        [machine] = lines(up.log, "this machine is managed node")
        node = machine["message"].split()[-1]
        key_id, secret = credentials(db.data_dir / "credentials")
        ssm = boto3_client(up.endpoint, aws_access_key_id=key_id, aws_secret_access_key=secret)

        def polled() -> bool:
            [info] = ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": [node]}]
            )["InstanceInformationList"]
            return bool(info["LastPingDateTime"] > info["RegistrationDate"])

        wait_for(polled, what="the agent to poll")  # so it has connected: no line at warning
    finally:
        assert up.stop() == 0
    infos = {r["logger"] for r in records(up.log) if r["level"] == "INFO"}
    assert infos == {"transom.process"}  # the key, the node, where it listens, stops
    assert lines(up.log, f"created access key {key_id}")
    assert secret not in "".join(up.log)


def transom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "transom", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["server", "--log-level", "verbose"], None, "Invalid value for '--log-level'"),
        (["up", "--log-format", "xml"], None, "Invalid value for '--log-format'"),
        (["agent", "run"], {"TRANSOM_LOG_FORMAT": "yaml"}, "Invalid value for '--log-format'"),
        (["server"], {"TRANSOM_LOG_LEVEL": "loud"}, "'loud' is not one of 'debug', 'info'"),
    ],
)
def test_a_bad_log_setting_is_a_usage_error_that_says_what_is_allowed(
    tmp_path: Path, args: list[str], env: dict[str, str] | None, expected: str
) -> None:
    where = "--state-dir" if args[0] == "agent" else "--data-dir"
    done = transom(*args, where, str(tmp_path), env=env)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())  # nothing was started or made
