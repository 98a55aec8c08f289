"""The audit trail's records: who called which operation on what, from where, and how it
ended. A record is written for every call that changes something (successful or not) and
every call refused for who made it (authentication failed, access denied); never for a
successful read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SUCCESS = "Success"
"""The outcome of a call that succeeded; any other outcome is the error code answered."""
REDACTED = "***"
"""What a secret member's value is recorded as."""


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    access_key_id: str | None
    """The key that signed the call, or claimed to (a refused signature); None unsigned."""
    source: str
    """The caller's address: the socket's peer, or the address a trusted proxy forwarded."""
    api: str
    """`ssm`, `events`, `sns`, `rest` (Transom's `/v1` calls), or `unknown`."""
    operation: str
    resources: tuple[str, ...]
    """The ids (or ARNs, for the kinds whose API names them by ARN) the call named or made."""
    outcome: str
    """`SUCCESS` or the error code answered."""
    parameters: Mapping[str, Any]
    """The request's members, secrets replaced by `REDACTED`."""
    seq: int = 0
    """The record's position, newest largest; 0 before it is stored."""


@dataclass(frozen=True)
class AuditQuery:
    """Which records to read: at or after `since`, of `access_key_id`, naming `resource`
    (each when given), older than position `before`, up to `limit` of them."""

    since: datetime | None = None
    access_key_id: str | None = None
    resource: str | None = None
    before: int | None = None
    limit: int = 50
