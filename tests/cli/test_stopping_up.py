"""SIGTERM and SIGINT stop `transom up` at once, whenever they come, with exit code 0 and
nothing ignored or raised on the way out; the agent of `transom up` never outlives its server."""

from __future__ import annotations

import random
import time
from pathlib import Path

from tests.support.servers import (
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
)
from tests.support.stopping import (
    SIGNALS,
    STOP_SECONDS,
    assert_each_reported_after_running_once,
    assert_stops,
    children,
    logged,
    polling,
    running,
    start_long_command,
)
from tests.support.waiting import wait_for


def test_a_signal_stops_up_and_its_agent_whenever_it_comes(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    commands: dict[str, Path] = {}
    for round in range(10):
        signum = SIGNALS[round % 2]
        since = time.time()
        up = ServerProcess(db, subcommand="up").start()
        try:
            if round % 4 == 0:
                when = "as it says it listens"
            elif round % 4 == 1:
                time.sleep(random.uniform(0, 1))
                when = "as it starts"
            else:
                ssm = boto3_client(up.endpoint)
                node = next(w for line in up.log for w in line.split() if w.startswith("mi-"))
                wait_for(polling(ssm, node, since), what="the agent to poll")
                when = "while its agent long-polls"
                if round % 4 == 3:
                    marker = tmp_path / f"ran-{round}"
                    commands[start_long_command(ssm, node, marker)] = marker
                    when = "while its agent runs a command"
            assert up.process is not None
            agents = children(up.process.pid)
            assert_stops(up.stop, up.log, signum, when)
            assert not [pid for pid in agents if running(pid)], f"the agent outlived up {when}"
        finally:
            up.kill()
    up = ServerProcess(db, subcommand="up").start()
    assert_each_reported_after_running_once(boto3_client(up.endpoint), commands, up.kill)


def test_the_agent_of_up_does_not_outlive_its_server_killed(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    up = ServerProcess(db, subcommand="up").start()
    try:
        node = next(w for line in up.log for w in line.split() if w.startswith("mi-"))
        wait_for(polling(boto3_client(up.endpoint), node, 0), what="the agent to poll")
        assert up.process is not None
        (agent,) = children(up.process.pid)
        up.process.kill()
        up.process.wait(timeout=STOP_SECONDS)
        wait_for(lambda: not running(agent), seconds=STOP_SECONDS, what="the agent to stop")
        wait_for(logged(up.log, "agent stopped"), seconds=STOP_SECONDS, what="its last words")
    finally:
        up.kill()
