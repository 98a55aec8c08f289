"""A misspelt status fails the type checker: `mypy --strict` on lines that name each
vocabulary rightly and wrongly reports exactly the wrong ones (about a second, cold cache).

mypy runs in its own process: in this one it would raise the recursion limit and retune the
garbage collector for every later test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PRELUDE = """\
from datetime import UTC, datetime
from transom.domain.commands import (
    CommandDetails, CommandStatus, Invocation, InvocationDetails, Outcome
)
from transom.wire import ResultStatus
now = datetime.now(UTC)
"""

# (right, wrong): the same use with a member, then a misspelt member or a bare string
USES = [
    ("InvocationDetails.IN_PROGRESS", "InvocationDetails.IN_PROGRES"),
    ("CommandStatus.TIMED_OUT", "CommandStatus.TIMEDOUT"),
    ("CommandDetails.NO_INSTANCES_IN_TAG", "CommandDetails.NO_INSTANCE_IN_TAG"),
    ("ResultStatus.CANCELLED", "ResultStatus.CANCELED"),
    (
        'Invocation("c", "i", InvocationDetails.PENDING, now)',
        'Invocation("c", "i", "Pendng", now)',
    ),
    (
        'Outcome("c", "l", InvocationDetails.SUCCESS, 0, "", "", now, now)',
        'Outcome("c", "l", "Success", 0, "", "", now, now)',
    ),
]


def test_mypy_refuses_each_misspelt_status_and_accepts_the_right_one(tmp_path: Path) -> None:
    lines = [line for pair in USES for line in pair]
    snippet = PRELUDE + "".join(f"print({line})\n" for line in lines)
    first = PRELUDE.count("\n") + 1
    wrong = {first + n for n in range(1, len(lines), 2)}
    mypy = [sys.executable, "-m", "mypy", "--strict", "--config-file", ""]
    run = subprocess.run(
        [*mypy, "--cache-dir", str(tmp_path), "-c", snippet],
        capture_output=True,
        text=True,
        check=False,
    )
    flagged = {int(line.split(":")[1]) for line in run.stdout.splitlines() if ": error:" in line}
    assert (run.returncode, flagged) == (1, wrong), run.stdout + run.stderr
