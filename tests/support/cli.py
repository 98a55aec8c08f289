"""Running the real `aws` CLI against a server, and `transom` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.servers import Database, aws_cli_env, aws_executable


class AwsCli:
    def __init__(self, endpoint: str, home: Path, service: str = "ssm") -> None:
        self.endpoint = endpoint
        self.env = aws_cli_env(home)
        self.service = service

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                aws_executable(),
                self.service,
                *args,
                "--endpoint-url",
                self.endpoint,
                "--output",
                "json",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def __call__(self, *args: str) -> Any:
        """Run `aws SERVICE ARGS` and return its decoded JSON output; fail on a non-zero exit."""
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None


def transom(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m transom ARGS` in a process of its own; its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "transom", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def transom_here(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `transom ARGS` command in this process (faster to start), as `transom` does."""
    from click.testing import CliRunner

    from transom.cli.main import main

    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def transom_window_run(
    *args: str, env: dict[str, str], ok: int = 0
) -> subprocess.CompletedProcess[str]:
    """`transom window run ARGS`, checked to exit with `ok` and print no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "transom", "window", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == ok, (done.stdout, done.stderr)
    return done


def transom_on(
    db: Database, *args: str, ok: bool = True, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `python -m transom ARGS` on `db` (its --data-dir and --database-url), feeding it
    `stdin`; fail unless it exits 0 exactly when `ok`."""
    done = subprocess.run(
        [sys.executable, "-m", "transom", *args, *db.cli_args()],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode == 0) is ok, done.stderr
    return done
