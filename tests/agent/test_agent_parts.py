"""The agent's parts on their own: runner, spool, facts, state, and the loop's bookkeeping."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from transom.agent.facts import collect_facts
from transom.agent.loop import Agent
from transom.agent.script import run_item
from transom.agent.spool import ABANDONED, Spool
from transom.agent.state import (
    NotRegisteredError,
    Registration,
    load_registration,
    save_registration,
)
from transom.wire import (
    InvocationResult,
    PluginResult,
    ResultsRequest,
    ResultsResponse,
    ResultStatus,
    WorkItem,
)


def item(*commands: str, timeout: int = 30, plugin: str = "aws:runShellScript") -> WorkItem:
    old = WorkItem("c-1", "lease-1", "AWS-RunShellScript", plugin, list(commands), "", timeout)
    return WorkItem.from_json(old.to_json())  # as an agent reads it: one step


def run_one(work: WorkItem, workdir: Path, cancel: threading.Event) -> PluginResult:
    """Run a one-step item; its one plugin, whose status and code the item's are too."""
    result = run_item(work, workdir, cancel).result
    (plugin,) = result.plugins
    assert (str(result.status), result.response_code) == (str(plugin.status), plugin.response_code)
    assert (result.stdout, result.stderr) == ("", "")  # the server joins the plugins'
    return plugin


def test_the_runner_reports_exit_codes_and_both_streams(tmp_path: Path) -> None:
    result = run_one(item("echo out", "echo err >&2", "exit 4"), tmp_path, threading.Event())
    assert (result.status, result.response_code) == ("Failed", 4)
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    ok = run_one(item("true"), tmp_path / "ok", threading.Event())
    assert (ok.status, ok.response_code) == ("Success", 0)


def test_the_runner_kills_a_script_at_its_execution_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_one(item("echo begun", "sleep 30", timeout=1), tmp_path, threading.Event())
    assert time.monotonic() - started < 10
    assert result.status == "TimedOut"
    assert result.stdout == "begun\n"
    assert "timed out after 1 seconds" in result.stderr


def test_the_runner_stops_when_cancelled(tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    result = run_one(item("sleep 30"), tmp_path, cancel)
    assert result.status == "Cancelled"


def test_powershell_documents_fail_clearly_without_pwsh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run_one(
        item("Get-Date", plugin="aws:runPowerShellScript"), tmp_path, threading.Event()
    )
    assert (result.status, result.response_code) == ("Failed", -1)
    assert "pwsh" in result.stderr


def test_the_spool_turns_an_interrupted_item_into_one_failed_result(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.accept(item("sleep 100"))
    assert spool.knows("c-1")
    recovered = Spool(tmp_path).recover()
    assert [(r.command_id, r.status, r.stderr) for r in recovered] == [("c-1", "Failed", ABANDONED)]
    assert [r.command_id for r in spool.unacknowledged()] == ["c-1"]
    assert spool.knows("c-1")
    spool.acknowledge(["c-1"])
    assert not spool.knows("c-1")
    assert spool.recover() == []


class RecordingChannel:
    """Acknowledges everything it is sent, like the server does."""

    def __init__(self) -> None:
        self.sent: list[ResultsRequest] = []

    def results(self, request: ResultsRequest, _timeout: float | None = None) -> ResultsResponse:
        self.sent.append(request)
        return ResultsResponse([r.command_id for r in request.results])


def test_an_acknowledged_acceptance_does_not_drop_a_final_result_spooled_meanwhile(
    tmp_path: Path,
) -> None:
    channel = RecordingChannel()
    agent = Agent(channel, tmp_path, collect_facts)  # type: ignore[arg-type]
    spool = Spool(tmp_path / "spool")
    final = InvocationResult("c-1", "lease-1", ResultStatus.SUCCESS, 0, "out", "", 1.0, 2.0)
    spool.finish(final)
    agent._send(
        [InvocationResult("c-1", "lease-1", ResultStatus.IN_PROGRESS, -1, "", "", None, None)],
        None,
    )
    assert [r.command_id for r in spool.unacknowledged()] == ["c-1"]
    agent.flush()
    assert spool.unacknowledged() == []
    assert channel.sent[-1].results == [final]


def test_registration_is_private_and_its_absence_is_explained(tmp_path: Path) -> None:
    with pytest.raises(NotRegisteredError, match="transom agent register"):
        load_registration(tmp_path / "none")
    save_registration(tmp_path / "state", Registration("http://x", "mi-1", "s"))
    assert stat.S_IMODE((tmp_path / "state" / "registration.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert load_registration(tmp_path / "state") == Registration("http://x", "mi-1", "s")


def test_facts_describe_this_host_in_the_shapes_the_api_accepts(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Debian GNU/Linux"\nVERSION_ID="12"\n')
    facts = collect_facts(release)
    assert (facts.platform_type, facts.platform_name, facts.platform_version) == (
        "Linux",
        "Debian GNU/Linux",
        "12",
    )
    assert facts.agent_version.count(".") >= 2
