"""The counting half of `SqlTransaction`: one aggregate query per figure a metrics scrape
reads (windows, cursors, executions, invocations, nodes, deliveries, the outbox), each method
declared by the port of its aggregate. The statements are built once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.commands import InvocationDetails
from transom.domain.executions import ExecutionStatus
from transom.domain.topics import DeliveryStatus
from transom.store import schema as t

_WINDOWS_BY_ENABLED = sa.select(t.windows.c.enabled, sa.func.count()).group_by(t.windows.c.enabled)
_CURSOR_DUE_TIMES = sa.select(t.window_cursors.c.window_id, t.window_cursors.c.due_at).where(
    t.window_cursors.c.due_at.is_not(None)
)
_EXECUTIONS_BY_STATUS = sa.select(t.window_executions.c.status, sa.func.count()).group_by(
    t.window_executions.c.status
)
_INVOCATIONS_BY_DETAILS = sa.select(t.invocations.c.details, sa.func.count()).group_by(
    t.invocations.c.details
)
_RECENT = t.nodes.c.last_ping_date >= sa.bindparam("since", type_=t.UtcDateTime())
_NODES = sa.select(
    sa.func.count().filter(_RECENT, t.nodes.c.deregistered_date.is_(None)),
    sa.func.count().filter(t.nodes.c.deregistered_date.is_(None)),
    sa.func.count().filter(t.nodes.c.deregistered_date.is_not(None)),
)
_BACKLOG = sa.select(
    sa.func.count().filter(t.deliveries.c.attempts == 0),
    sa.func.count().filter(t.deliveries.c.attempts > 0),
).where(t.deliveries.c.status == DeliveryStatus.PENDING.value)
_UNRELAYED = sa.select(sa.func.count()).select_from(t.events).where(sa.text("NOT relayed"))


class CountQueries:
    _conn: Connection

    def count_windows_by_enabled(self) -> dict[bool, int]:
        return {bool(enabled): int(n) for enabled, n in self._conn.execute(_WINDOWS_BY_ENABLED)}

    def cursor_due_times(self) -> list[tuple[str, datetime]]:
        return [(window_id, due) for window_id, due in self._conn.execute(_CURSOR_DUE_TIMES)]

    def count_window_executions(self) -> dict[ExecutionStatus, int]:
        rows = self._conn.execute(_EXECUTIONS_BY_STATUS)
        return {ExecutionStatus(status): int(n) for status, n in rows}

    def count_all_invocations(self) -> dict[InvocationDetails, int]:
        rows = self._conn.execute(_INVOCATIONS_BY_DETAILS)
        return {InvocationDetails(details): int(n) for details, n in rows}

    def count_nodes(self, heard_since: datetime) -> tuple[int, int, int]:
        recent, registered, gone = self._conn.execute(_NODES, {"since": heard_since}).one()
        return int(recent), int(registered) - int(recent), int(gone)

    def delivery_backlog(self) -> tuple[int, int]:
        never, retrying = self._conn.execute(_BACKLOG).one()
        return int(never), int(retrying)

    def count_unrelayed(self) -> int:
        return int(self._conn.execute(_UNRELAYED).scalar_one())
