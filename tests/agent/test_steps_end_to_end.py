"""Documents of several steps on real agents: a runbook of two steps and three typed
parameters made and sent with the real `aws` CLI, each step's status and output shown per
plugin; a failed step with onFailure: exit skipping the next; a precondition of another
platform skipping its step; the runbook as a window task, each step in the run's history."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.agent.test_windows_end_to_end import ended_execution
from tests.support.agents import AgentProcess
from tests.support.cli import AwsCli
from tests.support.commands import command_done
from tests.support.schedules import at_in
from tests.support.servers import ServerProcess
from tests.support.waiting import wait_for
from tests.support.window_tasks import window_with_task

RUNBOOK = {
    "schemaVersion": "2.2",
    "description": "Rotate, then report",
    "parameters": {
        "who": {"type": "String", "allowedPattern": "[a-z]+"},
        "keep": {"type": "Integer", "default": 3},
        "paths": {"type": "StringList", "default": ["a", "b"]},
    },
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "rotate",
            "inputs": {
                "timeoutSeconds": 30,
                "workingDirectory": "/tmp",
                "runCommand": ["echo rotating for {{ who }} keeping {{ keep }} in $(pwd)"],
            },
        },
        {
            "action": "aws:runShellScript",
            "name": "report",
            "inputs": {"runCommand": ["echo paths {{ paths }}", "echo warned >&2", "exit 2"]},
        },
    ],
}


def _plugins(ssm: Any, command_id: str) -> list[dict[str, Any]]:
    wait_for(lambda: command_done(ssm, command_id), what=f"command {command_id} to end")
    (invocation,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    return list(invocation["CommandPlugins"])


def test_a_runbook_of_two_steps_made_and_sent_with_the_aws_cli_shows_each_step(
    ssm: Any, fleet: tuple[str, list[AgentProcess]], server: ServerProcess, tmp_path: Path
) -> None:
    _, agents = fleet
    node = agents[0].instance_id
    aws = AwsCli(server.endpoint, tmp_path)
    name = f"runbook-{uuid.uuid4().hex[:8]}"
    (tmp_path / "runbook.json").write_text(json.dumps(RUNBOOK))
    made = aws(
        "create-document",
        "--name",
        name,
        "--document-type",
        "Command",
        "--content",
        f"file://{tmp_path / 'runbook.json'}",
    )["DocumentDescription"]
    assert [p["Name"] for p in made["Parameters"]] == ["who", "keep", "paths"]
    sent = aws(
        "send-command",
        "--document-name",
        name,
        "--instance-ids",
        node,
        "--parameters",
        json.dumps({"who": ["ops"], "paths": ["x", "y"]}),
    )["Command"]
    command_id = sent["CommandId"]
    wait_for(lambda: command_done(ssm, command_id), what=f"command {command_id} to end")

    (invocation,) = aws("list-command-invocations", "--command-id", command_id, "--details")[
        "CommandInvocations"
    ]
    assert invocation["Status"] == "Failed"
    rotate, report = invocation["CommandPlugins"]
    assert (rotate["Name"], rotate["Status"], rotate["ResponseCode"]) == ("rotate", "Success", 0)
    assert rotate["Output"] == "rotating for ops keeping 3 in /tmp\n"
    assert (report["Name"], report["Status"], report["StatusDetails"]) == (
        "report",
        "Failed",
        "Failed",
    )
    assert (report["ResponseCode"], report["Output"]) == (2, "paths [x, y]\nwarned\n")
    assert rotate["ResponseFinishDateTime"] <= report["ResponseStartDateTime"]

    second = aws(
        "get-command-invocation",
        "--command-id",
        command_id,
        "--instance-id",
        node,
        "--plugin-name",
        "report",
    )
    assert (second["PluginName"], second["Status"], second["ResponseCode"]) == (
        "report",
        "Failed",
        2,
    )
    assert (second["StandardOutputContent"], second["StandardErrorContent"]) == (
        "paths [x, y]\n",
        "warned\n",
    )
    whole = aws("get-command-invocation", "--command-id", command_id, "--instance-id", node)
    assert whole["Status"] == "Failed"
    assert whole["StandardOutputContent"] == "rotating for ops keeping 3 in /tmp\npaths [x, y]\n"
    unknown = aws.run(
        "get-command-invocation",
        "--command-id",
        command_id,
        "--instance-id",
        node,
        "--plugin-name",
        "nope",
    )
    assert unknown.returncode != 0
    assert "InvalidPluginName" in unknown.stderr
    assert "its steps are rotate, report" in unknown.stderr


def test_on_failure_exit_and_a_precondition_skip_their_steps(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    node = agents[0].instance_id
    name = f"guarded-{uuid.uuid4().hex[:8]}"
    steps = [
        {
            "action": "aws:runShellScript",
            "name": "windowsOnly",
            "precondition": {"StringEquals": ["platformType", "Windows"]},
            "inputs": {"runCommand": ["echo never"]},
        },
        {
            "action": "aws:runShellScript",
            "name": "check",
            "inputs": {"onFailure": "exit", "runCommand": ["echo checking", "exit 5"]},
        },
        {
            "action": "aws:runShellScript",
            "name": "change",
            "inputs": {"runCommand": ["echo changed"]},
        },
    ]
    ssm.create_document(Name=name, Content=json.dumps({"schemaVersion": "2.2", "mainSteps": steps}))
    command_id = ssm.send_command(DocumentName=name, InstanceIds=[node])["Command"]["CommandId"]
    windows, check, change = _plugins(ssm, command_id)
    assert (windows["Status"], windows["StatusDetails"], windows["ResponseCode"]) == (
        "Success",
        "Skipped",
        0,
    )
    assert "platformType Windows" in windows["Output"]
    assert (check["Status"], check["ResponseCode"], check["Output"]) == (
        "Failed",
        5,
        "checking\n",
    )
    assert (change["Status"], change["StatusDetails"]) == ("Success", "Skipped")
    assert "step check ended the run" in change["Output"]
    found = ssm.get_command_invocation(CommandId=command_id, InstanceId=node)
    assert (found["Status"], found["ResponseCode"]) == ("Failed", 5)


def test_a_window_task_runs_the_runbook_and_its_history_shows_each_step(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    marker, agents = fleet
    name = f"runbook-{uuid.uuid4().hex[:8]}"
    ssm.create_document(Name=name, Content=json.dumps(RUNBOOK))
    window, _ = window_with_task(
        ssm,
        f"steps-{marker}",
        at_in(4),
        ("Fleet", marker),
        TaskArn=name,
        TaskInvocationParameters={"RunCommand": {"Parameters": {"who": ["ops"]}}},
        MaxConcurrency="100%",
        MaxErrors="100%",
    )

    execution = ended_execution(ssm, window)

    assert execution["Status"] == "FAILED"  # the report step exits 2 on every node
    (task,) = ssm.describe_maintenance_window_execution_tasks(
        WindowExecutionId=execution["WindowExecutionId"]
    )["WindowExecutionTaskIdentities"]
    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution["WindowExecutionId"], TaskId=task["TaskExecutionId"]
    )["WindowExecutionTaskInvocationIdentities"]
    assert len(invocations) == len(agents)
    for invocation in invocations:
        rotate, report = _plugins(ssm, invocation["ExecutionId"])
        assert (rotate["Name"], rotate["Status"]) == ("rotate", "Success")
        assert rotate["Output"] == "rotating for ops keeping 3 in /tmp\n"
        assert (report["Name"], report["Status"], report["ResponseCode"]) == ("report", "Failed", 2)
        assert report["Output"] == "paths [a, b]\nwarned\n"
