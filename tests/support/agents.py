"""Real `transom agent` processes on this machine, each with its own state directory."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def transom_agent(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`transom agent ARGS`, given `stdin` (an activation code, as registration reads it)."""
    return subprocess.run(
        [sys.executable, "-m", "transom", "agent", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class AgentProcess:
    """`transom agent run` for the node registered in `state_dir` (with more `args`)."""

    state_dir: Path
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)

    @classmethod
    def register(cls, server: str, activation_id: str, code: str, state_dir: Path) -> AgentProcess:
        done = transom_agent(
            "register",
            "--server",
            server,
            "--id",
            activation_id,
            "--state-dir",
            str(state_dir),
            stdin=code,
        )
        assert done.returncode == 0, done.stderr
        return cls(state_dir)

    @property
    def instance_id(self) -> str:
        import json

        return str(json.loads((self.state_dir / "registration.json").read_text())["instance_id"])

    def start(self) -> AgentProcess:
        self.log = []
        command = [sys.executable, "-m", "transom", "agent", "run", "--state-dir"]
        self.process = subprocess.Popen(
            [*command, str(self.state_dir), *self.args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stderr,), daemon=True)
        self._reader.start()
        return self

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.log.append(line)
        stream.close()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `signum` and wait up to `timeout` seconds; return the exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
            self._reader.join(timeout=5)
