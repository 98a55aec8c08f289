"""SIGTERM and SIGINT stop `transom up` at once, whenever they come, with exit code 0 and
nothing ignored or raised on the way out; the agent of `transom up` never outlives its server."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

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

MOMENTS = (
    "as it says it listens",
    "as it starts",
    "while its agent long-polls",
    "while its agent runs a command",
)
"""When the signal comes. Each moment with each signal is a test of its own, so each has
the whole per-test timeout (ten rounds in one test took 52 s of the 120 s on a machine with
a load of 13, and once ran out on a busier one)."""


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda signum: signum.name)
@pytest.mark.parametrize("when", MOMENTS)
def test_a_signal_stops_up_and_its_agent_whenever_it_comes(
    when: str, signum: signal.Signals, tmp_path: Path
) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    commands: dict[str, Path] = {}
    since = time.time()
    up = ServerProcess(db, subcommand="up").start()
    try:
        if when == "as it starts":
            time.sleep(random.uniform(0, 1))
        elif when != "as it says it listens":
            ssm = boto3_client(up.endpoint)
            node = next(w for line in up.log for w in line.split() if w.startswith("mi-"))
            wait_for(polling(ssm, node, since), what="the agent to poll")
            if when == "while its agent runs a command":
                marker = tmp_path / "ran"
                commands[start_long_command(ssm, node, marker)] = marker
        assert up.process is not None
        agents = children(up.process.pid)
        assert_stops(up.stop, up.log, signum, when)
        assert not [pid for pid in agents if running(pid)], f"the agent outlived up {when}"
    finally:
        up.kill()
    if commands:
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
