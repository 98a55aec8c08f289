"""Run Command: commands, their per-node invocations, and the statuses of SPEC.md §e.2-e.3.

An invocation's state is its `details` (StatusDetails); its API `Status` follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Invocation StatusDetails -> API Status (SPEC.md §e.2, Appendix B.4)
PENDING = "Pending"
IN_PROGRESS = "In Progress"
SUCCESS = "Success"
FAILED = "Failed"
EXECUTION_TIMED_OUT = "Execution Timed Out"
DELIVERY_TIMED_OUT = "Delivery Timed Out"
CANCELLED = "Cancelled"
CANCELLING = "Cancelling"
TERMINATED = "Terminated"
UNDELIVERABLE = "Undeliverable"

STATUS_OF_DETAILS = {
    PENDING: "Pending",
    IN_PROGRESS: "InProgress",
    SUCCESS: "Success",
    FAILED: "Failed",
    EXECUTION_TIMED_OUT: "TimedOut",
    DELIVERY_TIMED_OUT: "TimedOut",
    CANCELLED: "Cancelled",
    CANCELLING: "Cancelling",
    TERMINATED: "Cancelled",
    UNDELIVERABLE: "Failed",
}
FINAL_DETAILS = frozenset(
    {SUCCESS, FAILED, EXECUTION_TIMED_OUT, DELIVERY_TIMED_OUT, CANCELLED, TERMINATED, UNDELIVERABLE}
)
ERROR_DETAILS = frozenset({FAILED, EXECUTION_TIMED_OUT})
"""Outcomes that count toward MaxErrors."""


@dataclass(frozen=True)
class Command:
    """A SendCommand request as accepted. `request` keeps the optional members that are only
    echoed back (OutputS3BucketName, NotificationConfig, ...) in their wire form."""

    command_id: str
    document_name: str
    parameters: dict[str, list[str]]
    instance_ids: list[str]
    targets: list[dict[str, Any]]
    requested_date: datetime
    expires_after: datetime
    timeout_seconds: int
    max_concurrency: str
    max_errors: str
    status: str
    status_details: str
    comment: str = ""
    request: dict[str, Any] | None = None
    window_execution_id: str | None = None


@dataclass(frozen=True)
class Invocation:
    """One command on one node. `lease` is set when it is handed to the node's agent;
    `started_date` when the agent accepted it."""

    command_id: str
    instance_id: str
    details: str
    requested_date: datetime
    instance_name: str = ""
    response_code: int = -1
    stdout: str = ""
    stderr: str = ""
    lease: str | None = None
    dispatched_date: datetime | None = None
    started_date: datetime | None = None
    finished_date: datetime | None = None

    @property
    def status(self) -> str:
        return STATUS_OF_DETAILS[self.details]

    @property
    def final(self) -> bool:
        return self.details in FINAL_DETAILS


@dataclass(frozen=True)
class Outcome:
    """What an agent reports about one invocation it was handed (see `transom.wire`):
    `status` InProgress (accepted), Success, Failed, TimedOut or Cancelled."""

    command_id: str
    lease: str
    status: str
    response_code: int
    stdout: str
    stderr: str
    started_at: datetime | None
    finished_at: datetime | None
