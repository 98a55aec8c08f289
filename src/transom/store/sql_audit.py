"""The audit trail on SQLAlchemy Core (`transom.store.ports.audit.AuditPort`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.audit import AuditQuery, AuditRecord
from transom.store import schema as t
from transom.store.ports.paging import Page

_a = t.audit_records
_r = t.audit_resources


def _cut(value: str, column: sa.Column[Any]) -> str:
    length = column.type.length  # type: ignore[attr-defined]
    return value if len(value) <= length else value[:length]


class AuditQueries:
    _conn: Connection

    def append_audit_record(self, record: AuditRecord) -> int:
        key = record.access_key_id
        inserted = self._conn.execute(
            _a.insert().values(
                at=record.at,
                access_key_id=None if key is None else _cut(key, _a.c.access_key_id),
                source=_cut(record.source, _a.c.source),
                api=_cut(record.api, _a.c.api),
                operation=_cut(record.operation, _a.c.operation),
                outcome=_cut(record.outcome, _a.c.outcome),
                parameters=dict(record.parameters),
            )
        ).inserted_primary_key
        assert inserted is not None
        seq = int(inserted[0])
        if record.resources:
            self._conn.execute(
                _r.insert(),
                [
                    {"seq": seq, "position": i, "resource": _cut(resource, _r.c.resource)}
                    for i, resource in enumerate(record.resources)
                ],
            )
        return seq

    def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        select = sa.select(_a).order_by(_a.c.seq.desc()).limit(query.limit + 1)
        if query.since is not None:
            select = select.where(_a.c.at >= query.since)
        if query.access_key_id is not None:
            select = select.where(_a.c.access_key_id == query.access_key_id)
        if query.resource is not None:
            named = sa.select(_r.c.seq).where(_r.c.resource == query.resource)
            select = select.where(_a.c.seq.in_(named))
        if query.before is not None:
            select = select.where(_a.c.seq < query.before)
        rows = self._conn.execute(select).all()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        resources: dict[int, list[str]] = defaultdict(list)
        if rows:
            named_rows = self._conn.execute(
                sa.select(_r.c.seq, _r.c.resource)
                .where(_r.c.seq.in_([row.seq for row in rows]))
                .order_by(_r.c.seq, _r.c.position)
            )
            for seq, resource in named_rows:
                resources[seq].append(resource)
        records = [
            AuditRecord(
                at=row.at,
                access_key_id=row.access_key_id,
                source=row.source,
                api=row.api,
                operation=row.operation,
                resources=tuple(resources[row.seq]),
                outcome=row.outcome,
                parameters=row.parameters,
                seq=row.seq,
            )
            for row in rows
        ]
        return Page(records, records[-1].seq if more else None)

    def prune_audit_records(self, before: datetime) -> int:
        old = sa.select(_a.c.seq).where(_a.c.at < before)
        self._conn.execute(_r.delete().where(_r.c.seq.in_(old)))
        return int(self._conn.execute(_a.delete().where(_a.c.at < before)).rowcount)
