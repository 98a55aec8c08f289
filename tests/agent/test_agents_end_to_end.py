"""Real agent processes running real shell commands for a real server."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess, transom_agent
from tests.support.cli import AwsCli
from tests.support.commands import FINAL, command_done
from tests.support.nodes import activation
from tests.support.servers import ServerProcess
from tests.support.waiting import wait_for


def test_a_command_by_tag_returns_every_hosts_output_byte_for_byte(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    marker, agents = fleet
    text = "héllo wörld ✓\n\ttabs and  spaces\nlast line without newline"
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": [f"printf '%s' '{text}'", "echo to-stderr >&2"]},
        MaxConcurrency="1",
    )["Command"]["CommandId"]
    command = wait_for(lambda: command_done(ssm, command_id), what="the command")
    assert (command["Status"], command["CompletedCount"], command["TargetCount"]) == (
        "Success",
        3,
        3,
    )
    for agent in agents:
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
        assert got["StandardOutputContent"] == text
        assert got["StandardErrorContent"] == "to-stderr\n"
        assert (got["Status"], got["ResponseCode"]) == ("Success", 0)
        assert got["ExecutionElapsedTime"].startswith("PT")


@pytest.mark.parametrize(("max_errors", "expected"), [("0", "Failed"), ("1", "Failed")])
def test_a_command_fails_once_its_failing_hosts_pass_max_errors(
    ssm: Any, fleet: tuple[str, list[AgentProcess]], max_errors: str, expected: str
) -> None:
    marker, agents = fleet
    for agent in agents[:2]:
        (agent.state_dir / "fail").touch()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["if [ -e ../../fail ]; then echo failing; exit 3; fi", "true"]},
        MaxConcurrency="50%",
        MaxErrors=max_errors,
    )["Command"]["CommandId"]
    command = wait_for(lambda: command_done(ssm, command_id), what="the command")
    assert command["Status"] == expected
    invocations = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    failed = [i for i in invocations if i["Status"] == "Failed"]
    assert all(i["CommandPlugins"][0]["ResponseCode"] == 3 for i in failed)
    assert command["ErrorCount"] == len(failed) >= int(max_errors) + 1


def test_the_execution_timeout_kills_the_script(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    started = time.monotonic()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agents[0].instance_id],
        Parameters={"commands": ["echo started", "sleep 60"], "executionTimeout": ["2"]},
    )["Command"]["CommandId"]
    command = wait_for(lambda: command_done(ssm, command_id), what="the timeout")
    assert time.monotonic() - started < 20
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agents[0].instance_id)
    assert (got["Status"], got["StatusDetails"]) == ("TimedOut", "Execution Timed Out")
    assert got["StandardOutputContent"] == "started\n"
    assert command["Status"] == "TimedOut"


def test_cancel_stops_a_running_script_and_its_children(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    pid_file = agents[0].state_dir / "child.pid"
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agents[0].instance_id],
        Parameters={"commands": [f"sleep 120 & echo $! > {pid_file}", "wait"]},
    )["Command"]["CommandId"]
    wait_for(pid_file.exists, what="the script to start")
    child = int(pid_file.read_text())
    ssm.cancel_command(CommandId=command_id)
    command = wait_for(lambda: command_done(ssm, command_id), what="the cancellation")
    assert command["Status"] == "Cancelled"

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone, seconds=10, what="the child process to be killed")


def test_a_killed_agent_reports_the_interrupted_command_once_and_never_reruns_it(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    agent = agents[0]
    runs = agent.state_dir / "runs"
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agent.instance_id],
        Parameters={"commands": [f"echo run >> {runs}", "sleep 3", "echo finished"]},
    )["Command"]["CommandId"]
    wait_for(runs.exists, what="the script to start")
    agent.kill()
    agent.start()
    command = wait_for(lambda: command_done(ssm, command_id), what="the report")
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
    assert command["Status"] == "Failed"
    assert "not run again" in got["StandardErrorContent"]
    # The restarted agent decides about what it had accepted before its first poll; once it
    # has run a later command to the end, a rerun would have appended a second "run" first.
    later = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agent.instance_id],
        Parameters={"commands": [f"echo later >> {runs}"]},
    )["Command"]["CommandId"]
    assert wait_for(lambda: command_done(ssm, later), what="the later command")["Status"] == (
        "Success"
    )
    assert runs.read_text() == "run\nlater\n"
    assert sum("interrupted by a restart" in line for line in agent.log) == 1


def test_the_aws_cli_runs_a_command_and_reads_its_output(
    fleet: tuple[str, list[AgentProcess]], server: ServerProcess, tmp_path: Path
) -> None:
    _, agents = fleet
    aws = AwsCli(server.endpoint, tmp_path)
    command_id = aws(
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--instance-ids",
        agents[1].instance_id,
        "--parameters",
        "commands=echo from-the-cli",
        "--comment",
        "cli test",
    )["Command"]["CommandId"]

    def finished() -> Any:
        listed = aws("list-command-invocations", "--command-id", command_id, "--details")
        invocations = listed["CommandInvocations"]
        return invocations if invocations and invocations[0]["Status"] in FINAL else None

    invocations = wait_for(finished, what="the CLI command")
    assert invocations[0]["CommandPlugins"][0]["Output"] == "from-the-cli\n"
    got = aws(
        "get-command-invocation",
        "--command-id",
        command_id,
        "--instance-id",
        agents[1].instance_id,
    )
    assert (got["Status"], got["StandardOutputContent"]) == ("Success", "from-the-cli\n")


def test_registration_refuses_a_bad_code_and_a_second_registration_and_keeps_credentials_private(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = activation(ssm)
    bad = transom_agent(
        "register",
        "--server",
        server.endpoint,
        "--id",
        activation_id,
        "--state-dir",
        str(tmp_path / "a"),
        stdin="nope",
    )
    assert bad.returncode != 0
    assert "InvalidActivation" in bad.stderr
    AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "b")
    again = transom_agent(
        "register",
        "--server",
        server.endpoint,
        "--id",
        activation_id,
        "--state-dir",
        str(tmp_path / "b"),
        stdin=code,
    )
    assert again.returncode != 0
    assert "--force" in again.stderr
    registration = tmp_path / "b" / "registration.json"
    assert oct(registration.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "b").stat().st_mode & 0o777) == "0o700"


def test_boto3s_command_executed_waiter_waits_for_the_result(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agents[2].instance_id],
        Parameters={"commands": ["sleep 1", "echo waited"]},
    )["Command"]["CommandId"]
    ssm.get_waiter("command_executed").wait(
        CommandId=command_id,
        InstanceId=agents[2].instance_id,
        WaiterConfig={"Delay": 1, "MaxAttempts": 30},
    )
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agents[2].instance_id)
    assert (got["Status"], got["StandardOutputContent"]) == ("Success", "waited\n")
