"""The runner's rule for the steps of one item (`transom.agent.script`): a table of documents'
steps, each with how every step and the whole item end, run as real scripts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from transom.agent.script import REBOOT_EXIT_CODE, run_item
from transom.wire import StepItem, WorkItem


def step(name: str, *commands: str, **controls: object) -> StepItem:
    return StepItem(name, "aws:runShellScript", list(commands), "", 30, **controls)  # type: ignore[arg-type]


def work(*steps: StepItem) -> WorkItem:
    first = steps[0]
    return WorkItem("c-1", "l", "Runbook", first.plugin_name, first.commands, "", 30, list(steps))


Case = tuple[list[StepItem], list[tuple[str, str, int]], tuple[str, int]]
CASES: dict[str, Case] = {
    "all run in order": (
        [step("one", "echo 1"), step("two", "echo 2")],
        [("one", "Success", 0), ("two", "Success", 0)],
        ("Success", 0),
    ),
    "a failure does not stop the next step by default": (
        [step("one", "exit 3"), step("two", "true")],
        [("one", "Failed", 3), ("two", "Success", 0)],
        ("Failed", 0),
    ),
    "onFailure exit skips the rest": (
        [step("one", "exit 3", on_failure="exit"), step("two", "true")],
        [("one", "Failed", 3), ("two", "Skipped", 0)],
        ("Failed", 3),
    ),
    "onFailure successAndExit counts as a success and skips the rest": (
        [step("one", "exit 3", on_failure="successAndExit"), step("two", "true")],
        [("one", "Success", 3), ("two", "Skipped", 0)],
        ("Success", 3),
    ),
    "onFailure exit runs the finally step": (
        [
            step("one", "exit 3", on_failure="exit"),
            step("two", "true"),
            step("last", "exit 0", finally_step=True),
        ],
        [("one", "Failed", 3), ("two", "Skipped", 0), ("last", "Success", 0)],
        ("Failed", 0),
    ),
    "onSuccess exit skips the rest": (
        [step("one", "true", exit_on_success=True), step("two", "exit 9")],
        [("one", "Success", 0), ("two", "Skipped", 0)],
        ("Success", 0),
    ),
    "a precondition of another platform skips its step": (
        [
            step("win", "exit 1", platform_type="Windows"),
            step("nix", "true", platform_type="Linux"),
        ],
        [("win", "Skipped", 0), ("nix", "Success", 0)],
        ("Success", 0),
    ),
    "every step skipped is a success": (
        [step("win", "exit 1", platform_type="Windows")],
        [("win", "Skipped", 0)],
        ("Success", 0),
    ),
    "a reboot request is refused without --allow-reboot": (
        [step("one", f"exit {REBOOT_EXIT_CODE}"), step("two", "true")],
        [("one", "Failed", REBOOT_EXIT_CODE), ("two", "Success", 0)],
        ("Failed", 0),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_steps_run_by_the_rule(name: str, tmp_path: Path) -> None:
    steps, plugins, whole = CASES[name]
    ran = run_item(work(*steps), tmp_path, threading.Event(), "Linux")
    result = ran.result
    assert [(p.name, p.status, p.response_code) for p in result.plugins] == plugins
    assert (result.status, result.response_code) == whole
    assert not ran.reboot


def test_each_step_has_its_own_output_directory_and_timeout(tmp_path: Path) -> None:
    slow = StepItem("slow", "aws:runShellScript", ["echo begun", "sleep 30"], "", 1)
    here = StepItem("here", "aws:runShellScript", ["pwd"], str(tmp_path), 30)
    result = run_item(work(slow, here), tmp_path / "run", threading.Event()).result
    first, second = result.plugins
    assert (first.status, first.stdout) == ("TimedOut", "begun\n")
    assert "timed out after 1 seconds" in first.stderr
    assert (second.status, second.stdout) == ("Success", f"{tmp_path}\n")
    assert result.status == "TimedOut"


def test_a_skipped_step_says_why(tmp_path: Path) -> None:
    steps = [step("one", "exit 2", on_failure="exit"), step("two", "true", platform_type="MacOS")]
    result = run_item(work(*steps), tmp_path, threading.Event(), "Linux").result
    assert "step one ended the run" in result.plugins[1].stdout
    alone = run_item(work(steps[1]), tmp_path / "b", threading.Event(), "Linux").result
    assert "platformType MacOS, and this node is Linux" in alone.plugins[0].stdout


def test_a_refused_reboot_says_how_to_allow_it(tmp_path: Path) -> None:
    ran = run_item(work(step("one", f"exit {REBOOT_EXIT_CODE}")), tmp_path, threading.Event())
    (plugin,) = ran.result.plugins
    assert "transom agent run --allow-reboot" in plugin.stderr
    assert "the node was not rebooted" in plugin.stderr
    assert not ran.reboot


def test_cancelling_cancels_the_step_running_and_those_after(tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    result = run_item(work(step("one", "sleep 30"), step("two", "true")), tmp_path, cancel).result
    assert [p.status for p in result.plugins] == ["Cancelled", "Cancelled"]
    assert result.status == "Cancelled"
