"""SIGTERM and SIGINT stop `transom agent run` at once, whenever they come, with exit code 0
and nothing ignored or raised on the way out; an agent its server no longer knows stops by
itself."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import (
    ServerProcess,
)
from tests.support.stopping import (
    SIGNALS,
    STOP_SECONDS,
    assert_each_reported_after_running_once,
    assert_stops,
    logged,
    polling,
    start_long_command,
)
from tests.support.waiting import wait_for


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
