"""The audit trail (`transom.domain.audit`): records appended, read newest first, and pruned
past their retention."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from transom.domain.audit import AuditQuery, AuditRecord
from transom.store.ports.paging import Page


class AuditPort(Protocol):
    def append_audit_record(self, record: AuditRecord) -> int:
        """Keep the record (its `seq` is ignored); its position, larger than every earlier
        record's. Parameters are kept as JSON; an access key id, source, operation or
        resource longer than its column is cut to fit."""

    def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        """The records matching `query`, newest (largest `seq`) first; `next_after` is the
        `seq` to pass as `before` for the next page when more may follow, else None."""

    def prune_audit_records(self, before: datetime) -> int:
        """Delete the records made before `before`, with their resources; how many went."""
