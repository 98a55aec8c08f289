"""Managed nodes and the activations they register with (SPEC.md §e.7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from transom.domain.windows import Tag


@dataclass(frozen=True)
class Activation:
    """A registration code hosts use to become managed nodes. Only a hash of the code is kept."""

    activation_id: str
    code_hash: str
    iam_role: str
    registration_limit: int
    registrations_count: int
    expiration_date: datetime
    created_date: datetime
    description: str | None = None
    default_instance_name: str | None = None
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True)
class NodeFacts:
    """What a node reports about itself."""

    computer_name: str
    ip_address: str
    platform_type: str
    platform_name: str
    platform_version: str
    agent_version: str


@dataclass(frozen=True)
class Node:
    """A managed node (`mi-...`). Only a hash of its secret is kept; deregistered nodes keep
    their row (for history) but lose their credentials and disappear from listings.
    `reported_ping_status` is the PingStatus its last ping-status event reported (Online or
    ConnectionLost), which may lag behind the one its last ping implies."""

    instance_id: str
    activation_id: str
    secret_hash: str
    facts: NodeFacts
    registration_date: datetime
    last_ping_date: datetime
    iam_role: str
    name: str | None = None
    deregistered_date: datetime | None = None
    reported_ping_status: str = "Online"
