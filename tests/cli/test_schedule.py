"""`transom schedule explain`: the description and the next runs, in the zone and in UTC."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from transom.cli.main import main
from transom.domain.errors import ValidationError
from transom.schedule import parse_schedule


def explain(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["schedule", "explain", *args])
    return result.exit_code, result.output


def test_explain_describes_the_expression_and_lists_runs_with_end_and_cutoff() -> None:
    code, output = explain(
        "cron(30 23 ? * TUE#2 2031)",
        "--tz",
        "Europe/Berlin",
        "--offset",
        "2",
        "-n",
        "2",
        "--duration",
        "4",
        "--cutoff",
        "1",
    )
    assert code == 0, output
    assert output.splitlines() == [
        "At 23:30, on the second Tuesday of the month, in 2031, shifted 2 days later, "
        "in Europe/Berlin",
        "Next 2 runs:",
        "  1. starts  Thu 2031-01-16 23:30 CET   Thu 2031-01-16 22:30 UTC",
        "     ends    Fri 2031-01-17 03:30 CET   Fri 2031-01-17 02:30 UTC",
        "     cutoff  Fri 2031-01-17 02:30 CET   Fri 2031-01-17 01:30 UTC",
        "  2. starts  Thu 2031-02-13 23:30 CET   Thu 2031-02-13 22:30 UTC",
        "     ends    Fri 2031-02-14 03:30 CET   Fri 2031-02-14 02:30 UTC",
        "     cutoff  Fri 2031-02-14 02:30 CET   Fri 2031-02-14 01:30 UTC",
    ]


def test_explain_without_a_duration_lists_only_the_starts_in_utc_once() -> None:
    code, output = explain("cron(0/30 8-9 ? * MON 2031)", "-n", "5")
    assert code == 0, output
    assert output.splitlines() == [
        "Every 30 minutes from 08:00 to 09:30, every Monday, in 2031, in UTC",
        "Next 5 runs:",
        "  1. starts  Mon 2031-01-06 08:00 UTC",
        "  2. starts  Mon 2031-01-06 08:30 UTC",
        "  3. starts  Mon 2031-01-06 09:00 UTC",
        "  4. starts  Mon 2031-01-06 09:30 UTC",
        "  5. starts  Mon 2031-01-13 08:00 UTC",
    ]


def test_explain_says_when_no_run_is_left() -> None:
    code, output = explain("at(2020-01-01T00:00:00)")
    assert code == 0, output
    assert output.splitlines() == ["Once, at 00:00 on 2020-01-01, in UTC", "No upcoming runs."]


def test_a_bad_expression_prints_the_api_message_and_fails() -> None:
    expression = "cron(0 25 ? * TUE *)"
    with pytest.raises(ValidationError) as api:
        parse_schedule(expression)
    done = subprocess.run(
        [sys.executable, "-m", "transom", "schedule", "explain", expression],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == f"Error: {api.value.message}"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["rate(2 days)", "--offset", "2"], "ScheduleOffset can only be used with cron"),
        (["cron(0 2 ? * SUN *)", "--offset", "7"], "ScheduleOffset 7 is out of range 1-6"),
        (["cron(0 2 ? * SUN *)", "--tz", "Mars/Olympus_Mons"], "Mars/Olympus_Mons"),
        (["cron(0 2 ? * SUN *)", "--cutoff", "1"], "--cutoff needs --duration"),
        (["cron(0 2 ? * SUN *)", "--duration", "2", "--cutoff", "2"], "must be smaller than"),
    ],
)
def test_explain_refuses_options_the_api_would_refuse(args: list[str], words: str) -> None:
    code, output = explain(*args)
    assert code != 0
    assert words in output
