"""What the stopping tests share (`tests/cli/test_stopping_*.py`): sending a signal and
checking the process stopped at once and cleanly, and waiting for the moments to send it in."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.support.commands import command_done
from tests.support.waiting import wait_for

STOP_SECONDS = 5.0
"""How long a process may take to stop after the signal."""
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def assert_stops(
    stop: Callable[[int, float], int], log: list[str], signum: signal.Signals, when: str
) -> None:
    try:
        code = stop(signum, STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_SECONDS:g} s after {signum.name} {when}:\n{''.join(log)}")
    output = "".join(log)
    assert code == 0, f"{signum.name} {when}: exit code {code}\n{output}"
    assert "Exception ignored" not in output, f"{signum.name} {when}:\n{output}"
    assert "Traceback" not in output, f"{signum.name} {when}:\n{output}"


def logged(log: list[str], text: str) -> Callable[[], bool]:
    return lambda: any(text in line for line in log)


def polling(ssm: Any, instance_id: str, since: float) -> Callable[[], bool]:
    """Whether the node has polled since `since` (its first poll, which waits at the server
    since no work is due, writes its ping time as it arrives)."""

    def check() -> bool:
        (node,) = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
        )["InstanceInformationList"]
        return bool(node["LastPingDateTime"].timestamp() >= since)

    return check


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (orphans may stay unreaped here)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_long_command(ssm: Any, instance_id: str, marker: Path) -> str:
    """A command that notes that it ran in `marker` and then sleeps; wait until it runs."""
    command_id = str(
        ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": [f"echo ran >> {marker}", "sleep 60"]},
        )["Command"]["CommandId"]
    )
    wait_for(marker.exists, what="the command to start")
    return command_id


def assert_each_reported_after_running_once(
    ssm: Any, commands: dict[str, Path], stop: Callable[[], None]
) -> None:
    """Each command ran once, and its agent reported it stopped (now or from its spool)."""
    try:
        for command_id, marker in commands.items():
            command = wait_for(partial(command_done, ssm, command_id), what="the report")
            assert command["Status"] == "Failed", command
            assert marker.read_text() == "ran\n"
    finally:
        stop()
