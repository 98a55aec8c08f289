"""A command's Status and StatusDetails from its invocations' (SPEC.md §e.3, Appendix B.4)."""

from __future__ import annotations

from collections.abc import Mapping

from transom.domain.commands import (
    CANCELLED,
    DELIVERY_TIMED_OUT,
    ERROR_DETAILS,
    EXECUTION_TIMED_OUT,
    FINAL_DETAILS,
    PENDING,
    SUCCESS,
    UNDELIVERABLE,
)


def command_status(
    counts: Mapping[str, int], error_threshold: int, cancelled: bool
) -> tuple[str, str]:
    """(Status, StatusDetails) for a command whose invocations have `counts` by details."""
    total = sum(counts.values())
    if total == 0:
        return "Success", "No Instances In Tag"
    if all(details in FINAL_DETAILS for details in counts):
        errors = sum(counts.get(d, 0) for d in ERROR_DETAILS)
        if cancelled and counts.get(CANCELLED, 0):
            return "Cancelled", "Cancelled"
        if errors > error_threshold:
            if counts.get(EXECUTION_TIMED_OUT, 0) * 2 > errors:
                return "TimedOut", "Execution Timed Out"
            return "Failed", "Failed"
        if counts.get(DELIVERY_TIMED_OUT, 0) > error_threshold:
            return "TimedOut", "Delivery Timed Out"
        if counts.get(UNDELIVERABLE, 0) == total:
            return "Failed", "Undeliverable"
        ignored = counts.get(UNDELIVERABLE, 0)
        if counts.get(SUCCESS, 0) + ignored == total:
            return "Success", "Success"
        return "Failed", "Incomplete"
    if counts.get(PENDING, 0) == total:
        return "Pending", "Pending"
    return "InProgress", "In Progress"
