"""Run Command as the API shows it, for tests that wait for a command to end."""

from __future__ import annotations

from typing import Any

FINAL = ("Success", "Failed", "TimedOut", "Cancelled")
"""The command statuses that do not change again."""


def command_done(ssm: Any, command_id: str) -> dict[str, Any] | None:
    """The command as ListCommands shows it once its status is final; None before."""
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    return dict(command) if command["Status"] in FINAL else None


def reported(
    ssm: Any, endpoint: str, stdout: str, stderr: str, status: str = "Success", nodes: int = 1
) -> tuple[str, list[str]]:
    """A command sent to `nodes` fresh nodes (speaking the agent protocol), each of which
    reported `status` with `stdout` and `stderr`; its id and the nodes' ids."""
    from tests.support.nodes import activation, outcome, poll, register, results

    activation_id, code = activation(ssm)
    fleet = [register(endpoint, activation_id, code) for _ in range(nodes)]
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[node.instance_id for node in fleet],
        Parameters={"commands": ["report"]},
    )["Command"]["CommandId"]
    for node in fleet:
        (item,) = poll(endpoint, node.instance_id, node.secret).json()["work"]
        report = outcome(item, status, code=0 if status == "Success" else 3, out=stdout)
        answer = results(endpoint, node.instance_id, node.secret, report | {"stderr": stderr})
        assert answer["acknowledged"] == [command_id]
    return command_id, [node.instance_id for node in fleet]
