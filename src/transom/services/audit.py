"""The audit trail: records written by the protocol edges (`transom.protocol.audit`), read
by the REST query and `transom audit`, pruned past their retention by the reaper.

A call's record is written in a transaction of its own right after the call's own (the
services commit theirs themselves): a crash between the two commits loses that one record,
never the change. A refused call has no transaction of its own, and its record is written
all the same.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from transom.domain.audit import AuditQuery, AuditRecord
from transom.domain.clock import Clock
from transom.store.port import Store
from transom.store.ports.paging import Page

PRUNE_EVERY = timedelta(minutes=10)
"""How often `prune_if_due` prunes: records are kept for days, so minutes do not matter."""


class AuditTrail:
    def __init__(self, store: Store, clock: Clock, retention: timedelta) -> None:
        self._store = store
        self._clock = clock
        self.retention = retention
        self._next_prune: datetime | None = None

    def record(self, record: AuditRecord) -> int:
        """Keep `record`, made now (its `at` is replaced); its position."""
        record = dataclasses.replace(record, at=self._clock.now())
        with self._store.write() as tx:
            return tx.append_audit_record(record)

    def search(self, query: AuditQuery) -> Page[AuditRecord]:
        """The records `query` asks for, newest first."""
        with self._store.read() as tx:
            return tx.audit_records(query)

    def prune(self) -> int:
        """Delete the records older than the retention period; how many went."""
        with self._store.write() as tx:
            return tx.prune_audit_records(self._clock.now() - self.retention)

    def prune_if_due(self) -> int:
        """`prune`, at most once every `PRUNE_EVERY` (the reaper calls this every second)."""
        now = self._clock.now()
        if self._next_prune is not None and now < self._next_prune:
            return 0
        self._next_prune = now + PRUNE_EVERY
        return self.prune()
