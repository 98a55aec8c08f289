"""The `Store` port: what services may ask of persistence. Every implementation passes
`tests/store/`.

A unit of work is a `Transaction`: everything done through one either commits together or not
at all. Its methods come from one port per aggregate (`transom.store.ports`). `Store.write()`
serialises writers that take the same `lock()` key, so check-then-insert sequences (quotas,
idempotency tokens) are race-free across threads and server replicas. Instants go in and come
out as aware UTC datetimes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from transom.store.ports.audit import AuditPort
from transom.store.ports.changes import ChangePort
from transom.store.ports.commands import CommandPort
from transom.store.ports.configuration import ConfigurationPort
from transom.store.ports.cursors import CursorPort
from transom.store.ports.deliveries import DeliveryPort
from transom.store.ports.documents import DocumentPort
from transom.store.ports.events import EventPort
from transom.store.ports.executions import ExecutionPort
from transom.store.ports.keys import KeyPort
from transom.store.ports.locking import LockPort
from transom.store.ports.nodes import NodePort
from transom.store.ports.rules import RulePort
from transom.store.ports.topics import TopicPort


class Transaction(
    LockPort,
    ChangePort,
    ConfigurationPort,
    ExecutionPort,
    CursorPort,
    CommandPort,
    NodePort,
    KeyPort,
    EventPort,
    RulePort,
    TopicPort,
    DeliveryPort,
    DocumentPort,
    AuditPort,
    Protocol,
):
    """One unit of work over every aggregate."""


class Store(Protocol):
    def read(self) -> AbstractContextManager[Transaction]:
        """Reads only. Each statement sees a committed state, but on SQLite two statements
        may see different ones; use `write()` where several reads must agree."""

    def write(self) -> AbstractContextManager[Transaction]:
        """A transaction that commits when the block exits normally and rolls back otherwise."""

    def schema_revisions(self) -> tuple[str | None, str]:
        """(the schema revision the database is at, None when it has none; the revision this
        code speaks). Raises when the database does not answer."""

    def close(self) -> None:
        """Release the connections; the store is not used after."""
