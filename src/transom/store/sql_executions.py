"""The execution-history and scheduler-cursor half of `SqlTransaction` (see the ports)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
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
from transom.store.ports.executions import (
    Change,
    TaskExecutionUpdate,
    TaskInvocationUpdate,
    WindowExecutionUpdate,
    WindowRun,
)
from transom.store.ports.paging import Page

_WX = t.window_executions
_TX = t.task_executions
_TI = t.task_invocations
_CUR = t.window_cursors
_ENABLED = sa.select(t.windows.c.window_id).where(t.windows.c.enabled.is_(True))
_WAKE = (
    _WX.update()
    .where(
        _WX.c.window_execution_id.in_(sa.bindparam("ids", expanding=True)),
        _WX.c.wake_at.is_not(None),
    )
    .values(wake_at=sa.bindparam("at"))
)


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
    """Record values (a typed update, or a whole record's fields) as column values: the one
    place they differ (a status is its string, the plan a JSON list); keys are column names."""
    out: dict[str, Any] = {
        k: (str(v) if isinstance(v, ExecutionStatus) else v) for k, v in values.items()
    }
    if "plan" in out:
        out["plan"] = [[p.window_task_id, p.priority] for p in out["plan"]]
    return out


def _row(record: Any) -> dict[str, Any]:
    """A record as a row: its fields, shallow (unlike `dataclasses.asdict`)."""
    return _values({f.name: getattr(record, f.name) for f in dataclasses.fields(record)})


def _in(column: sa.Column[Any]) -> sa.ColumnElement[bool]:
    return column.in_(sa.bindparam("ids", expanding=True))


_EXECUTIONS = sa.select(_WX).where(_in(_WX.c.window_execution_id))
_RUNS = (
    sa.select(
        _WX.c.window_execution_id,
        _WX.c.window_id,
        _WX.c.status,
        _WX.c.start_time,
        _WX.c.window_end,
        _WX.c.cutoff_at,
    )
    # EXISTS, not IN: the planner then walks the start-time index, not every window's runs
    .where(sa.exists().where(t.windows.c.window_id == _WX.c.window_id))
    .order_by(_WX.c.start_time, _WX.c.window_id)
)
"""A calendar's runs; the caller adds the span and the limit."""
_STATUSES = {s.value: s for s in ExecutionStatus}
_NODE_NAMES = sa.select(t.nodes.c.instance_id, t.nodes.c.computer_name).where(
    t.nodes.c.deregistered_date.is_(None)
)
_TASK_EXECUTIONS_OF = sa.select(_TX).where(_in(_TX.c.window_execution_id)).order_by(_TX.c.seq)
_TASK_INVOCATIONS_OF = sa.select(_TI).where(_in(_TI.c.window_execution_id)).order_by(_TI.c.seq)
_ACTIVE_OF = sa.select(_WX).where(_in(_WX.c.window_id), _WX.c.status.in_([str(s) for s in ACTIVE]))
_ACTIVE = sa.select(_WX).where(
    _WX.c.status.in_([str(s) for s in ACTIVE]),
    sa.exists().where(t.windows.c.window_id == _WX.c.window_id),
)
LONGEST_RUN = timedelta(hours=24)
"""The longest Duration: an execution overlapping a span started at most this long before it
(which lets the start time's index narrow the search)."""
_LATEST_OF = sa.select(_WX).where(
    _WX.c.seq.in_(
        sa.select(sa.func.max(_WX.c.seq)).where(_in(_WX.c.window_id)).group_by(_WX.c.window_id)
    )
)
_ADVANCE_CURSOR = (
    _CUR.update()
    .where(_CUR.c.window_id == sa.bindparam("_id"), _CUR.c.due_at == sa.bindparam("_due"))
    .values(due_at=sa.bindparam("v_due_at", type_=_CUR.c.due_at.type))
)
_UPDATES: dict[tuple[str, tuple[str, ...], tuple[str, ...]], sa.Update] = {}


def _update(
    table: sa.Table, key: str, expected: tuple[str, ...], columns: tuple[str, ...]
) -> sa.Update:
    """`UPDATE table SET columns WHERE key = :_id AND each expected column still holds its
    value` (NULL matching NULL), built once per shape."""
    statement = _UPDATES.get((table.name, expected, columns))
    if statement is None:
        where = [table.c[key] == sa.bindparam("_id")] + [
            table.c[c].is_not_distinct_from(sa.bindparam(f"e_{c}", type_=table.c[c].type))
            for c in expected
        ]
        statement = _UPDATES[(table.name, expected, columns)] = (
            table.update()
            .where(*where)
            .values({c: sa.bindparam(f"v_{c}", type_=table.c[c].type) for c in columns})
        )
    return statement


class ExecutionQueries:
    _conn: Connection

    def _set(
        self,
        table: sa.Table,
        key: str,
        changes: Sequence[Change[WindowExecutionUpdate]]
        | Sequence[Change[TaskExecutionUpdate]]
        | Sequence[Change[TaskInvocationUpdate]],
    ) -> int:
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
        for record_id, expected, values in changes:
            params = {f"v_{k}": v for k, v in _values(values).items()}
            params |= {f"e_{k}": v for k, v in _values(expected).items()}
            params["_id"] = record_id
            groups.setdefault((tuple(sorted(expected)), tuple(sorted(values))), []).append(params)
        changed = 0
        for (expected_columns, columns), rows in groups.items():
            statement = _update(table, key, expected_columns, columns)
            if self._conn.dialect.supports_sane_multi_rowcount:
                changed += self._conn.execute(statement, rows).rowcount
            else:
                changed += sum(self._conn.execute(statement, row).rowcount for row in rows)
        return changed

    def get_window_executions(self, ids: Collection[str]) -> list[WindowExecution]:
        rows = self._conn.execute(_EXECUTIONS, {"ids": list(ids)})
        return [_window_execution(r) for r in rows]

    def task_executions_of(self, window_execution_ids: Collection[str]) -> list[TaskExecution]:
        rows = self._conn.execute(_TASK_EXECUTIONS_OF, {"ids": list(window_execution_ids)})
        return [_task_execution(r) for r in rows]

    def task_invocations_of(self, window_execution_ids: Collection[str]) -> list[TaskInvocation]:
        rows = self._conn.execute(_TASK_INVOCATIONS_OF, {"ids": list(window_execution_ids)})
        return [_task_invocation(r) for r in rows]

    def insert_window_executions(self, executions: Sequence[WindowExecution]) -> None:
        if executions:
            self._conn.execute(_WX.insert(), [_row(e) for e in executions])

    def insert_task_executions(self, executions: Sequence[TaskExecution]) -> None:
        if executions:
            self._conn.execute(_TX.insert(), [_row(e) for e in executions])

    def set_window_executions(self, changes: Sequence[Change[WindowExecutionUpdate]]) -> int:
        return self._set(_WX, "window_execution_id", changes)

    def set_task_executions(self, changes: Sequence[Change[TaskExecutionUpdate]]) -> int:
        return self._set(_TX, "task_execution_id", changes)

    def set_task_invocations(self, changes: Sequence[Change[TaskInvocationUpdate]]) -> int:
        return self._set(_TI, "invocation_id", changes)

    # window executions
    def get_window_execution(self, window_execution_id: str) -> WindowExecution | None:
        row = self._conn.execute(
            sa.select(_WX).where(_WX.c.window_execution_id == window_execution_id)
        ).first()
        return None if row is None else _window_execution(row)

    def update_window_execution(
        self,
        window_execution_id: str,
        from_statuses: Collection[ExecutionStatus],
        values: WindowExecutionUpdate,
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
        self,
        window_id: str | None,
        started_after: datetime | None,
        started_before: datetime | None,
        after: int | None,
        limit: int,
    ) -> Page[WindowExecution]:
        query = sa.select(_WX).order_by(_WX.c.seq.desc()).limit(limit + 1)
        if window_id is not None:
            query = query.where(_WX.c.window_id == window_id)
        if after is not None:
            query = query.where(_WX.c.seq < after)
        if started_after is not None:
            query = query.where(_WX.c.start_time >= started_after)
        if started_before is not None:
            query = query.where(_WX.c.start_time <= started_before)
        rows = self._conn.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_window_execution(r) for r in rows], rows[-1].seq if more else None)

    def window_runs_overlapping(
        self, window_id: str | None, start: datetime, end: datetime, limit: int
    ) -> list[WindowRun]:
        query = _RUNS.where(
            _WX.c.start_time >= start - LONGEST_RUN,
            _WX.c.start_time < end,
            _WX.c.window_end > start,
        ).limit(limit)
        if window_id is not None:
            query = query.where(_WX.c.window_id == window_id)
        return [
            WindowRun(execution_id, window, _STATUSES[status], *times)
            for execution_id, window, status, *times in self._conn.execute(query)
        ]

    def latest_window_executions(self, window_ids: Collection[str]) -> dict[str, WindowExecution]:
        rows = self._conn.execute(_LATEST_OF, {"ids": list(window_ids)})
        return {r.window_id: _window_execution(r) for r in rows}

    def active_window_executions_of(self, window_ids: Collection[str]) -> list[WindowExecution]:
        rows = self._conn.execute(_ACTIVE_OF, {"ids": list(window_ids)})
        return [_window_execution(r) for r in rows]

    def active_window_executions(self) -> list[WindowExecution]:
        return [_window_execution(r) for r in self._conn.execute(_ACTIVE)]

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
        self.wake_window_executions([window_execution_id], at)

    def wake_window_executions(self, window_execution_ids: Collection[str], at: datetime) -> None:
        if window_execution_ids:
            self._conn.execute(_WAKE, {"ids": list(window_execution_ids), "at": at})

    # task executions
    def list_task_executions(self, window_execution_id: str) -> list[TaskExecution]:
        rows = self._conn.execute(
            sa.select(_TX)
            .where(_TX.c.window_execution_id == window_execution_id)
            .order_by(_TX.c.seq)
        )
        return [_task_execution(r) for r in rows]

    # task invocations
    def insert_task_invocations(self, invocations: Sequence[TaskInvocation]) -> None:
        if invocations:
            self._conn.execute(_TI.insert(), [_row(i) for i in invocations])

    def list_task_invocations(self, task_execution_id: str) -> list[TaskInvocation]:
        rows = self._conn.execute(
            sa.select(_TI).where(_TI.c.task_execution_id == task_execution_id).order_by(_TI.c.seq)
        )
        return [_task_invocation(r) for r in rows]

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

    def advance_cursors(self, moves: Sequence[tuple[str, datetime, datetime | None]]) -> int:
        if not moves:
            return 0
        rows = [{"_id": w, "_due": due, "v_due_at": to} for w, due, to in moves]
        if self._conn.dialect.supports_sane_multi_rowcount:
            return int(self._conn.execute(_ADVANCE_CURSOR, rows).rowcount)
        return sum(self._conn.execute(_ADVANCE_CURSOR, row).rowcount for row in rows)

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

    def node_names(self) -> dict[str, str]:
        # not dict(result): a Result has keys(), so dict() would take it for a mapping
        return {i: name for i, name in self._conn.execute(_NODE_NAMES)}  # noqa: C416
