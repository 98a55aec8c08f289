"""Faults around a running command: the server killed and restarted under a running agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.agents import AgentProcess
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client, free_port
from tests.support.waiting import wait_for


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_result_finished_while_the_server_was_down_arrives_once_after_restart(
    fresh_db: Database, tmp_path: Path
) -> None:
    port = ["--port", str(free_port())]
    server = ServerProcess(fresh_db, port).start()
    ssm = boto3_client(server.endpoint)
    activation_id, code = activation(ssm)
    agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
    agent.start()
    runs = tmp_path / "runs"
    spooled = tmp_path / "agent" / "spool" / "results"
    try:
        command_id = ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[agent.instance_id],
            Parameters={"commands": [f"echo run >> {runs}", "sleep 2", "echo done"]},
        )["Command"]["CommandId"]
        wait_for(runs.exists, what="the script to start")
        server.kill()
        wait_for(
            lambda: list(spooled.glob("*.json")),
            what="the script to end while no server listens, its result kept in the spool",
        )
        server = ServerProcess(fresh_db, port).start()
        ssm = boto3_client(server.endpoint)
        command = wait_for(lambda: command_done(ssm, command_id), seconds=60, what="the result")
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
        assert (command["Status"], got["StandardOutputContent"]) == ("Success", "done\n")
        assert runs.read_text() == "run\n"
        wait_for(
            lambda: not list(spooled.glob("*.json")), what="the agent to drop the delivered result"
        )
    finally:
        agent.kill()
        server.kill()
