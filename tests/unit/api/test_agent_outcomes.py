"""The agent wire's result statuses and the invocation details they move an invocation to."""

from __future__ import annotations

from typing import Any

import pytest

from transom.api.agent import _outcome
from transom.domain.commands import STATUS_OF_DETAILS
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
