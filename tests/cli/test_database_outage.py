"""The database goes away under a running server and comes back: API calls fail cleanly
meanwhile, the server stays up, the agent keeps a result it could not report, and once the
database is back everything carries on without a restart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import botocore.exceptions
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.agents import AgentProcess
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import Database, ServerProcess, boto3_client
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_for


def _through(db: Database, proxy: TcpProxy) -> Database:
    """`db` reached through `proxy` instead of directly."""
    assert db.url is not None
    url = make_url(db.url).set(host="127.0.0.1", port=proxy.port)
    return dataclasses.replace(db, url=url.render_as_string(hide_password=False))


@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_a_server_rides_out_the_database_going_away(fresh_db: Database, tmp_path: Path) -> None:
    url = make_url(fresh_db.url or "")
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).start()
    server = ServerProcess(_through(fresh_db, proxy)).start()
    agent = None
    try:
        ssm = boto3_client(server.endpoint)
        activation_id, code = activation(ssm)
        agent = AgentProcess.register(server.endpoint, activation_id, code, tmp_path / "agent")
        agent.start()
        go = tmp_path / "go"
        command_id = ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[agent.instance_id],
            Parameters={"commands": [f"while [ ! -e {go} ]; do sleep 0.1; done", "echo done"]},
        )["Command"]["CommandId"]
        wait_for(
            lambda: (
                ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "InProgress"
            ),
            what="the command to start",
        )

        proxy.cut()
        go.touch()  # the command ends while its result cannot be recorded
        with pytest.raises(botocore.exceptions.ClientError) as failed:
            ssm.describe_maintenance_windows()
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert httpx.get(f"{server.endpoint}/health").status_code == 200
        wait_for(lambda: "lost the server" in "".join(agent.log), what="the agent to notice")

        proxy.restore()
        done = wait_for(lambda: command_done(ssm, command_id), seconds=60, what="the result")
        assert done["Status"] == "Success"
        output = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
        assert output["StandardOutputContent"] == "done\n"
        assert server.process is not None
        assert server.process.poll() is None
    finally:
        if agent is not None:
            agent.kill()
        server.kill()
        proxy.stop()
