"""The execution-history and scheduler-cursor half of `SqlTransaction` (see the port)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.commands import FINAL_DETAILS
from transom.domain.executions import (
    ACTIVE,
    ExecutionStatus,
    PlannedTask,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.store import schema as t

_WX = t.window_executions
_TX = t.task_executions
_TI = t.task_invocations
_CUR = t.window_cursors
_ENABLED = sa.select(t.windows.c.window_id).where(t.windows.c.enabled.is_(True))


def _window_execution(row: sa.Row[Any]) -> WindowExecution:
    m = dict(row._mapping)
    del m["seq"]
    m["status"] = ExecutionStatus(m["status"])
    m["plan"] = tuple(PlannedTask(task_id, priority) for task_id, priority in m["plan"])
    return WindowExecution(**m)


def _task_execution(row: sa.Row[Any]) -> TaskExecution:
    m = dict(row._mapping)
    del m["seq"]
    m["status"] = ExecutionStatus(m["status"])
    return TaskExecution(**m)


def _task_invocation(row: sa.Row[Any]) -> TaskInvocation:
    m = dict(row._mapping)
    m["status"] = ExecutionStatus(m["status"])
    return TaskInvocation(**m)


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, ExecutionStatus) else v) for k, v in values.items()}


class ExecutionQueries:
    _conn: Connection

    # window executions
    def insert_window_execution(self, execution: WindowExecution) -> None:
        row = dataclasses.asdict(execution)
        row["plan"] = [[p.window_task_id, p.priority] for p in execution.plan]
        self._conn.execute(_WX.insert().values(_values(row)))

    def get_window_execution(self, window_execution_id: str) -> WindowExecution | None:
        row = self._conn.execute(
            sa.select(_WX).where(_WX.c.window_execution_id == window_execution_id)
        ).first()
        return None if row is None else _window_execution(row)

    def update_window_execution(
        self,
        window_execution_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: Mapping[str, Any],
    ) -> bool:
        result = self._conn.execute(
            _WX.update()
            .where(
                _WX.c.window_execution_id == window_execution_id,
                _WX.c.status.in_([str(s) for s in from_statuses]),
            )
            .values(_values(values))
        )
        return result.rowcount > 0

    def list_window_executions(
        self, window_id: str, started_after: datetime | None, started_before: datetime | None
    ) -> list[WindowExecution]:
        query = sa.select(_WX).where(_WX.c.window_id == window_id).order_by(_WX.c.seq.desc())
        if started_after is not None:
            query = query.where(_WX.c.start_time >= started_after)
        if started_before is not None:
            query = query.where(_WX.c.start_time <= started_before)
        return [_window_execution(r) for r in self._conn.execute(query)]

    def active_window_execution(self, window_id: str) -> WindowExecution | None:
        row = self._conn.execute(
            sa.select(_WX)
            .where(_WX.c.window_id == window_id, _WX.c.status.in_([str(s) for s in ACTIVE]))
            .limit(1)
        ).first()
        return None if row is None else _window_execution(row)

    def due_window_executions(self, at: datetime, limit: int) -> list[str]:
        rows = self._conn.execute(
            sa.select(_WX.c.window_execution_id)
            .where(_WX.c.wake_at <= at)
            .order_by(_WX.c.wake_at)
            .limit(limit)
        )
        return [r for (r,) in rows]

    def next_window_execution_wake(self) -> datetime | None:
        query = sa.select(_WX.c.wake_at).where(_WX.c.wake_at.is_not(None))
        return self._conn.execute(query.order_by(_WX.c.wake_at).limit(1)).scalar()

    def wake_window_execution(self, window_execution_id: str, at: datetime) -> None:
        self._conn.execute(
            _WX.update()
            .where(
                _WX.c.window_execution_id == window_execution_id,
                _WX.c.wake_at.is_not(None),
                _WX.c.wake_at > at,
            )
            .values(wake_at=at)
        )

    # task executions
    def insert_task_execution(self, execution: TaskExecution) -> None:
        self._conn.execute(_TX.insert().values(_values(dataclasses.asdict(execution))))

    def list_task_executions(self, window_execution_id: str) -> list[TaskExecution]:
        rows = self._conn.execute(
            sa.select(_TX)
            .where(_TX.c.window_execution_id == window_execution_id)
            .order_by(_TX.c.seq)
        )
        return [_task_execution(r) for r in rows]

    def update_task_execution(
        self,
        task_execution_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: Mapping[str, Any],
    ) -> bool:
        result = self._conn.execute(
            _TX.update()
            .where(
                _TX.c.task_execution_id == task_execution_id,
                _TX.c.status.in_([str(s) for s in from_statuses]),
            )
            .values(_values(values))
        )
        return result.rowcount > 0

    # task invocations
    def insert_task_invocations(self, invocations: Sequence[TaskInvocation]) -> None:
        if invocations:
            rows = [_values(dataclasses.asdict(i)) for i in invocations]
            self._conn.execute(_TI.insert(), rows)

    def list_task_invocations(self, task_execution_id: str) -> list[TaskInvocation]:
        rows = self._conn.execute(
            sa.select(_TI).where(_TI.c.task_execution_id == task_execution_id).order_by(_TI.c.seq)
        )
        return [_task_invocation(r) for r in rows]

    def update_task_invocation(
        self,
        invocation_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: Mapping[str, Any],
    ) -> bool:
        result = self._conn.execute(
            _TI.update()
            .where(
                _TI.c.invocation_id == invocation_id,
                _TI.c.status.in_([str(s) for s in from_statuses]),
            )
            .values(_values(values))
        )
        return result.rowcount > 0

    # retention
    def purge_history(self, ended_before: datetime) -> int:
        ended = sa.select(_WX.c.window_execution_id).where(_WX.c.end_time < ended_before)
        self._conn.execute(_TI.delete().where(_TI.c.window_execution_id.in_(ended)))
        self._conn.execute(_TX.delete().where(_TX.c.window_execution_id.in_(ended)))
        purged = self._conn.execute(_WX.delete().where(_WX.c.end_time < ended_before)).rowcount
        old = sa.select(t.commands.c.command_id).where(
            t.commands.c.requested_date < ended_before,
            ~sa.exists().where(
                t.invocations.c.command_id == t.commands.c.command_id,
                t.invocations.c.details.not_in(list(FINAL_DETAILS)),
            ),
        )
        old_ids = [c for (c,) in self._conn.execute(old)]
        for chunk in range(0, len(old_ids), 500):
            ids = old_ids[chunk : chunk + 500]
            self._conn.execute(t.invocations.delete().where(t.invocations.c.command_id.in_(ids)))
            self._conn.execute(t.commands.delete().where(t.commands.c.command_id.in_(ids)))
        return int(purged) + len(old_ids)

    # scheduler cursors
    def unsynced_windows(self) -> list[str]:
        rows = self._conn.execute(
            sa.select(t.windows.c.window_id)
            .outerjoin(_CUR, _CUR.c.window_id == t.windows.c.window_id)
            .where(
                t.windows.c.enabled.is_(True),
                sa.or_(_CUR.c.window_id.is_(None), _CUR.c.anchor != t.windows.c.modified_date),
            )
            .order_by(t.windows.c.seq)
        )
        return [w for (w,) in rows]

    def stale_cursors(self) -> bool:
        query = sa.select(_CUR.c.window_id).where(_CUR.c.window_id.not_in(_ENABLED)).limit(1)
        return self._conn.execute(query).first() is not None

    def drop_stale_cursors(self) -> int:
        stale = _CUR.delete().where(_CUR.c.window_id.not_in(_ENABLED))
        return int(self._conn.execute(stale).rowcount)

    def set_cursor(self, window_id: str, due_at: datetime | None, anchor: datetime) -> None:
        updated = self._conn.execute(
            _CUR.update().where(_CUR.c.window_id == window_id).values(due_at=due_at, anchor=anchor)
        )
        if not updated.rowcount:
            self._conn.execute(
                _CUR.insert().values(window_id=window_id, due_at=due_at, anchor=anchor)
            )

    def due_cursors(self, at: datetime) -> list[tuple[str, datetime]]:
        rows = self._conn.execute(
            sa.select(_CUR.c.window_id, _CUR.c.due_at)
            .where(_CUR.c.due_at <= at)
            .order_by(_CUR.c.due_at)
        )
        return [(w, d) for w, d in rows]

    def advance_cursor(self, window_id: str, due_at: datetime, to: datetime | None) -> bool:
        result = self._conn.execute(
            _CUR.update()
            .where(_CUR.c.window_id == window_id, _CUR.c.due_at == due_at)
            .values(due_at=to)
        )
        return result.rowcount > 0

    def next_cursor_due(self) -> datetime | None:
        return self._conn.execute(
            sa.select(_CUR.c.due_at)
            .where(_CUR.c.due_at.is_not(None))
            .order_by(_CUR.c.due_at)
            .limit(1)
        ).scalar()

    # nodes, as targets
    def node_tags(self) -> dict[str, dict[str, str]]:
        registered = t.nodes.c.deregistered_date.is_(None)
        found: dict[str, dict[str, str]] = {
            i: {}
            for (i,) in self._conn.execute(
                sa.select(t.nodes.c.instance_id).where(registered).order_by(t.nodes.c.seq)
            )
        }
        rows = self._conn.execute(
            sa.select(t.tags.c.resource_id, t.tags.c.key, t.tags.c.value).where(
                t.tags.c.resource_type == "ManagedInstance"
            )
        )
        for resource_id, key, value in rows:
            if resource_id in found:
                found[resource_id][key] = value
        return found
