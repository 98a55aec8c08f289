"""A command's Status and StatusDetails from its invocations' (SPEC.md §e.3, Appendix B.4)."""

from __future__ import annotations

from collections.abc import Mapping

from transom.domain.commands import (
    ERROR_DETAILS,
    FINAL_DETAILS,
    CommandDetails,
    CommandStatus,
    InvocationDetails,
)


def command_status(
    counts: Mapping[InvocationDetails, int], error_threshold: int, cancelled: bool
) -> tuple[CommandStatus, CommandDetails]:
    """(Status, StatusDetails) for a command whose invocations have `counts` by details."""
    total = sum(counts.values())
    if total == 0:
        return CommandStatus.SUCCESS, CommandDetails.NO_INSTANCES_IN_TAG
    if all(details in FINAL_DETAILS for details in counts):
        errors = sum(counts.get(d, 0) for d in ERROR_DETAILS)
        if cancelled and counts.get(InvocationDetails.CANCELLED, 0):
            return CommandStatus.CANCELLED, CommandDetails.CANCELLED
        if errors > error_threshold:
            if counts.get(InvocationDetails.EXECUTION_TIMED_OUT, 0) * 2 > errors:
                return CommandStatus.TIMED_OUT, CommandDetails.EXECUTION_TIMED_OUT
            return CommandStatus.FAILED, CommandDetails.FAILED
        if counts.get(InvocationDetails.DELIVERY_TIMED_OUT, 0) > error_threshold:
            return CommandStatus.TIMED_OUT, CommandDetails.DELIVERY_TIMED_OUT
        if counts.get(InvocationDetails.UNDELIVERABLE, 0) == total:
            return CommandStatus.FAILED, CommandDetails.UNDELIVERABLE
        ignored = counts.get(InvocationDetails.UNDELIVERABLE, 0)
        if counts.get(InvocationDetails.SUCCESS, 0) + ignored == total:
            return CommandStatus.SUCCESS, CommandDetails.SUCCESS
        return CommandStatus.FAILED, CommandDetails.INCOMPLETE
    if counts.get(InvocationDetails.PENDING, 0) == total:
        return CommandStatus.PENDING, CommandDetails.PENDING
    return CommandStatus.IN_PROGRESS, CommandDetails.IN_PROGRESS
