"""Commands, their invocations and plugin runs on SQLAlchemy Core
(`transom.store.ports.commands.CommandPort`)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.commands import (
    FINAL_DETAILS,
    Command,
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
    PluginDetails,
    PluginRun,
)
from transom.store import schema as t
from transom.store.ports.commands import InvocationMove, InvocationUpdate
from transom.store.sql_rows import dict_reader, fields, in_order

# Hot lookups, built once: constructing a statement costs more than running it on SQLite.
_INVOCATIONS_OF = sa.select(t.invocations).where(
    t.invocations.c.command_id.in_(sa.bindparam("ids", expanding=True))
)
_GET_COMMAND = sa.select(t.commands).where(t.commands.c.command_id == sa.bindparam("id"))
_COMMANDS_OF = sa.select(t.commands).where(
    t.commands.c.command_id.in_(sa.bindparam("ids", expanding=True))
)
_SET_COMMAND_STATUS = (
    t.commands.update()
    .where(t.commands.c.command_id == sa.bindparam("id"))
    .values(status=sa.bindparam("v_status"), status_details=sa.bindparam("v_details"))
)
_GET_COMMAND_STATUS = sa.select(t.commands.c.status, t.commands.c.status_details).where(
    t.commands.c.command_id == sa.bindparam("id")
)
_COMMAND_STATUSES_OF = sa.select(
    t.commands.c.command_id, t.commands.c.status, t.commands.c.status_details
).where(t.commands.c.command_id.in_(sa.bindparam("ids", expanding=True)))
_MARK_COMMANDS_STARTED = (
    t.commands.update()
    .where(
        t.commands.c.command_id.in_(sa.bindparam("ids", expanding=True)),
        t.commands.c.status == CommandStatus.PENDING,
        t.commands.c.status_details == CommandDetails.PENDING,
    )
    .values(status=CommandStatus.IN_PROGRESS, status_details=CommandDetails.IN_PROGRESS)
    .returning(t.commands.c.command_id)
)
_INV = t.invocations
_UNFINISHED = tuple(d for d in InvocationDetails if d not in FINAL_DETAILS)
"""The details an invocation may still leave: Pending, In Progress, Cancelling."""
_GET_INVOCATION = sa.select(_INV).where(
    _INV.c.command_id == sa.bindparam("c"), _INV.c.instance_id == sa.bindparam("i")
)
_COUNT_INVOCATIONS = (
    sa.select(_INV.c.details, sa.func.count())
    .where(_INV.c.command_id == sa.bindparam("c"))
    .group_by(_INV.c.details)
)
_COUNT_INVOCATIONS_OF = (
    sa.select(_INV.c.command_id, _INV.c.details, sa.func.count())
    .where(_INV.c.command_id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(_INV.c.command_id, _INV.c.details)
)
_NODE_WORK = (
    sa.select(_INV)
    .where(
        _INV.c.instance_id.in_(sa.bindparam("ids", expanding=True)),
        sa.or_(
            _INV.c.details.in_((InvocationDetails.PENDING, InvocationDetails.CANCELLING)),
            sa.and_(_INV.c.details == InvocationDetails.IN_PROGRESS, _INV.c.started_date.is_(None)),
        ),
    )
    .order_by(_INV.c.requested_date)
)
_STRANDED = (
    sa.select(_INV)
    .join(t.nodes, t.nodes.c.instance_id == _INV.c.instance_id)
    .where(
        t.nodes.c.deregistered_date.is_not(None),
        _INV.c.details.in_(_UNFINISHED),
    )
)
_IN_FLIGHT = (
    sa.select(sa.func.count())
    .select_from(_INV)
    .where(
        _INV.c.command_id == sa.bindparam("c"),
        _INV.c.details.in_((InvocationDetails.IN_PROGRESS, InvocationDetails.CANCELLING)),
    )
)
_TRANSITIONS: dict[
    tuple[tuple[str, ...], tuple[InvocationDetails, ...], bool, bool], sa.Update
] = {}


def _transition(
    columns: tuple[str, ...],
    from_details: tuple[InvocationDetails, ...],
    *,
    one: bool,
    leased: bool,
) -> sa.Update:
    """The invocation compare-and-set setting `columns` from `from_details`, built once per
    shape (the details are few fixed sets, so they are written into the statement)."""
    key = (columns, from_details, one, leased)
    statement = _TRANSITIONS.get(key)
    if statement is None:
        where = [
            _INV.c.command_id == sa.bindparam("c"),
            sa.or_(*(_INV.c.details == d for d in from_details)),
        ]
        if one:
            where.append(_INV.c.instance_id == sa.bindparam("i"))
        if leased:
            where.append(_INV.c.lease == sa.bindparam("w_lease"))
        statement = _TRANSITIONS[key] = (
            _INV.update()
            .where(*where)
            .values({c: sa.bindparam(f"v_{c}", type_=_INV.c[c].type) for c in columns})
        )
    return statement


_command_columns = dict_reader(t.commands)
_INVOCATION_FIELDS = tuple(f.name for f in dataclasses.fields(Invocation))
in_order(_INV, _INVOCATION_FIELDS)
_DETAILS = {d.value: d for d in InvocationDetails}


def _command(row: sa.Row[Any]) -> Command:
    m = _command_columns(row)
    del m["seq"]
    m["status"] = CommandStatus(m["status"])
    m["status_details"] = CommandDetails(m["status_details"])
    return Command(**m)


def _invocation(row: Sequence[Any]) -> Invocation:
    """A row of `select(invocations)`, by position (hand-outs and results read thousands)."""
    command_id, instance_id, details, *rest = row
    return Invocation(command_id, instance_id, _DETAILS[details], *rest)


def _plugin(row: sa.Row[Any]) -> PluginRun:
    m = dict(row._mapping)
    del m["command_id"], m["instance_id"]
    m["details"] = PluginDetails(m["details"])
    return PluginRun(**m)


class CommandQueries:
    _conn: Connection

    # commands
    def insert_command(self, command: Command, invocations: Sequence[Invocation]) -> None:
        self.insert_commands([(command, invocations)])

    def get_command(self, command_id: str) -> Command | None:
        row = self._conn.execute(_GET_COMMAND, {"id": command_id}).first()
        return None if row is None else _command(row)

    def commands_of(self, command_ids: Collection[str]) -> list[Command]:
        if not command_ids:
            return []
        return [_command(r) for r in self._conn.execute(_COMMANDS_OF, {"ids": list(command_ids)})]

    def get_command_status(self, command_id: str) -> tuple[CommandStatus, CommandDetails] | None:
        row = self._conn.execute(_GET_COMMAND_STATUS, {"id": command_id}).first()
        if row is None:
            return None
        return CommandStatus(row.status), CommandDetails(row.status_details)

    def command_statuses_of(
        self, command_ids: Collection[str]
    ) -> dict[str, tuple[CommandStatus, CommandDetails]]:
        if not command_ids:
            return {}
        rows = self._conn.execute(_COMMAND_STATUSES_OF, {"ids": list(command_ids)})
        return {
            r.command_id: (CommandStatus(r.status), CommandDetails(r.status_details)) for r in rows
        }

    def mark_commands_started(self, command_ids: Collection[str]) -> set[str]:
        if not command_ids:
            return set()
        rows = self._conn.execute(_MARK_COMMANDS_STARTED, {"ids": list(command_ids)})
        return set(rows.scalars())

    def list_commands(self) -> list[Command]:
        rows = self._conn.execute(sa.select(t.commands).order_by(t.commands.c.seq.desc()))
        return [_command(r) for r in rows]

    def set_command_status(
        self, command_id: str, status: CommandStatus, details: CommandDetails
    ) -> None:
        self._conn.execute(
            _SET_COMMAND_STATUS, {"id": command_id, "v_status": status, "v_details": details}
        )

    def set_command_statuses(
        self, statuses: Sequence[tuple[str, CommandStatus, CommandDetails]]
    ) -> None:
        if statuses:
            self._conn.execute(
                _SET_COMMAND_STATUS,
                [{"id": c, "v_status": s, "v_details": d} for c, s, d in statuses],
            )

    def insert_commands(self, commands: Sequence[tuple[Command, Sequence[Invocation]]]) -> None:
        if commands:
            self._conn.execute(t.commands.insert(), [fields(c) for c, _ in commands])
            rows = [fields(i) for _, invocations in commands for i in invocations]
            if rows:
                self._conn.execute(t.invocations.insert(), rows)

    def invocations_of(self, command_ids: Collection[str]) -> list[Invocation]:
        rows = self._conn.execute(_INVOCATIONS_OF, {"ids": list(command_ids)})
        return [_invocation(r) for r in rows]

    def get_invocation(self, command_id: str, instance_id: str) -> Invocation | None:
        row = self._conn.execute(_GET_INVOCATION, {"c": command_id, "i": instance_id}).first()
        return None if row is None else _invocation(row)

    def list_invocations(
        self, command_id: str | None = None, instance_id: str | None = None
    ) -> list[Invocation]:
        query = (
            sa.select(t.invocations)
            .join(t.commands, t.commands.c.command_id == t.invocations.c.command_id)
            .order_by(t.commands.c.seq, t.invocations.c.instance_id)
        )
        if command_id is not None:
            query = query.where(t.invocations.c.command_id == command_id)
        if instance_id is not None:
            query = query.where(t.invocations.c.instance_id == instance_id)
        return [_invocation(r) for r in self._conn.execute(query)]

    def insert_plugins(self, plugins: Sequence[tuple[str, str, Sequence[PluginRun]]]) -> None:
        rows = [
            {"command_id": command_id, "instance_id": instance_id, **fields(p)}
            for command_id, instance_id, runs in plugins
            for p in runs
        ]
        if rows:
            self._conn.execute(t.invocation_plugins.insert(), rows)

    def list_plugins(
        self, command_id: str, instance_id: str | None = None
    ) -> dict[str, list[PluginRun]]:
        table = t.invocation_plugins
        query = (
            sa.select(table)
            .where(table.c.command_id == command_id)
            .order_by(table.c.instance_id, table.c.position)
        )
        if instance_id is not None:
            query = query.where(table.c.instance_id == instance_id)
        found: dict[str, list[PluginRun]] = {}
        for row in self._conn.execute(query):
            found.setdefault(row.instance_id, []).append(_plugin(row))
        return found

    def count_invocations(self, command_id: str) -> dict[InvocationDetails, int]:
        rows = self._conn.execute(_COUNT_INVOCATIONS, {"c": command_id})
        return {InvocationDetails(details): int(n) for details, n in rows}

    def count_invocations_of(
        self, command_ids: Collection[str]
    ) -> dict[str, dict[InvocationDetails, int]]:
        counts: dict[str, dict[InvocationDetails, int]] = {}
        if command_ids:
            rows = self._conn.execute(_COUNT_INVOCATIONS_OF, {"ids": list(command_ids)})
            for command_id, details, n in rows:
                counts.setdefault(command_id, {})[InvocationDetails(details)] = int(n)
        return counts

    def node_work(self, instance_ids: Collection[str]) -> list[Invocation]:
        rows = self._conn.execute(_NODE_WORK, {"ids": list(instance_ids)})
        return [_invocation(r) for r in rows]

    def in_flight(self, command_id: str) -> int:
        return int(self._conn.execute(_IN_FLIGHT, {"c": command_id}).scalar_one())

    def transition(
        self,
        command_id: str,
        instance_id: str,
        from_details: Collection[InvocationDetails],
        lease: str | None,
        values: InvocationUpdate,
    ) -> bool:
        params = {f"v_{k}": v for k, v in values.items()}
        params |= {"c": command_id, "i": instance_id, "w_lease": lease}
        statement = _transition(
            tuple(values), tuple(from_details), one=True, leased=lease is not None
        )
        return self._conn.execute(statement, params).rowcount > 0

    def transition_many(
        self, from_details: Collection[InvocationDetails], moves: Sequence[InvocationMove]
    ) -> list[bool]:
        details = tuple(from_details)
        applied: list[bool] = []
        for (columns, leased), group in itertools.groupby(
            moves, key=lambda m: (tuple(m.values), m.lease is not None)
        ):
            run = list(group)
            if len(run) > 1 and self._transition_run(columns, details, leased, run):
                applied += [True] * len(run)
            else:
                applied += [
                    self.transition(m.command_id, m.instance_id, details, m.lease, m.values)
                    for m in run
                ]
        return applied

    def _transition_run(
        self,
        columns: tuple[str, ...],
        from_details: tuple[InvocationDetails, ...],
        leased: bool,
        run: list[InvocationMove],
    ) -> bool:
        """Apply every move of `run` (one shape) in one statement if each of them applies;
        else change nothing (a savepoint undoes the run) and return False."""
        statement = _transition(columns, from_details, one=True, leased=leased)
        params = [
            {f"v_{k}": v for k, v in m.values.items()}
            | {"c": m.command_id, "i": m.instance_id, "w_lease": m.lease}
            for m in run
        ]
        savepoint = self._conn.begin_nested()
        if self._conn.execute(statement, params).rowcount == len(run):
            savepoint.commit()
            return True
        savepoint.rollback()
        return False

    def transition_all(
        self, command_id: str, from_details: Collection[InvocationDetails], values: InvocationUpdate
    ) -> list[str]:
        params = {f"v_{k}": v for k, v in values.items()}
        params["c"] = command_id
        statement = _transition(tuple(values), tuple(from_details), one=False, leased=False)
        return list(self._conn.execute(statement.returning(_INV.c.instance_id), params).scalars())

    def undelivered(self, expired_by: datetime) -> list[Invocation]:
        rows = self._conn.execute(
            sa.select(t.invocations)
            .join(t.commands, t.commands.c.command_id == t.invocations.c.command_id)
            .where(
                t.commands.c.expires_after <= expired_by,
                t.invocations.c.details.in_(_UNFINISHED),
                t.invocations.c.started_date.is_(None),
            )
        )
        return [_invocation(r) for r in rows]

    def stranded(self) -> list[Invocation]:
        rows = self._conn.execute(_STRANDED)
        return [_invocation(r) for r in rows]
