"""Maintenance windows, their targets and tasks, as stored.

Field names are the AWS member names in snake_case (`allow_unassociated_targets` is
`AllowUnassociatedTargets`), so adapters translate mechanically. Nested AWS structures that
Transom stores as documents (targets, task parameters) keep their wire form: JSON-shaped
dicts and lists with AWS member names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

JsonObject = dict[str, Any]
TargetList = list[JsonObject]
"""`[{"Key": str, "Values": [str, ...]}, ...]` as in the AWS `Targets` shape."""


class TaskType(StrEnum):
    RUN_COMMAND = "RUN_COMMAND"
    AUTOMATION = "AUTOMATION"
    STEP_FUNCTIONS = "STEP_FUNCTIONS"
    LAMBDA = "LAMBDA"


class ResourceType(StrEnum):
    INSTANCE = "INSTANCE"
    RESOURCE_GROUP = "RESOURCE_GROUP"


@dataclass(frozen=True)
class WindowSpec:
    """What a caller configures on a window (Create, Update)."""

    name: str
    schedule: str
    duration: int
    cutoff: int
    allow_unassociated_targets: bool
    description: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    schedule_timezone: str | None = None
    schedule_offset: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Window:
    """A stored window. `schedule_changed_date` is when its schedule, zone, offset or dates
    last changed (or its creation): rate schedules count from there."""

    window_id: str
    spec: WindowSpec
    created_date: datetime
    modified_date: datetime
    schedule_changed_date: datetime


@dataclass(frozen=True)
class TargetSpec:
    """What a caller configures on a window target."""

    resource_type: ResourceType
    targets: TargetList
    owner_information: str | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class WindowTarget:
    window_id: str
    window_target_id: str
    spec: TargetSpec


@dataclass(frozen=True)
class TaskSpec:
    """What a caller configures on a window task. JSON members keep their AWS wire form."""

    task_arn: str
    task_type: TaskType
    targets: TargetList
    priority: int = 1
    service_role_arn: str | None = None
    task_parameters: JsonObject | None = None
    task_invocation_parameters: JsonObject | None = None
    max_concurrency: str | None = None
    max_errors: str | None = None
    logging_info: JsonObject | None = None
    name: str | None = None
    description: str | None = None
    cutoff_behavior: str | None = None
    alarm_configuration: JsonObject | None = None


@dataclass(frozen=True)
class WindowTask:
    window_id: str
    window_task_id: str
    spec: TaskSpec


@dataclass(frozen=True)
class WindowQuery:
    """Filters for listing windows: names starting with any of the prefixes (all names when
    there are none) and an optional enabled flag."""

    name_prefixes: tuple[str, ...] = ()
    enabled: bool | None = None


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str
    description: str | None
    created_date: datetime


@dataclass(frozen=True)
class SealedSecret:
    """A secret as the database keeps it: `ciphertext` sealed under the master key
    `master_key_id`; with `master_key_id` None, the plain text (UTF-8) of a key stored before
    secrets were sealed, which a server seals when it starts."""

    master_key_id: str | None
    ciphertext: bytes


@dataclass(frozen=True)
class StoredKey:
    """An access key as the database keeps it."""

    access_key_id: str
    secret: SealedSecret
    description: str | None
    created_date: datetime
    policy: str | None = None
    """The key's policy document (`transom.domain.policies`); None: it may do everything."""


@dataclass(frozen=True)
class Role:
    """A role window tasks run as (their ServiceRoleArn): a named policy document."""

    name: str
    policy: str
    description: str | None
    created_date: datetime


@dataclass(frozen=True)
class CalendarFeed:
    """The secret calendar feed URL of an access key, kept as the SHA-256 (hex) of its token."""

    access_key_id: str
    token_hash: str
    created_date: datetime
