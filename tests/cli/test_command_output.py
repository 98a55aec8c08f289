"""`transom command output` as a real process: an API client of a server on another data
directory, printing the whole output through the link GetCommandInvocation gives."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.support.commands import reported
from tests.support.servers import ServerProcess, aws_cli_env

STDOUT = "".join(f"{n:06d} {'x' * 40}\n" for n in range(1000))  # 48,000 chars
STDERR = "e" * 9000 + "\n"


def _output(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`transom command output ARGS` with the test key in its environment and a data
    directory of its own (empty: it reads none)."""
    env = aws_cli_env(tmp_path) | {"XDG_DATA_HOME": str(tmp_path / "no-data")}
    return subprocess.run(
        [sys.executable, "-m", "transom", "command", "output", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_it_prints_the_whole_output_and_exits_by_the_invocations_status(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    succeeded, (node,) = reported(ssm, server.endpoint, STDOUT, STDERR)
    failed, (other,) = reported(ssm, server.endpoint, "half\n", "broke\n", "Failed")
    where = ("--endpoint-url", server.endpoint)

    out = _output(tmp_path, succeeded, *where)
    err = _output(tmp_path, succeeded, "--instance-id", node, "--stderr", *where)
    named = _output(tmp_path, succeeded, "--plugin", "aws:runShellScript", *where)
    broke = _output(tmp_path, failed, *where)

    assert (out.returncode, out.stdout, out.stderr) == (0, STDOUT, "")
    assert (err.returncode, err.stdout) == (0, STDERR)
    assert (named.returncode, named.stdout) == (0, STDOUT)
    assert (broke.returncode, broke.stdout) == (1, "half\n")
    assert other != node


def test_usage_and_api_errors_exit_2_with_one_line(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    command_id, nodes = reported(ssm, server.endpoint, "a\n", "", nodes=2)
    where = ("--endpoint-url", server.endpoint)

    several = _output(tmp_path, command_id, *where)
    unknown = _output(tmp_path, str(uuid.uuid4()), "--instance-id", nodes[0], *where)
    bad_step = _output(tmp_path, command_id, "--instance-id", nodes[0], "--plugin", "step2", *where)
    nowhere = _output(tmp_path, command_id)

    assert [p.returncode for p in (several, unknown, bad_step, nowhere)] == [2, 2, 2, 2]
    assert "ran on 2 nodes: pass --instance-id, one of mi-" in several.stderr
    assert all(node in several.stderr for node in nodes)
    assert unknown.stderr.startswith("Error: InvocationDoesNotExist: ")
    assert bad_step.stderr.startswith("Error: InvalidPluginName: ")
    assert "no endpoint" in nowhere.stderr
    assert all(p.stdout == "" for p in (several, unknown, bad_step, nowhere))
