"""HAProxy running the README's example config (`contrib/haproxy.cfg`) in front of two
replicas on one PostgreSQL database: boto3 and a real agent talk to the balancer only. A long
poll lasts its whole wait through it, and with either replica killed (SIGKILL), API calls and
the agent carry on through the other."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.support.agents import AgentProcess
from tests.support.balancer import CONFIG, Balancer, Replicas, render
from tests.support.chaos import PATIENT
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import Database, boto3_client
from tests.support.signing import signed_get
from tests.support.waiting import wait_for
from transom.api.rest import MAX_WAIT_SECONDS as EVENTS_WAIT
from transom.wire import MAX_WAIT_SECONDS as POLL_WAIT

NOTHING = json.dumps({"source": ["nothing.matches"]})


def test_the_example_waits_longer_than_any_long_poll_and_the_tests_change_only_addresses() -> None:
    example = CONFIG.read_text()
    rendered = render(example, 8000, [8001, 8002])
    timeouts = dict(re.findall(r"^\s*timeout (client|server) (\d+)s$", rendered, re.MULTILINE))
    assert set(timeouts) == {"client", "server"}
    assert min(int(t) for t in timeouts.values()) > max(POLL_WAIT, EVENTS_WAIT)
    changed = set(example.splitlines()) ^ set(rendered.splitlines())
    assert changed
    assert all(re.match(r"\s*(bind|server) ", line) for line in changed)
    assert "server transom2 127.0.0.1:8002" in rendered


def _run(ssm: Any, instance_id: str, text: str) -> str:
    """Run `echo text` on the node through Run Command; its output once it succeeded."""
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[instance_id],
        Parameters={"commands": [f"echo {text}"]},
    )["Command"]["CommandId"]
    done = wait_for(lambda: command_done(ssm, command_id), seconds=60, what=f"'{text}'")
    assert done["Status"] == "Success"
    output = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    return str(output["StandardOutputContent"])


@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_boto3_and_an_agent_carry_on_through_the_balancer_when_a_replica_dies(
    fresh_db: Database, tmp_path: Path
) -> None:
    replicas = Replicas(fresh_db).start(2)
    balancer = Balancer(tmp_path, replicas.ports)
    agent = None
    try:
        balancer.start()
        ssm = boto3_client(balancer.url, config=PATIENT)
        with ThreadPoolExecutor(1) as pool:
            params = {"wait": str(int(EVENTS_WAIT)), "pattern": NOTHING}
            query = urlencode(params, quote_via=quote)
            long_poll = pool.submit(signed_get, f"{balancer.url}/v1/events?{query}")
            activation_id, code = activation(ssm)
            agent = AgentProcess.register(balancer.url, activation_id, code, tmp_path / "agent")
            agent.start()
            assert _run(ssm, agent.instance_id, "first") == "first\n"
            answer = long_poll.result()
        assert (answer.status_code, answer.json()["events"]) == (200, [])
        replicas.kill(0)
        assert _run(ssm, agent.instance_id, "without-the-first") == "without-the-first\n"
        replicas.restart(0)
        replicas.kill(1)  # the balancer may not use the first again yet: clients retry
        assert _run(ssm, agent.instance_id, "without-the-second") == "without-the-second\n"
        [node] = ssm.describe_instance_information()["InstanceInformationList"]
        assert node["PingStatus"] == "Online"
    finally:
        if agent is not None:
            agent.kill()
        balancer.stop()
        replicas.kill_all()
