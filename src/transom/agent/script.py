"""Running one work item: its steps in order, each step's commands as one script in its own
process group, with the step's execution timeout and cancellation enforced by killing the
whole group.

What runs, step by step (SSM's rule for Command documents):

- A step whose precondition names another platform type than this node's is Skipped.
- After a step fails (or times out), the next steps run unless its `onFailure` is `exit` or
  `successAndExit` (then the step counts as a Success, exit code kept); after a success, they
  run unless its `onSuccess` is `exit`. The steps an exit passes over are Skipped, except a
  `finallyStep`. Once cancelled, the step running and the steps after it are Cancelled.
- An exit code of `REBOOT_EXIT_CODE` asks for a reboot. Only an agent started with
  `--allow-reboot` reboots (the step is a Success, the steps after it are skipped, and the
  node reboots once the result is spooled); any other ends the step Failed, saying so.
- The invocation's status is the worst of its steps' (Skipped < Success < Failed <
  Cancelled < TimedOut; all Skipped is Success), its exit code the last run step's.
- Each stream's output is cut at `OUTPUT_LIMIT` bytes over all steps together: the steps
  after the cut keep none of it. Output streams to files as it comes (the rest is counted,
  not kept), so a step's output never costs the agent more memory than that; a step's script
  (0600, in a 0700 folder) and its output files are removed when the step ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from transom.wire import (
    MAX_OUTPUT_CHARS,
    InvocationResult,
    PluginResult,
    PluginStatus,
    ResultStatus,
    StepItem,
    WorkItem,
)

OUTPUT_LIMIT = MAX_OUTPUT_CHARS
"""Bytes kept per stream over an item's steps (so at most as many characters); more is cut
with a note (the API shows 24,000/8,000 characters anyway, `transom command output` all
that was kept)."""
_CHUNK = 64 * 1024
_POLL = 0.2
_KILL_GRACE = 2.0
REBOOT_EXIT_CODE = 3010 if sys.platform == "win32" else 194
"""The exit code by which a script asks for a reboot (Run Command's: 194 on Linux and macOS,
3010 on Windows)."""
_WORST = (
    PluginStatus.SKIPPED,
    PluginStatus.SUCCESS,
    PluginStatus.FAILED,
    PluginStatus.CANCELLED,
    PluginStatus.TIMED_OUT,
)
_STATUS_OF_PLUGIN = {
    PluginStatus.SKIPPED: ResultStatus.SUCCESS,
    PluginStatus.SUCCESS: ResultStatus.SUCCESS,
    PluginStatus.FAILED: ResultStatus.FAILED,
    PluginStatus.CANCELLED: ResultStatus.CANCELLED,
    PluginStatus.TIMED_OUT: ResultStatus.TIMED_OUT,
}


def _command_line(step: StepItem, script: Path) -> list[str] | str:
    """The argv that runs the script, or a reason it cannot run here."""
    if step.plugin_name == "aws:runPowerShellScript":
        pwsh = shutil.which("pwsh")
        if pwsh is None:
            return (
                "pwsh (PowerShell) is not installed on this node; install it to run this document."
            )
        return [pwsh, "-NoProfile", "-NonInteractive", "-File", str(script)]
    return ["/bin/sh", str(script)]


class _Budget:
    """What is left of one stream's `OUTPUT_LIMIT` over the steps of an item."""

    def __init__(self) -> None:
        self.left = OUTPUT_LIMIT
        self.spent = False  # the cut was made: later steps keep nothing


class _Capture:
    """One output stream of a step's script copied to a file as it comes, what is left of
    `budget` kept and the rest counted, so output of any size costs a bounded buffer and
    file."""

    def __init__(self, pipe: IO[bytes], path: Path, budget: _Budget) -> None:
        self._pipe = pipe
        self._path = path
        self._budget = budget
        self._room = 0 if budget.spent else budget.left
        self._total = 0
        self._thread = threading.Thread(target=self._copy, daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, self._pipe:
            while chunk := os.read(self._pipe.fileno(), _CHUNK):
                room = self._room - self._total
                if room > 0:
                    out.write(chunk[:room])
                self._total += len(chunk)

    def closed(self, seconds: float) -> bool:
        """Whether the stream is closed, waiting up to `seconds` for it."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def text(self) -> str:
        """What was kept (with a note at the cut), once the stream is closed; the file is
        removed and the budget spent by as much."""
        self._thread.join()
        text = self._path.read_bytes().decode(errors="replace")
        self._path.unlink()
        if self._budget.spent:
            return ""
        if self._total <= self._room:
            self._budget.left -= self._total
            return text
        self._budget.spent = True
        return text + f"\n[output cut at {OUTPUT_LIMIT} bytes over the steps]\n"


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


@dataclass(frozen=True)
class Ran:
    """An item's final result, and whether a step asked for a reboot this agent allows."""

    result: InvocationResult
    reboot: bool = False


def run_item(
    item: WorkItem,
    workdir: Path,
    cancel: threading.Event,
    platform_type: str = "Linux",
    allow_reboot: bool = False,
) -> Ran:
    """Run `item`'s steps by the rule above on a node of `platform_type`; the final result.
    The steps' scripts and output files live in `workdir` (made 0700) while they run."""
    started = time.time()
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    plugins: list[PluginResult] = []
    out, err = _Budget(), _Budget()
    exited_by = ""  # the step whose onFailure or onSuccess skips the rest
    reboot = False
    for index, step in enumerate(item.steps):
        now = time.time()
        if cancel.is_set():
            plugins.append(PluginResult(step.name, PluginStatus.CANCELLED, -1, "", "", now, now))
            continue
        skip = _skip_reason(step, exited_by, platform_type)
        if skip:
            plugins.append(PluginResult(step.name, PluginStatus.SKIPPED, 0, skip, "", now, now))
            continue
        status, code, stdout, stderr = _run_step(step, workdir, index, cancel, (out, err))
        if code == REBOOT_EXIT_CODE and status in (PluginStatus.SUCCESS, PluginStatus.FAILED):
            if allow_reboot:
                status, reboot = PluginStatus.SUCCESS, True
                exited_by = exited_by or step.name
                stderr += f"\nExit code {code} asks for a reboot: the node reboots now.\n"
            else:
                status = PluginStatus.FAILED
                stderr += (
                    f"\nExit code {code} asks for a reboot, and this agent reboots only when "
                    "started with --allow-reboot (transom agent run --allow-reboot); "
                    "the node was not rebooted.\n"
                )
        if status in (PluginStatus.FAILED, PluginStatus.TIMED_OUT):
            if step.on_failure == "successAndExit" and status is PluginStatus.FAILED:
                status = PluginStatus.SUCCESS
            if step.on_failure in ("exit", "successAndExit"):
                exited_by = exited_by or step.name
        elif status is PluginStatus.SUCCESS and step.exit_on_success:
            exited_by = exited_by or step.name
        finished = time.time()
        plugins.append(PluginResult(step.name, status, code, stdout, stderr, now, finished))
    with suppress(OSError):
        workdir.rmdir()  # unless the commands left files in it (their default cwd)
    ran = [p for p in plugins if p.status is not PluginStatus.SKIPPED]
    worst = max((p.status for p in plugins), key=_WORST.index, default=PluginStatus.SKIPPED)
    result = InvocationResult(
        item.command_id,
        item.lease,
        _STATUS_OF_PLUGIN[worst],
        ran[-1].response_code if ran else 0,
        "",
        "",
        started,
        time.time(),
        plugins,
    )
    return Ran(result, reboot)


def _skip_reason(step: StepItem, exited_by: str, platform_type: str) -> str:
    """Why `step` is skipped ("" when it runs)."""
    if exited_by and not step.finally_step:
        return (
            f"Step execution skipped: step {exited_by} ended the run "
            "(its onFailure or onSuccess says exit)."
        )
    if step.platform_type and step.platform_type.lower() != platform_type.lower():
        return (
            f"Step execution skipped due to its precondition: platformType {step.platform_type}, "
            f"and this node is {platform_type}."
        )
    return ""


def _run_step(
    step: StepItem,
    workdir: Path,
    index: int,
    cancel: threading.Event,
    budgets: tuple[_Budget, _Budget],
) -> tuple[PluginStatus, int, str, str]:
    """Run step `index` to its end, its timeout or `cancel`: (status, exit code, stdout,
    stderr, each cut to what is left of its budget). Its script and output files are in
    `workdir/<index>/` until it ends; it runs in its working directory, by default `workdir`
    (the item's, for every step)."""
    folder = workdir / str(index)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = ".ps1" if step.plugin_name == "aws:runPowerShellScript" else ".sh"
    script = folder / f"script{suffix}"
    fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(step.commands) + "\n")
    try:
        return _run_script(step, script, workdir, cancel, budgets)
    finally:
        script.unlink(missing_ok=True)
        with suppress(OSError):
            folder.rmdir()


def _run_script(
    step: StepItem,
    script: Path,
    workdir: Path,
    cancel: threading.Event,
    budgets: tuple[_Budget, _Budget],
) -> tuple[PluginStatus, int, str, str]:
    argv = _command_line(step, script)
    if isinstance(argv, str):
        return PluginStatus.FAILED, -1, "", argv
    cwd = step.working_directory or str(workdir)
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
        return PluginStatus.FAILED, -1, "", f"could not start {argv[0]} in {cwd}: {exc.strerror}"
    assert process.stdout is not None
    assert process.stderr is not None
    folder = script.parent
    outputs = (
        _Capture(process.stdout, folder / "stdout", budgets[0]),
        _Capture(process.stderr, folder / "stderr", budgets[1]),
    )
    deadline = time.monotonic() + step.execution_timeout
    outcome: PluginStatus | None = None  # Cancelled or TimedOut once the script is stopped
    # until the script ended and closed its output (a child it left may still hold it)
    while not _ended(process, outputs, _POLL):
        if cancel.is_set():
            outcome = PluginStatus.CANCELLED
        elif time.monotonic() >= deadline:
            outcome = PluginStatus.TIMED_OUT
        else:
            continue
        _kill_group(process)
        break
    process.wait()
    stdout, stderr = (o.text() for o in outputs)
    if outcome is PluginStatus.TIMED_OUT:
        stderr += (
            f"\nExecution timed out after {step.execution_timeout} seconds; "
            "the command was stopped.\n"
        )
    if outcome is None:
        outcome = PluginStatus.SUCCESS if process.returncode == 0 else PluginStatus.FAILED
    return outcome, process.returncode, stdout, stderr


def stopped(result: InvocationResult, note: str) -> InvocationResult:
    """`result` of an item cancelled because the agent stopped: Failed, and its cancelled
    steps Failed too, the first saying `note`."""
    plugins: list[PluginResult] = []
    noted = False
    for plugin in result.plugins:
        changed = plugin
        if plugin.status is PluginStatus.CANCELLED:
            stderr = plugin.stderr + ("" if noted else note)
            changed, noted = replace(plugin, status=PluginStatus.FAILED, stderr=stderr), True
        plugins.append(changed)
    return replace(result, status=ResultStatus.FAILED, plugins=plugins)
