"""Two replicas on one PostgreSQL schema tell each other of new work: a command sent, or a
window run started, through replica B reaches a real agent long-polling replica A at once,
also after A's listening connection was killed. Both run with `--recheck-seconds 60`, and
each piece of work is given while the agent's poll at A has just begun (it waits 20 s): only
B's announcement can explain it arriving within `PROMPT` seconds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess
from tests.support.balancer import Replicas
from tests.support.cli import transom_window_run
from tests.support.commands import command_done
from tests.support.listeners import kill_listeners
from tests.support.nodes import activation
from tests.support.servers import Database, aws_cli_env, boto3_client
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True),
    pytest.mark.timeout(240),
]
PROMPT = 10.0
"""Seconds within which work must reach the agent: half its poll's wait, a sixth of the
re-check."""


class Pair:
    """Replicas A and B, and an agent registered with (and polling) A, tagged `fleet`."""

    def __init__(self, db: Database, tmp: Path) -> None:
        self.replicas = Replicas(db, ["--recheck-seconds", "60"]).start(2)
        self.a, self.b = self.replicas.servers
        self.ssm_a, self.ssm_b = boto3_client(self.a.endpoint), boto3_client(self.b.endpoint)
        self.fleet = f"wake-{uuid.uuid4().hex[:8]}"
        activation_id, code = activation(self.ssm_a, Tags=[{"Key": "Fleet", "Value": self.fleet}])
        self.agent = AgentProcess.register(self.a.endpoint, activation_id, code, tmp / "agent")
        self.agent.start()

    def run(self, ssm: Any, seconds: float) -> None:
        """Run `true` on the agent through `ssm`; it must succeed within `seconds`."""
        command_id = ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[self.agent.instance_id],
            Parameters={"commands": ["true"]},
        )["Command"]["CommandId"]
        done = wait_for(lambda: command_done(ssm, command_id), seconds=seconds, what="the command")
        assert done["Status"] == "Success"

    def close(self) -> None:
        self.agent.kill()
        self.replicas.kill_all()


@pytest.fixture
def pair(fresh_db: Database, tmp_path: Path) -> Iterator[Pair]:
    made = Pair(fresh_db, tmp_path)
    try:
        made.run(made.ssm_a, 60)  # the agent is polling A, its poll just begun
        yield made
    finally:
        made.close()


def _ended(ssm: Any, execution_id: str) -> str | None:
    """The window execution's status once it has ended; None before."""
    status = str(ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)["Status"])
    return None if status in ("PENDING", "IN_PROGRESS") else status


def test_a_command_sent_through_b_reaches_an_agent_polling_a_at_once(pair: Pair) -> None:
    for _ in range(3):  # each result rides a new poll at A, which then waits
        pair.run(pair.ssm_b, PROMPT)


def test_a_window_run_started_through_b_reaches_an_agent_polling_a_at_once(
    pair: Pair, tmp_path: Path
) -> None:
    """Whichever replica's engine starts the run and sends its command, the agent hears of it;
    three runs, so that B's engine sends at least one in all likelihood."""
    window_id = shell_window(pair.ssm_b, "cron(0 4 ? * SUN *)", ("Fleet", pair.fleet), ["true"])
    env = aws_cli_env(tmp_path)
    for _ in range(3):
        execution_id = transom_window_run(
            window_id, "--endpoint-url", pair.b.endpoint, env=env
        ).stdout.strip()

        ended = partial(_ended, pair.ssm_b, execution_id)
        assert wait_for(ended, seconds=PROMPT, what="the window run") == "SUCCESS"


def test_work_reaches_the_agent_at_once_after_a_listeners_connection_is_killed(
    pair: Pair,
) -> None:
    """A's listener reconnects, and looks for what was announced while it could not hear."""
    for _ in range(2):
        assert kill_listeners(pair.replicas.db) == 2  # A's and B's
        pair.run(pair.ssm_b, PROMPT)
    log = pair.a.log
    wait_for(lambda: any("listening for other replicas' changes again" in line for line in log))
    assert any("lost the connection that hears other replicas' changes" in line for line in log)
