"""`transom events tail` against a real server, with events appended to its outbox."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import IO, Any

from tests.support.outbox import append, markers, window_event
from tests.support.servers import Database, ServerProcess, aws_cli_env
from tests.support.waiting import wait_for
from transom.domain.events import TRANSOM


class Tail:
    """A `transom events tail` child process and the JSON lines it has printed so far."""

    def __init__(self, endpoint: str, env: dict[str, str], *args: str) -> None:
        self.lines: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "transom", "events", "tail", "--endpoint-url", endpoint, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(json.loads(line))

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; the exit code and what it wrote on stderr."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=30)
        self._reader.join(timeout=5)
        return self.process.returncode, stderr


def test_tail_prints_each_matching_event_as_a_json_line_until_ctrl_c(
    server: ServerProcess, backend_db: Database, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    pattern = json.dumps({"source": ["aws.ssm"], "detail": {"marker": [marker, "ready"]}})
    tail = Tail(server.endpoint, aws_cli_env(tmp_path), "--pattern", pattern)
    try:

        def printing() -> bool:
            append(backend_db, window_event("READY", "ready"))
            return bool(tail.lines)

        wait_for(printing, seconds=30, what="tail to print its first event", every=0.3)
        append(backend_db, window_event("SUCCESS", f"not-{marker}"))
        append(backend_db, window_event("FAILED", marker, source=TRANSOM))
        append(backend_db, window_event("IN_PROGRESS", marker), window_event("FAILED", marker))

        def seen() -> list[tuple[str, str]]:
            ours = [line for line in tail.lines if line["detail"]["marker"] == marker]
            return markers(ours) if len(ours) >= 2 else []

        assert wait_for(seen, seconds=30, what="tail to print the events") == [
            ("IN_PROGRESS", marker),
            ("FAILED", marker),
        ]
        assert all(line["source"] == "aws.ssm" for line in tail.lines)
    finally:
        code, stderr = tail.interrupt()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_tail_refuses_an_invalid_pattern_saying_why(server: ServerProcess, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "transom", "events", "tail"),
            *("--endpoint-url", server.endpoint, "--pattern", '{"source": "aws.ssm"}'),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=aws_cli_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 2
    assert "InvalidEventPatternException" in done.stderr
    assert '"source" must be an object or an array' in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
