"""SIGTERM and SIGINT stop `transom server` at once, whenever they come, with exit code 0
and nothing ignored or raised on the way out."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    boto3_client,
    free_port,
)
from tests.support.stopping import (
    SIGNALS,
    assert_stops,
    polling,
)
from tests.support.waiting import wait_for


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
