"""Running one work item: the document's commands as one script in its own process group,
with the execution timeout and cancellation enforced by killing the whole group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from transom.wire import MAX_OUTPUT_CHARS, InvocationResult, ResultStatus, WorkItem

OUTPUT_LIMIT = MAX_OUTPUT_CHARS
"""Characters kept per stream; more is cut with a note (the API shows 24,000/8,000 anyway)."""
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


def _cut(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT:
        return text
    return text[:OUTPUT_LIMIT] + f"\n[output cut at {OUTPUT_LIMIT} characters]\n"


def _kill_group(process: subprocess.Popen[str]) -> None:
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
    """Run `item` to its end, its timeout or `cancel`; the final result."""
    started = time.time()
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = ".ps1" if item.plugin_name == "aws:runPowerShellScript" else ".sh"
    script = workdir / f"script{suffix}"
    script.write_text("\n".join(item.commands) + "\n")

    def result(status: ResultStatus, code: int, stdout: str, stderr: str) -> InvocationResult:
        return InvocationResult(
            item.command_id,
            item.lease,
            status,
            code,
            _cut(stdout),
            _cut(stderr),
            started,
            time.time(),
        )

    argv = _command_line(item, script)
    if isinstance(argv, str):
        return result(ResultStatus.FAILED, -1, "", argv)
    cwd = item.working_directory or str(workdir)
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        return result(
            ResultStatus.FAILED, -1, "", f"could not start {argv[0]} in {cwd}: {exc.strerror}"
        )
    deadline = time.monotonic() + item.execution_timeout
    outcome: ResultStatus | None = None  # Cancelled or TimedOut once the script is stopped
    while True:
        try:
            stdout, stderr = process.communicate(timeout=_POLL)
            break
        except subprocess.TimeoutExpired:
            if cancel.is_set():
                outcome = ResultStatus.CANCELLED
            elif time.monotonic() >= deadline:
                outcome = ResultStatus.TIMED_OUT
            else:
                continue
            _kill_group(process)
            stdout, stderr = process.communicate()
            break
    if outcome is ResultStatus.TIMED_OUT:
        note = (
            f"\nExecution timed out after {item.execution_timeout} seconds; "
            "the command was stopped.\n"
        )
        return result(outcome, process.returncode, stdout, stderr + note)
    if outcome is None:
        outcome = ResultStatus.SUCCESS if process.returncode == 0 else ResultStatus.FAILED
    return result(outcome, process.returncode, stdout, stderr)
