"""SIGTERM and SIGINT stop `transom server`, `transom up` and `transom agent run` at once,
whenever they come, with exit code 0 and nothing ignored or raised on the way out; the
agent of `transom up` never outlives its server."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    boto3_client,
    free_port,
    install_test_key,
)
from tests.support.waiting import wait_for

STOP_SECONDS = 5.0
"""How long a process may take to stop after the signal."""
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def assert_stops(
    stop: Callable[[int, float], int], log: list[str], signum: signal.Signals, when: str
) -> None:
    try:
        code = stop(signum, STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_SECONDS:g} s after {signum.name} {when}:\n{''.join(log)}")
    output = "".join(log)
    assert code == 0, f"{signum.name} {when}: exit code {code}\n{output}"
    assert "Exception ignored" not in output, f"{signum.name} {when}:\n{output}"
    assert "Traceback" not in output, f"{signum.name} {when}:\n{output}"


def logged(log: list[str], text: str) -> Callable[[], bool]:
    return lambda: any(text in line for line in log)


def polling(ssm: Any, instance_id: str, since: float) -> Callable[[], bool]:
    """Whether the node has polled since `since` (its first poll, which waits at the server
    since no work is due, writes its ping time as it arrives)."""

    def check() -> bool:
        (node,) = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
        )["InstanceInformationList"]
        return bool(node["LastPingDateTime"].timestamp() >= since)

    return check


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (orphans may stay unreaped here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_long_command(ssm: Any, instance_id: str, marker: Path) -> str:
    """A command that notes that it ran in `marker` and then sleeps; wait until it runs."""
    command_id = str(
        ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [f"echo ran >> {marker}", "sleep 60"]},
        )["Command"]["CommandId"]
    )
    wait_for(marker.exists, what="the command to start")
    return command_id


def assert_each_reported_after_running_once(
    ssm: Any, commands: dict[str, Path], stop: Callable[[], None]
) -> None:
    """Each command ran once, and its agent reported it stopped (now or from its spool)."""
    try:
        for command_id, marker in commands.items():
            command = wait_for(partial(command_done, ssm, command_id), what="the report")
            assert command["Status"] == "Failed", command
            assert marker.read_text() == "ran\n"
    finally:
        stop()


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_signal_stops_the_server_whenever_it_comes(fresh_db: Database, tmp_path: Path) -> None:
    port = ["--port", str(free_port())]
    server = ServerProcess(fresh_db, port).start()
    activation_id, code = activation(boto3_client(server.endpoint))
    agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
    server.stop()
    for round in range(6):
        signum = SIGNALS[round % 2]
        server = ServerProcess(fresh_db, port).start()
        try:
            if round % 3 == 0:
                when = "as it says it listens"
            elif round % 3 == 1:
                time.sleep(random.uniform(0, 0.5))
                when = "as it starts"
            else:
                since = time.time()
                agent.start()
                ssm = boto3_client(server.endpoint)
                wait_for(polling(ssm, agent.instance_id, since), what="the agent to poll")
                when = "while an agent long-polls"
            assert_stops(server.stop, server.log, signum, when)
            if round % 3 == 2:
                assert_stops(agent.stop, agent.log, signum, "while it retries")
        finally:
            server.kill()
            agent.kill()


def test_a_signal_stops_up_and_its_agent_whenever_it_comes(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    commands: dict[str, Path] = {}
    for round in range(10):
        signum = SIGNALS[round % 2]
        since = time.time()
        up = ServerProcess(db, subcommand="up").start()
        try:
            if round % 4 == 0:
                when = "as it says it listens"
            elif round % 4 == 1:
                time.sleep(random.uniform(0, 1))
                when = "as it starts"
            else:
                ssm = boto3_client(up.endpoint)
                node = next(w for line in up.log for w in line.split() if w.startswith("mi-"))
                wait_for(polling(ssm, node, since), what="the agent to poll")
                when = "while its agent long-polls"
                if round % 4 == 3:
                    marker = tmp_path / f"ran-{round}"
                    commands[start_long_command(ssm, node, marker)] = marker
                    when = "while its agent runs a command"
            assert up.process is not None
            agents = children(up.process.pid)
            assert_stops(up.stop, up.log, signum, when)
            assert not [pid for pid in agents if running(pid)], f"the agent outlived up {when}"
        finally:
            up.kill()
    up = ServerProcess(db, subcommand="up").start()
    assert_each_reported_after_running_once(boto3_client(up.endpoint), commands, up.kill)


def test_a_signal_stops_the_agent_whenever_it_comes(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = activation(ssm)
    agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
    commands: dict[str, Path] = {}
    for round in range(12):
        signum = SIGNALS[round % 2]
        since = time.time()
        agent.start()
        try:
            wait_for(logged(agent.log, "serving"), what="the agent to start")
            if round % 4 == 0:
                when = "as it starts serving"
            elif round % 4 == 1:
                time.sleep(random.uniform(0, 0.5))
                when = "as it connects"
            else:
                wait_for(polling(ssm, agent.instance_id, since), what="the agent to poll")
                when = "while it long-polls"
                if round % 4 == 3:
                    marker = tmp_path / f"ran-{round}"
                    commands[start_long_command(ssm, agent.instance_id, marker)] = marker
                    when = "while it runs a command"
            assert_stops(agent.stop, agent.log, signum, when)
        finally:
            agent.kill()
    assert_each_reported_after_running_once(ssm, commands, agent.start().kill)


def test_the_agent_of_up_does_not_outlive_its_server_killed(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    up = ServerProcess(db, subcommand="up").start()
    try:
        node = next(w for line in up.log for w in line.split() if w.startswith("mi-"))
        wait_for(polling(boto3_client(up.endpoint), node, 0), what="the agent to poll")
        assert up.process is not None
        (agent,) = children(up.process.pid)
        up.process.kill()
        up.process.wait(timeout=STOP_SECONDS)
        wait_for(lambda: not running(agent), seconds=STOP_SECONDS, what="the agent to stop")
        wait_for(logged(up.log, "agent stopped"), seconds=STOP_SECONDS, what="its last words")
    finally:
        up.kill()


def test_a_signal_stops_the_agent_at_once_while_its_server_hangs(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = activation(ssm)
    agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
    assert server.process is not None
    since = time.time()
    agent.start()
    try:
        wait_for(polling(ssm, agent.instance_id, since), what="the agent to poll")
        marker = tmp_path / "ran"
        command_id = start_long_command(ssm, agent.instance_id, marker)
        server.process.send_signal(signal.SIGSTOP)
        try:
            when = "while it runs a command and its server hangs"
            assert_stops(agent.stop, agent.log, signal.SIGTERM, when)
        finally:
            server.process.send_signal(signal.SIGCONT)
        assert len(list((tmp_path / "agent" / "spool" / "results").glob("*.json"))) == 1
    finally:
        agent.kill()
    assert_each_reported_after_running_once(ssm, {command_id: marker}, agent.start().kill)


def test_an_agent_the_server_no_longer_knows_stops_by_itself_with_code_3(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = activation(ssm)
    agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
    ssm.deregister_managed_instance(InstanceId=agent.instance_id)
    agent.start()
    try:
        assert agent.process is not None
        assert agent.process.wait(timeout=STOP_SECONDS) == 3
        wait_for(logged(agent.log, "agent stopped"), what="its last words")
        assert any("refused this node" in line for line in agent.log)
        assert not any("Traceback" in line for line in agent.log)
    finally:
        agent.kill()
