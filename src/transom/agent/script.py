"""Running one work item: the document's commands as one script in its own process group,
with the execution timeout and cancellation enforced by killing the whole group. Its output
streams to files, cut at `OUTPUT_LIMIT` bytes each, so a command's output never costs the
agent more memory than that."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import IO

from transom.wire import MAX_OUTPUT_CHARS, InvocationResult, ResultStatus, WorkItem

OUTPUT_LIMIT = MAX_OUTPUT_CHARS
"""Bytes kept per stream (so at most as many characters); more is cut with a note (the API
shows 24,000/8,000 characters anyway, `transom command output` all that was kept)."""
_CHUNK = 64 * 1024
_POLL = 0.2
_KILL_GRACE = 2.0


def _command_line(item: WorkItem, script: Path) -> list[str] | str:
    """The argv that runs the script, or a reason it cannot run here."""
    if item.plugin_name == "aws:runPowerShellScript":
        pwsh = shutil.which("pwsh")
        if pwsh is None:
            return (
                "pwsh (PowerShell) is not installed on this node; install it to run this document."
            )
        return [pwsh, "-NoProfile", "-NonInteractive", "-File", str(script)]
    return ["/bin/sh", str(script)]


class _Capture:
    """One output stream of the script copied to a file as it comes, the first
    `OUTPUT_LIMIT` bytes kept and the rest counted, so output of any size costs a bounded
    buffer and file."""

    def __init__(self, pipe: IO[bytes], path: Path) -> None:
        self._pipe = pipe
        self._path = path
        self._total = 0
        self._thread = threading.Thread(target=self._copy, daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, self._pipe:
            while chunk := os.read(self._pipe.fileno(), _CHUNK):
                room = OUTPUT_LIMIT - self._total
                if room > 0:
                    out.write(chunk[:room])
                self._total += len(chunk)

    def closed(self, seconds: float) -> bool:
        """Whether the stream is closed, waiting up to `seconds` for it."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def text(self) -> str:
        """What was kept (with a note when more was cut), once the stream is closed; the
        file is removed."""
        self._thread.join()
        text = self._path.read_bytes().decode(errors="replace")
        self._path.unlink()
        if self._total > OUTPUT_LIMIT:
            text += f"\n[output cut at {OUTPUT_LIMIT} bytes of {self._total}]\n"
        return text


def _ended(process: subprocess.Popen[bytes], outputs: tuple[_Capture, ...], seconds: float) -> bool:
    """Whether the script ended and its outputs closed, waiting up to `seconds` for it."""
    deadline = time.monotonic() + seconds
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return all(o.closed(max(0.0, deadline - time.monotonic())) for o in outputs)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, _KILL_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        if wait is None:
            return
        try:
            process.wait(timeout=wait)
            os.killpg(process.pid, signal.SIGKILL)  # children that outlive the shell
            return
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue


def run_item(item: WorkItem, workdir: Path, cancel: threading.Event) -> InvocationResult:
    """Run `item` to its end, its timeout or `cancel`; the final result. The script and the
    output files live in `workdir` (made 0700) while it runs, and are removed after."""
    started = time.time()
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = ".ps1" if item.plugin_name == "aws:runPowerShellScript" else ".sh"
    script = workdir / f"script{suffix}"
    fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(item.commands) + "\n")
    try:
        status, code, stdout, stderr = _run(item, script, workdir, cancel)
    finally:
        script.unlink(missing_ok=True)
        with suppress(OSError):
            workdir.rmdir()  # unless the commands left files in it (their default cwd)
    return InvocationResult(
        item.command_id, item.lease, status, code, stdout, stderr, started, time.time()
    )


def _run(
    item: WorkItem, script: Path, workdir: Path, cancel: threading.Event
) -> tuple[ResultStatus, int, str, str]:
    argv = _command_line(item, script)
    if isinstance(argv, str):
        return ResultStatus.FAILED, -1, "", argv
    cwd = item.working_directory or str(workdir)
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return ResultStatus.FAILED, -1, "", f"could not start {argv[0]} in {cwd}: {exc.strerror}"
    assert process.stdout is not None
    assert process.stderr is not None
    outputs = (
        _Capture(process.stdout, workdir / "stdout"),
        _Capture(process.stderr, workdir / "stderr"),
    )
    deadline = time.monotonic() + item.execution_timeout
    outcome: ResultStatus | None = None  # Cancelled or TimedOut once the script is stopped
    # until the script ended and closed its output (a child it left may still hold it)
    while not _ended(process, outputs, _POLL):
        if cancel.is_set():
            outcome = ResultStatus.CANCELLED
        elif time.monotonic() >= deadline:
            outcome = ResultStatus.TIMED_OUT
        else:
            continue
        _kill_group(process)
        break
    process.wait()
    stdout, stderr = (o.text() for o in outputs)
    if outcome is ResultStatus.TIMED_OUT:
        note = (
            f"\nExecution timed out after {item.execution_timeout} seconds; "
            "the command was stopped.\n"
        )
        return outcome, process.returncode, stdout, stderr + note
    if outcome is None:
        outcome = ResultStatus.SUCCESS if process.returncode == 0 else ResultStatus.FAILED
    return outcome, process.returncode, stdout, stderr
