"""Events: one state change, in the words of EventBridge's envelope but free of any wire form.

An event is immutable and has a stable id, so a consumer that sees it twice can drop the
repeat. `source` says whose vocabulary its detail uses: `aws.ssm` for the detail types and
fields AWS documents for Systems Manager, `transom` for what Transom knows beyond them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

AWS_SSM = "aws.ssm"
TRANSOM = "transom"


@dataclass(frozen=True)
class Realm:
    """The account and region Transom reports in ARNs and event envelopes."""

    account_id: str = "000000000000"
    region: str = "us-east-1"

    def arn(self, service: str, resource: str) -> str:
        """`arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


@dataclass(frozen=True)
class Event:
    """One state change. `detail` holds JSON values only (str, numbers, bools, None, lists,
    and mappings of those); `resources` are ARNs."""

    event_id: str
    time: datetime
    source: str
    detail_type: str
    resources: tuple[str, ...]
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    """An event as the outbox holds it. `seq` orders events by append and never repeats; on
    PostgreSQL a transaction may commit an event after another has committed a larger one."""

    seq: int
    event: Event


@dataclass(frozen=True)
class EventHead:
    """What the relay needs of an outbox event to know whether it must read the rest (when
    no rule could route it): its `seq`, `source` and `detail_type`, and the `command-id` its
    detail names, if any (a Run Command status change: its command may ask for a
    notification)."""

    seq: int
    source: str
    detail_type: str
    command_id: str | None
