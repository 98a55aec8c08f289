"""Documents of one's own run on real agents: by SendCommand with typed parameters (a bad
one refused before anything runs), and from a window task pinned to a version, which keeps
running that version after the document is updated."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.agent.test_windows_end_to_end import ended_execution
from tests.support.agents import AgentProcess
from tests.support.commands import command_done
from tests.support.schedules import at_in
from tests.support.waiting import wait_for
from tests.support.window_tasks import run_command_task, tagged_window


def _runbook(says: str) -> dict[str, Any]:
    return {
        "schemaVersion": "2.2",
        "description": "Greet",
        "parameters": {
            "who": {"type": "String", "allowedPattern": "[a-z]+"},
            "times": {"type": "Integer", "default": 2},
            "loud": {"type": "Boolean", "default": False},
        },
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "greet",
                "inputs": {
                    "timeoutSeconds": 60,
                    "runCommand": [
                        f"for i in $(seq {{{{ times }}}}); do echo {says} {{{{ who }}}}; done",
                        "echo loud={{ loud }}",
                    ],
                },
            }
        ],
    }


def _output(ssm: Any, command_id: str, instance_id: str) -> dict[str, Any]:
    wait_for(lambda: command_done(ssm, command_id), what=f"command {command_id} to end")
    return dict(ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id))


def test_a_document_with_parameters_runs_by_send_command(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    _, agents = fleet
    node = agents[0].instance_id
    name = f"greet-{uuid.uuid4().hex[:8]}"
    content = json.dumps(_runbook("hello"))
    ssm.create_document(Name=name, Content=content, DocumentType="Command")

    sent = ssm.send_command(
        DocumentName=name,
        InstanceIds=[node],
        Parameters={"who": ["world"], "loud": ["true"]},
        DocumentHash=hashlib.sha256(content.encode()).hexdigest(),
        DocumentHashType="Sha256",
    )["Command"]
    assert sent["Parameters"] == {"who": ["world"], "loud": ["true"]}  # as sent
    found = _output(ssm, sent["CommandId"], node)
    assert (found["Status"], found["PluginName"]) == ("Success", "greet")
    assert found["StandardOutputContent"] == "hello world\nhello world\nloud=true\n"

    commands_before = len(ssm.list_commands()["Commands"])
    for parameters, words in (
        ({"who": ["World!"]}, "Parameter 'who' value 'World!' must match [a-z]+"),
        ({"who": ["x"], "times": ["two"]}, "Parameter 'times' must be a whole number"),
        ({}, "Parameter 'who' of " + name + " is required"),
    ):
        with pytest.raises(ClientError) as refused:
            ssm.send_command(DocumentName=name, InstanceIds=[node], Parameters=parameters)
        assert refused.value.response["Error"]["Code"] == "InvalidParameters"
        assert words in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as refused:
        ssm.send_command(
            DocumentName=name, InstanceIds=[node], Parameters={"who": ["x"]}, DocumentHash="0" * 64
        )
    assert refused.value.response["Error"]["Code"] == "InvalidDocument"
    assert len(ssm.list_commands()["Commands"]) == commands_before


def test_a_window_task_pinned_to_a_version_keeps_running_it_after_an_update(
    ssm: Any, fleet: tuple[str, list[AgentProcess]]
) -> None:
    marker, _ = fleet
    name = f"greet-{uuid.uuid4().hex[:8]}"
    ssm.create_document(Name=name, Content=json.dumps(_runbook("hello")))
    window, target = tagged_window(ssm, f"docs-{marker}", at_in(4), ("Fleet", marker))
    for version, priority in (("1", 1), ("$LATEST", 2)):
        run_command_task(
            ssm,
            window,
            target,
            TaskArn=name,
            TaskInvocationParameters={
                "RunCommand": {
                    "DocumentVersion": version,
                    "Parameters": {"who": ["node"], "times": ["1"]},
                }
            },
            MaxConcurrency="3",
            MaxErrors="0",
            Priority=priority,
        )
    with pytest.raises(ClientError) as refused:  # checked at registration too
        run_command_task(
            ssm,
            window,
            target,
            TaskArn=name,
            TaskInvocationParameters={"RunCommand": {"Parameters": {"who": ["NODE"]}}},
            MaxConcurrency="1",
            MaxErrors="0",
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameters"
    updated = ssm.update_document(Name=name, Content=json.dumps(_runbook("bonjour")))
    assert updated["DocumentDescription"]["DocumentVersion"] == "2"

    execution = ended_execution(ssm, window)

    assert execution["Status"] == "SUCCESS"
    tasks = ssm.describe_maintenance_window_execution_tasks(
        WindowExecutionId=execution["WindowExecutionId"]
    )["WindowExecutionTaskIdentities"]
    said: dict[int, set[str]] = {}  # by task priority: 1 pinned to version 1, 2 $LATEST
    for task in tasks:
        detail = ssm.get_maintenance_window_execution_task(
            WindowExecutionId=execution["WindowExecutionId"], TaskId=task["TaskExecutionId"]
        )
        invocations = ssm.describe_maintenance_window_execution_task_invocations(
            WindowExecutionId=execution["WindowExecutionId"], TaskId=task["TaskExecutionId"]
        )["WindowExecutionTaskInvocationIdentities"]
        said[detail["Priority"]] = {
            plugin["Output"]
            for i in invocations
            for found in ssm.list_command_invocations(CommandId=i["ExecutionId"], Details=True)[
                "CommandInvocations"
            ]
            for plugin in found["CommandPlugins"]
        }
    assert said == {1: {"hello node\nloud=false\n"}, 2: {"bonjour node\nloud=false\n"}}
