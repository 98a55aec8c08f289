"""Run Command: commands, their per-node invocations, and the statuses of SPEC.md §e.2-e.3.

An invocation's state is its `details` (StatusDetails); its API `Status` follows from it
(`STATUS_OF_DETAILS`). A command's Status and StatusDetails follow from its invocations'
(`transom.execution.command_status`). The values are the AWS spellings, as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class InvocationDetails(StrEnum):
    """An invocation's StatusDetails: the state it is in (SPEC.md §e.2)."""

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


class CommandStatus(StrEnum):
    """The API Status of a command, and of an invocation (AWS's CommandStatus and
    CommandInvocationStatus, less the Delayed that Transom never reports)."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SUCCESS = "Success"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"


class CommandDetails(StrEnum):
    """A command's StatusDetails (SPEC.md §e.3)."""

    PENDING = "Pending"
    IN_PROGRESS = "In Progress"
    CANCELLING = "Cancelling"
    SUCCESS = "Success"
    FAILED = "Failed"
    INCOMPLETE = "Incomplete"
    EXECUTION_TIMED_OUT = "Execution Timed Out"
    DELIVERY_TIMED_OUT = "Delivery Timed Out"
    UNDELIVERABLE = "Undeliverable"
    CANCELLED = "Cancelled"
    NO_INSTANCES_IN_TAG = "No Instances In Tag"


STATUS_OF_DETAILS: dict[InvocationDetails, CommandStatus] = {
    InvocationDetails.PENDING: CommandStatus.PENDING,
    InvocationDetails.IN_PROGRESS: CommandStatus.IN_PROGRESS,
    InvocationDetails.SUCCESS: CommandStatus.SUCCESS,
    InvocationDetails.FAILED: CommandStatus.FAILED,
    InvocationDetails.EXECUTION_TIMED_OUT: CommandStatus.TIMED_OUT,
    InvocationDetails.DELIVERY_TIMED_OUT: CommandStatus.TIMED_OUT,
    InvocationDetails.CANCELLED: CommandStatus.CANCELLED,
    InvocationDetails.CANCELLING: CommandStatus.CANCELLING,
    InvocationDetails.TERMINATED: CommandStatus.CANCELLED,
    InvocationDetails.UNDELIVERABLE: CommandStatus.FAILED,
}
"""An invocation's Status by its details (SPEC.md §e.2, Appendix B.4)."""

FINAL_DETAILS = frozenset(
    {
        InvocationDetails.SUCCESS,
        InvocationDetails.FAILED,
        InvocationDetails.EXECUTION_TIMED_OUT,
        InvocationDetails.DELIVERY_TIMED_OUT,
        InvocationDetails.CANCELLED,
        InvocationDetails.TERMINATED,
        InvocationDetails.UNDELIVERABLE,
    }
)
"""Details an invocation never leaves."""

FINAL_STATUSES = frozenset(STATUS_OF_DETAILS[d] for d in FINAL_DETAILS)
"""The Statuses of final invocations, which are also those of finished commands (Success,
Failed, TimedOut, Cancelled): no details that may still change has one of them."""

ERROR_DETAILS = frozenset({InvocationDetails.FAILED, InvocationDetails.EXECUTION_TIMED_OUT})
"""Outcomes that count toward MaxErrors."""


@dataclass(frozen=True)
class Command:
    """A SendCommand request as accepted. `parameters` are as the caller sent them (the
    document's defaults apply when it runs, see `services.dispatch.Work`). `request` keeps
    the optional members that are only echoed back (OutputS3BucketName, NotificationConfig,
    ...) in their wire form. `document_version` is the version of the document it runs (None
    for a built-in document, which has one)."""

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
    status: CommandStatus
    status_details: CommandDetails
    comment: str = ""
    request: dict[str, Any] | None = None
    window_execution_id: str | None = None
    document_version: str | None = None


@dataclass(frozen=True)
class Invocation:
    """One command on one node. `lease` is set when it is handed to the node's agent;
    `started_date` when the agent accepted it."""

    command_id: str
    instance_id: str
    details: InvocationDetails
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
    def status(self) -> CommandStatus:
        return STATUS_OF_DETAILS[self.details]

    @property
    def final(self) -> bool:
        return self.details in FINAL_DETAILS


class PluginDetails(StrEnum):
    """How one step (plugin) of an invocation ended on its node, as stored: its
    StatusDetails. A Skipped step's Status is Success, as in SSM."""

    SUCCESS = "Success"
    FAILED = "Failed"
    EXECUTION_TIMED_OUT = "Execution Timed Out"
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"


STATUS_OF_PLUGIN: dict[PluginDetails, CommandStatus] = {
    PluginDetails.SUCCESS: CommandStatus.SUCCESS,
    PluginDetails.FAILED: CommandStatus.FAILED,
    PluginDetails.EXECUTION_TIMED_OUT: CommandStatus.TIMED_OUT,
    PluginDetails.CANCELLED: CommandStatus.CANCELLED,
    PluginDetails.SKIPPED: CommandStatus.SUCCESS,
}


@dataclass(frozen=True)
class PluginRun:
    """One step's end on a node, as its agent reported it (`position` is its place in the
    document, from 0)."""

    name: str
    details: PluginDetails
    response_code: int
    stdout: str
    stderr: str
    started_date: datetime | None
    finished_date: datetime | None
    position: int = 0

    @property
    def status(self) -> CommandStatus:
        return STATUS_OF_PLUGIN[self.details]


@dataclass(frozen=True)
class Outcome:
    """What an agent reports about one invocation it was handed (see `transom.wire`): the
    `details` it moves to, In Progress when the agent accepted it, else a final one (Success,
    Failed, Execution Timed Out or Cancelled), with each step's end in `plugins` (none from
    an agent that reports the invocation as one plugin)."""

    command_id: str
    lease: str
    details: InvocationDetails
    response_code: int
    stdout: str
    stderr: str
    started_at: datetime | None
    finished_at: datetime | None
    plugins: tuple[PluginRun, ...] = ()
