"""Running the real `aws` CLI against a server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.servers import aws_cli_env, aws_executable


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
