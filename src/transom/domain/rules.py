"""Event rules (EventBridge's word): a pattern that picks events from the default bus and the
targets (topic ARNs) they are sent to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

DEFAULT_BUS = "default"
"""The only event bus Transom has."""


class RuleState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class Rule:
    """`event_pattern` is the pattern's JSON text as given; `tags` keep the order they were
    added in."""

    name: str
    event_pattern: str
    state: RuleState
    description: str | None
    tags: Mapping[str, str]
    created_date: datetime


@dataclass(frozen=True)
class InputTransformer:
    """Values picked from the event by JSON path (`paths`, by placeholder name), filled into
    `template` where it says `<name>`."""

    paths: Mapping[str, str]
    template: str


@dataclass(frozen=True)
class RuleTarget:
    """Where a rule sends a matching event: `arn` names a topic. At most one of `input` (a
    fixed JSON text sent instead of the event), `input_path` (the part of the event sent)
    and `input_transformer` is set; none sends the whole event."""

    target_id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: InputTransformer | None = None


@dataclass(frozen=True)
class TargetFailure:
    """A target of a PutTargets or RemoveTargets request that was not stored or removed:
    `code` is the AWS error code, `message` what to fix."""

    target_id: str
    code: str
    message: str
