"""The agent wire's result statuses and the invocation details they move an invocation to."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.store.records import NOW
from tests.store.records import command as command_record
from transom.api.agent import _beyond_version_1, _outcome
from transom.domain.commands import STATUS_OF_DETAILS, Invocation, InvocationDetails
from transom.domain.document_content import StepRun
from transom.services.dispatch import Work
from transom.wire import AgentError, InvocationResult, ResultStatus

# result status on the wire -> invocation details (SPEC.md §e.2)
RESULTS = [
    ("InProgress", "In Progress"),
    ("Success", "Success"),
    ("Failed", "Failed"),
    ("TimedOut", "Execution Timed Out"),
    ("Cancelled", "Cancelled"),
]


def _result(status: Any) -> dict[str, Any]:
    return {
        "command_id": "c",
        "lease": "l",
        "status": status,
        "response_code": 0,
        "stdout": "",
        "stderr": "",
        "started_at": 1.0,
        "finished_at": 2.0,
    }


@pytest.mark.parametrize(("status", "details"), RESULTS)
def test_a_result_moves_its_invocation_to_one_details(status: str, details: str) -> None:
    result = InvocationResult.from_json(_result(status))
    assert type(result.status) is ResultStatus
    outcome = _outcome(result)
    assert outcome.details == details
    assert STATUS_OF_DETAILS[outcome.details] == status  # the wire speaks the API's Status


def test_the_table_names_every_result_status() -> None:
    assert sorted(status for status, _ in RESULTS) == sorted(ResultStatus)


@pytest.mark.parametrize("status", ["Succeeded", "inprogress", "", None, 0, ["Success"]])
def test_an_unknown_result_status_is_refused(status: object) -> None:
    with pytest.raises(AgentError) as refused:
        InvocationResult.from_json(_result(status))
    assert refused.value.code == "InvalidRequest"
    assert "InProgress, Success, Failed, TimedOut, Cancelled" in refused.value.message


def test_the_plugins_of_a_result_are_its_steps_and_their_outputs_joined() -> None:
    plugins = [
        {**_result("Failed"), "name": "one", "stdout": "a\n", "stderr": "x\n"},
        {**_result("Skipped"), "name": "two", "stdout": "why\n"},
    ]
    for plugin in plugins:
        del plugin["command_id"], plugin["lease"]
    outcome = _outcome(InvocationResult.from_json({**_result("Failed"), "plugins": plugins}))
    assert [(p.name, p.details, p.status, p.position) for p in outcome.plugins] == [
        ("one", "Failed", "Failed", 0),
        ("two", "Skipped", "Success", 1),
    ]
    assert (outcome.stdout, outcome.stderr) == ("a\nwhy\n", "x\n")


def _work(*runs: StepRun) -> Work:
    command = command_record(1, ("mi-0123456789abcdef0",))
    invocation = Invocation(
        command.command_id, "mi-0123456789abcdef0", InvocationDetails.IN_PROGRESS, NOW, lease="l"
    )
    return Work(invocation, command, runs)


def test_an_agent_of_wire_version_1_gets_only_what_it_can_run() -> None:
    plain = StepRun("s", "aws:runShellScript", ["true"], "", 60)
    assert _beyond_version_1(_work(plain)) is None
    for work in (
        _work(plain, dataclasses.replace(plain, name="t")),
        _work(dataclasses.replace(plain, platform_type="Linux")),
    ):
        refused = _beyond_version_1(work)
        assert refused is not None
        assert (refused.status, refused.lease, refused.response_code) == ("Failed", "l", -1)
        assert "too old" in refused.stderr
        assert "Nothing ran" in refused.stderr
