"""The Run Command vocabularies, written out from SPEC.md §e.2-e.3: the values are the stored
strings, each invocation's details has one Status, and the final and MaxErrors sets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transom.domain.commands import (
    ERROR_DETAILS,
    FINAL_DETAILS,
    FINAL_STATUSES,
    STATUS_OF_DETAILS,
    CommandDetails,
    CommandStatus,
    Invocation,
)
from transom.domain.commands import InvocationDetails as D
from transom.execution.command_status import command_status

# StatusDetails, Status, final, counts toward MaxErrors (SPEC.md §e.2)
INVOCATIONS = [
    ("Pending", "Pending", False, False),
    ("In Progress", "InProgress", False, False),
    ("Success", "Success", True, False),
    ("Failed", "Failed", True, True),
    ("Execution Timed Out", "TimedOut", True, True),
    ("Delivery Timed Out", "TimedOut", True, False),
    ("Cancelled", "Cancelled", True, False),
    ("Terminated", "Cancelled", True, False),
    ("Undeliverable", "Failed", True, False),
    ("Cancelling", "Cancelling", False, False),
]


@pytest.mark.parametrize(("details", "status", "final", "error"), INVOCATIONS)
def test_an_invocations_details_give_its_status_and_whether_it_is_final(
    details: str, status: str, final: bool, error: bool
) -> None:
    member = D(details)
    invocation = Invocation("c", "i-1", member, datetime(2026, 1, 1, tzinfo=UTC))
    assert (STATUS_OF_DETAILS[member], invocation.status) == (status, status)
    assert (member in FINAL_DETAILS, invocation.final) == (final, final)
    assert (member in ERROR_DETAILS) == error


def test_the_invocation_table_names_every_details_once() -> None:
    named = [details for details, *_ in INVOCATIONS]
    assert sorted(named) == sorted(D)
    assert set(STATUS_OF_DETAILS) == set(D)


def test_final_statuses_are_those_no_unfinished_invocation_has() -> None:
    unfinished = {STATUS_OF_DETAILS[d] for d in D if d not in FINAL_DETAILS}
    assert set(FINAL_STATUSES) == {"Success", "Failed", "TimedOut", "Cancelled"}
    assert unfinished == {"Pending", "InProgress", "Cancelling"}
    assert set(CommandStatus) == FINAL_STATUSES | unfinished


def test_the_values_are_the_stored_strings() -> None:
    assert [str(s) for s in CommandStatus] == [
        "Pending",
        "InProgress",
        "Success",
        "Failed",
        "TimedOut",
        "Cancelling",
        "Cancelled",
    ]
    assert [str(d) for d in CommandDetails] == [
        "Pending",
        "In Progress",
        "Cancelling",
        "Success",
        "Failed",
        "Incomplete",
        "Execution Timed Out",
        "Delivery Timed Out",
        "Undeliverable",
        "Cancelled",
        "No Instances In Tag",
    ]


# invocations by details, error threshold, cancelled -> Status, StatusDetails (SPEC.md §e.3)
COMMANDS = [
    ({}, 0, False, "Success", "No Instances In Tag"),
    ({D.PENDING: 3}, 0, False, "Pending", "Pending"),
    ({D.PENDING: 2, D.IN_PROGRESS: 1}, 0, False, "InProgress", "In Progress"),
    ({D.SUCCESS: 2, D.CANCELLING: 1}, 0, True, "InProgress", "In Progress"),
    ({D.SUCCESS: 3}, 0, False, "Success", "Success"),
    ({D.SUCCESS: 2, D.UNDELIVERABLE: 1}, 0, False, "Success", "Success"),
    ({D.UNDELIVERABLE: 2}, 0, False, "Failed", "Undeliverable"),
    ({D.SUCCESS: 1, D.FAILED: 1}, 0, False, "Failed", "Failed"),
    ({D.SUCCESS: 1, D.FAILED: 1}, 1, False, "Failed", "Incomplete"),
    ({D.FAILED: 1, D.TERMINATED: 2}, 0, False, "Failed", "Failed"),
    ({D.EXECUTION_TIMED_OUT: 2, D.FAILED: 1}, 0, False, "TimedOut", "Execution Timed Out"),
    ({D.EXECUTION_TIMED_OUT: 1, D.FAILED: 1}, 0, False, "Failed", "Failed"),
    ({D.DELIVERY_TIMED_OUT: 1, D.SUCCESS: 1}, 0, False, "TimedOut", "Delivery Timed Out"),
    ({D.DELIVERY_TIMED_OUT: 1, D.SUCCESS: 1}, 1, False, "Failed", "Incomplete"),
    ({D.CANCELLED: 1, D.SUCCESS: 1}, 0, True, "Cancelled", "Cancelled"),
    ({D.CANCELLED: 1, D.SUCCESS: 1}, 0, False, "Failed", "Incomplete"),
]


@pytest.mark.parametrize(("counts", "threshold", "cancelled", "status", "details"), COMMANDS)
def test_a_commands_status_follows_from_its_invocations(
    counts: dict[D, int], threshold: int, cancelled: bool, status: str, details: str
) -> None:
    got = command_status(counts, threshold, cancelled)
    assert got == (status, details)
    assert (type(got[0]), type(got[1])) == (CommandStatus, CommandDetails)
