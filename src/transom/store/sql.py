"""`Store` on SQLAlchemy Core, for SQLite (one node, WAL) and PostgreSQL (many nodes).

SQLite writers begin with `BEGIN IMMEDIATE`, so one writer runs at a time and `lock()` has
nothing left to do; PostgreSQL `lock()` takes a transaction-scoped advisory lock.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

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
from transom.domain.nodes import Activation, Node, NodeFacts
from transom.domain.windows import (
    CalendarFeed,
    ResourceType,
    Role,
    SealedSecret,
    StoredKey,
    Tag,
    TargetSpec,
    TaskSpec,
    TaskType,
    Window,
    WindowQuery,
    WindowSpec,
    WindowTarget,
    WindowTask,
)
from transom.store import schema as t
from transom.store.engine import BEGIN_MODE, PoolUse, create_engine, pool_use
from transom.store.migrate import current_revision, head_revision, upgrade
from transom.store.notify import NOTIFY, ChangeListener
from transom.store.ports.changes import Change
from transom.store.ports.commands import InvocationMove, InvocationUpdate
from transom.store.ports.configuration import IdempotencyRecord
from transom.store.ports.paging import Page
from transom.store.sql_audit import AuditQueries
from transom.store.sql_counts import CountQueries
from transom.store.sql_deliveries import DeliveryQueries
from transom.store.sql_documents import DocumentQueries
from transom.store.sql_events import EventQueries
from transom.store.sql_executions import ExecutionQueries
from transom.store.sql_rules import RuleQueries
from transom.store.sql_topics import TopicQueries

_WINDOW_SPEC_COLUMNS = (
    "name",
    "description",
    "start_date",
    "end_date",
    "schedule",
    "schedule_timezone",
    "schedule_offset",
    "duration",
    "cutoff",
    "allow_unassociated_targets",
    "enabled",
)
_TARGET_SPEC_COLUMNS = ("targets", "owner_information", "name", "description")
_TASK_SPEC_COLUMNS = (
    "task_arn",
    "targets",
    "priority",
    "service_role_arn",
    "task_parameters",
    "task_invocation_parameters",
    "max_concurrency",
    "max_errors",
    "logging_info",
    "name",
    "description",
    "cutoff_behavior",
    "alarm_configuration",
)


def _window_row(window: Window) -> dict[str, Any]:
    row = {c: getattr(window.spec, c) for c in _WINDOW_SPEC_COLUMNS}
    row.update(
        window_id=window.window_id,
        created_date=window.created_date,
        modified_date=window.modified_date,
        schedule_changed_date=window.schedule_changed_date,
    )
    return row


def _window(row: sa.Row[Any]) -> Window:
    m = row._mapping
    return Window(
        window_id=m["window_id"],
        spec=WindowSpec(**{c: m[c] for c in _WINDOW_SPEC_COLUMNS}),
        created_date=m["created_date"],
        modified_date=m["modified_date"],
        schedule_changed_date=m["schedule_changed_date"],
    )


def _target_row(target: WindowTarget) -> dict[str, Any]:
    row = {c: getattr(target.spec, c) for c in _TARGET_SPEC_COLUMNS}
    row.update(
        window_id=target.window_id,
        window_target_id=target.window_target_id,
        resource_type=target.spec.resource_type.value,
    )
    return row


def _target(row: sa.Row[Any]) -> WindowTarget:
    m = row._mapping
    return WindowTarget(
        window_id=m["window_id"],
        window_target_id=m["window_target_id"],
        spec=TargetSpec(
            resource_type=ResourceType(m["resource_type"]),
            **{c: m[c] for c in _TARGET_SPEC_COLUMNS},
        ),
    )


def _task_row(task: WindowTask) -> dict[str, Any]:
    row = {c: getattr(task.spec, c) for c in _TASK_SPEC_COLUMNS}
    row.update(
        window_id=task.window_id,
        window_task_id=task.window_task_id,
        task_type=task.spec.task_type.value,
    )
    return row


def _secret_columns(secret: SealedSecret) -> dict[str, Any]:
    if secret.master_key_id is None:
        plain = secret.ciphertext.decode()
        return {"secret_access_key": plain, "master_key_id": None, "sealed_secret": None}
    return {
        "secret_access_key": None,
        "master_key_id": secret.master_key_id,
        "sealed_secret": secret.ciphertext,
    }


def _stored_key(row: sa.Row[Any]) -> StoredKey:
    m = row._mapping
    if m["master_key_id"] is None:
        secret = SealedSecret(None, m["secret_access_key"].encode())
    else:
        secret = SealedSecret(m["master_key_id"], bytes(m["sealed_secret"]))
    return StoredKey(m["access_key_id"], secret, m["description"], m["created_date"], m["policy"])


def _task(row: sa.Row[Any]) -> WindowTask:
    m = row._mapping
    return WindowTask(
        window_id=m["window_id"],
        window_task_id=m["window_task_id"],
        spec=TaskSpec(task_type=TaskType(m["task_type"]), **{c: m[c] for c in _TASK_SPEC_COLUMNS}),
    )


# Hot lookups, built once: constructing a statement costs more than running it on SQLite.
_GET_WINDOW = sa.select(t.windows).where(t.windows.c.window_id == sa.bindparam("id"))
_GET_TAGS = (
    sa.select(t.tags.c.key, t.tags.c.value)
    .where(
        t.tags.c.resource_type == sa.bindparam("type"), t.tags.c.resource_id == sa.bindparam("id")
    )
    .order_by(t.tags.c.key)
)
_GET_ACCESS_KEY = sa.select(t.access_keys).where(
    t.access_keys.c.access_key_id == sa.bindparam("id")
)
_LOCK_ALL = sa.text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:ks AS bigint[])) AS k "
    "ORDER BY 1) AS ordered"
)
_WINDOWS_OF = sa.select(t.windows).where(
    t.windows.c.window_id.in_(sa.bindparam("ids", expanding=True))
)
_TARGETS_OF = (
    sa.select(t.window_targets)
    .where(t.window_targets.c.window_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(t.window_targets.c.seq)
)
_TASKS_OF = (
    sa.select(t.window_tasks)
    .where(t.window_tasks.c.window_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(t.window_tasks.c.seq)
)
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


_GET_NODE = sa.select(t.nodes).where(t.nodes.c.instance_id == sa.bindparam("id"))
_NODES_OF = sa.select(t.nodes).where(t.nodes.c.instance_id.in_(sa.bindparam("ids", expanding=True)))
_RECORD_PINGS = (
    t.nodes.update()
    .where(t.nodes.c.instance_id.in_(sa.bindparam("ids", expanding=True)))
    .values(last_ping_date=sa.bindparam("at"))
)
_NODE_FACTS = tuple(f.name for f in dataclasses.fields(NodeFacts))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(record: Any) -> dict[str, Any]:
    """A dataclass as a row: its fields, shallow (unlike `dataclasses.asdict`)."""
    names = _FIELD_NAMES.get(type(record))
    if names is None:
        names = _FIELD_NAMES[type(record)] = tuple(f.name for f in dataclasses.fields(record))
    return {name: getattr(record, name) for name in names}


def _activation(row: sa.Row[Any]) -> Activation:
    m = dict(row._mapping)
    m["tags"] = tuple(Tag(tag["Key"], tag["Value"]) for tag in m["tags"])
    return Activation(**m)


def _columns(table: sa.Table) -> Callable[[sa.Row[Any]], dict[str, Any]]:
    """A row of `select(table)` (every column, in order) as a dict: zipped with the column
    names taken once, five times faster than `dict(row._mapping)`."""
    names = tuple(table.c.keys())

    def as_dict(row: sa.Row[Any]) -> dict[str, Any]:
        return dict(zip(names, row, strict=True))

    return as_dict


def _in_order(table: sa.Table, names: Sequence[str]) -> None:
    """Refuse to load unless `table`'s columns are `names` in this order: the hottest rows
    are read by position into their records."""
    if tuple(table.c.keys()) != tuple(names):
        raise RuntimeError(f"the columns of {table.name} are not in the order read: {names}")


_command_columns = _columns(t.commands)
_INVOCATION_FIELDS = tuple(f.name for f in dataclasses.fields(Invocation))
_in_order(_INV, _INVOCATION_FIELDS)
_NODE_FIELDS = tuple(f.name for f in dataclasses.fields(Node))
_in_order(t.nodes, ("seq", *_NODE_FIELDS[:3], *_NODE_FACTS, *_NODE_FIELDS[4:]))
_FACTS_AT = slice(4, 4 + len(_NODE_FACTS))
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


def _node(row: Sequence[Any]) -> Node:
    """A row of `select(nodes)`, by position (every poll authenticates with one)."""
    return Node(row[1], row[2], row[3], NodeFacts(*row[_FACTS_AT]), *row[_FACTS_AT.stop :])


class SqlTransaction(
    AuditQueries,
    ExecutionQueries,
    EventQueries,
    RuleQueries,
    TopicQueries,
    DeliveryQueries,
    DocumentQueries,
    CountQueries,
):
    """One database transaction; see `transom.store.port.Transaction` for the contract."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._changes: set[Change] = set()

    def announce(self, change: Change) -> None:
        self._changes.add(change)

    def _tell_changes(self) -> None:
        """Just before commit: NOTIFY each change announced, once (PostgreSQL)."""
        if self._changes and self._conn.dialect.name == "postgresql":
            self._conn.execute(NOTIFY, {"ks": sorted(self._changes)})

    def _count(self, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int(self._conn.execute(query).scalar_one())

    def lock(self, key: str) -> None:
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())}
            )

    def lock_all(self, keys: Collection[str]) -> None:
        if self._conn.dialect.name == "postgresql" and keys:
            numbers = sorted({zlib.crc32(key.encode()) for key in keys})
            self._conn.execute(_LOCK_ALL, {"ks": numbers})

    # windows
    def insert_window(self, window: Window) -> None:
        self._conn.execute(t.windows.insert().values(_window_row(window)))

    def get_window(self, window_id: str) -> Window | None:
        row = self._conn.execute(_GET_WINDOW, {"id": window_id}).first()
        return None if row is None else _window(row)

    def windows_of(self, window_ids: Collection[str]) -> list[Window]:
        return [_window(r) for r in self._conn.execute(_WINDOWS_OF, {"ids": list(window_ids)})]

    def update_window(self, window: Window) -> None:
        self._conn.execute(
            t.windows.update()
            .where(t.windows.c.window_id == window.window_id)
            .values(_window_row(window))
        )

    def delete_window(self, window_id: str) -> bool:
        for table in (t.window_tasks, t.window_targets):
            self._conn.execute(table.delete().where(table.c.window_id == window_id))
        self._conn.execute(
            t.tags.delete().where(
                t.tags.c.resource_type == "MaintenanceWindow", t.tags.c.resource_id == window_id
            )
        )
        result = self._conn.execute(t.windows.delete().where(t.windows.c.window_id == window_id))
        return result.rowcount > 0

    def count_windows(self) -> int:
        return self._count(t.windows)

    def list_windows(self, query: WindowQuery, after: int | None, limit: int) -> Page[Window]:
        select = sa.select(t.windows).order_by(t.windows.c.seq).limit(limit + 1)
        if after is not None:
            select = select.where(t.windows.c.seq > after)
        if query.name_prefixes:
            select = select.where(
                sa.or_(
                    *(t.windows.c.name.startswith(p, autoescape=True) for p in query.name_prefixes)
                )
            )
        if query.enabled is not None:
            select = select.where(t.windows.c.enabled == query.enabled)
        rows = self._conn.execute(select).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_window(r) for r in rows], rows[-1].seq if more else None)

    # targets
    def insert_target(self, target: WindowTarget) -> None:
        self._conn.execute(t.window_targets.insert().values(_target_row(target)))

    def get_target(self, window_id: str, window_target_id: str) -> WindowTarget | None:
        row = self._conn.execute(
            sa.select(t.window_targets).where(
                t.window_targets.c.window_id == window_id,
                t.window_targets.c.window_target_id == window_target_id,
            )
        ).first()
        return None if row is None else _target(row)

    def update_target(self, target: WindowTarget) -> None:
        self._conn.execute(
            t.window_targets.update()
            .where(t.window_targets.c.window_target_id == target.window_target_id)
            .values(_target_row(target))
        )

    def delete_target(self, window_id: str, window_target_id: str) -> bool:
        result = self._conn.execute(
            t.window_targets.delete().where(
                t.window_targets.c.window_id == window_id,
                t.window_targets.c.window_target_id == window_target_id,
            )
        )
        return result.rowcount > 0

    def count_targets(self, window_id: str) -> int:
        return self._count(t.window_targets, t.window_targets.c.window_id == window_id)

    def targets_of(self, window_ids: Collection[str]) -> list[WindowTarget]:
        return [_target(r) for r in self._conn.execute(_TARGETS_OF, {"ids": list(window_ids)})]

    def list_targets(self, window_id: str) -> list[WindowTarget]:
        rows = self._conn.execute(
            sa.select(t.window_targets)
            .where(t.window_targets.c.window_id == window_id)
            .order_by(t.window_targets.c.seq)
        )
        return [_target(r) for r in rows]

    # tasks
    def insert_task(self, task: WindowTask) -> None:
        self._conn.execute(t.window_tasks.insert().values(_task_row(task)))

    def get_task(self, window_id: str, window_task_id: str) -> WindowTask | None:
        row = self._conn.execute(
            sa.select(t.window_tasks).where(
                t.window_tasks.c.window_id == window_id,
                t.window_tasks.c.window_task_id == window_task_id,
            )
        ).first()
        return None if row is None else _task(row)

    def update_task(self, task: WindowTask) -> None:
        self._conn.execute(
            t.window_tasks.update()
            .where(t.window_tasks.c.window_task_id == task.window_task_id)
            .values(_task_row(task))
        )

    def delete_task(self, window_id: str, window_task_id: str) -> bool:
        result = self._conn.execute(
            t.window_tasks.delete().where(
                t.window_tasks.c.window_id == window_id,
                t.window_tasks.c.window_task_id == window_task_id,
            )
        )
        return result.rowcount > 0

    def count_tasks(self, window_id: str) -> int:
        return self._count(t.window_tasks, t.window_tasks.c.window_id == window_id)

    def tasks_of(self, window_ids: Collection[str]) -> list[WindowTask]:
        return [_task(r) for r in self._conn.execute(_TASKS_OF, {"ids": list(window_ids)})]

    def list_tasks(self, window_id: str) -> list[WindowTask]:
        rows = self._conn.execute(
            sa.select(t.window_tasks)
            .where(t.window_tasks.c.window_id == window_id)
            .order_by(t.window_tasks.c.seq)
        )
        return [_task(r) for r in rows]

    # tags
    def _tag_filter(self, resource_type: str, resource_id: str) -> list[sa.ColumnElement[bool]]:
        return [t.tags.c.resource_type == resource_type, t.tags.c.resource_id == resource_id]

    def get_tags(self, resource_type: str, resource_id: str) -> list[Tag]:
        rows = self._conn.execute(_GET_TAGS, {"type": resource_type, "id": resource_id})
        return [Tag(r.key, r.value) for r in rows]

    def put_tags(self, resource_type: str, resource_id: str, tags: Sequence[Tag]) -> None:
        if not tags:
            return
        self.remove_tags(resource_type, resource_id, [tag.key for tag in tags])
        self._conn.execute(
            t.tags.insert(),
            [
                {"resource_type": resource_type, "resource_id": resource_id, **vars(tag)}
                for tag in {tag.key: tag for tag in tags}.values()
            ],
        )

    def remove_tags(self, resource_type: str, resource_id: str, keys: Sequence[str]) -> None:
        if keys:
            self._conn.execute(
                t.tags.delete().where(
                    *self._tag_filter(resource_type, resource_id), t.tags.c.key.in_(keys)
                )
            )

    # idempotency
    def get_idempotency(self, operation: str, client_token: str) -> IdempotencyRecord | None:
        row = self._conn.execute(
            sa.select(t.idempotency_tokens).where(
                t.idempotency_tokens.c.operation == operation,
                t.idempotency_tokens.c.client_token == client_token,
            )
        ).first()
        return None if row is None else IdempotencyRecord(row.fingerprint, row.resource_id)

    def put_idempotency(
        self, operation: str, client_token: str, record: IdempotencyRecord, at: datetime
    ) -> None:
        self._conn.execute(
            t.idempotency_tokens.insert().values(
                operation=operation,
                client_token=client_token,
                fingerprint=record.fingerprint,
                resource_id=record.resource_id,
                created_date=at,
            )
        )

    # activations
    def insert_activation(self, activation: Activation) -> None:
        row = dataclasses.asdict(activation)
        row["tags"] = [{"Key": t.key, "Value": t.value} for t in activation.tags]
        self._conn.execute(t.activations.insert().values(row))

    def get_activation(self, activation_id: str) -> Activation | None:
        row = self._conn.execute(
            sa.select(t.activations).where(t.activations.c.activation_id == activation_id)
        ).first()
        return None if row is None else _activation(row)

    def list_activations(self) -> list[Activation]:
        rows = self._conn.execute(sa.select(t.activations).order_by(t.activations.c.created_date))
        return [_activation(r) for r in rows]

    def delete_activation(self, activation_id: str) -> bool:
        result = self._conn.execute(
            t.activations.delete().where(t.activations.c.activation_id == activation_id)
        )
        return result.rowcount > 0

    def claim_registration(self, activation_id: str) -> bool:
        result = self._conn.execute(
            t.activations.update()
            .where(
                t.activations.c.activation_id == activation_id,
                t.activations.c.registrations_count < t.activations.c.registration_limit,
            )
            .values(registrations_count=t.activations.c.registrations_count + 1)
        )
        return result.rowcount > 0

    # nodes
    def insert_node(self, node: Node) -> None:
        row = {k: v for k, v in dataclasses.asdict(node).items() if k != "facts"}
        row.update(dataclasses.asdict(node.facts))
        self._conn.execute(t.nodes.insert().values(row))

    def get_node(self, instance_id: str) -> Node | None:
        row = self._conn.execute(_GET_NODE, {"id": instance_id}).first()
        return None if row is None else _node(row)

    def nodes_of(self, instance_ids: Collection[str]) -> list[Node]:
        return [_node(r) for r in self._conn.execute(_NODES_OF, {"ids": list(instance_ids)})]

    def list_nodes(self) -> list[Node]:
        rows = self._conn.execute(
            sa.select(t.nodes).where(t.nodes.c.deregistered_date.is_(None)).order_by(t.nodes.c.seq)
        )
        return [_node(r) for r in rows]

    def record_ping(self, instance_id: str, at: datetime, facts: NodeFacts | None) -> None:
        values: dict[str, Any] = {"last_ping_date": at}
        if facts is not None:
            values.update(dataclasses.asdict(facts))
        self._conn.execute(
            t.nodes.update().where(t.nodes.c.instance_id == instance_id).values(values)
        )

    def record_pings(self, instance_ids: Collection[str], at: datetime) -> None:
        if instance_ids:
            self._conn.execute(_RECORD_PINGS, {"ids": list(instance_ids), "at": at})

    def quiet_nodes(self, heard_before: datetime) -> list[str]:
        rows = self._conn.execute(
            sa.select(t.nodes.c.instance_id)
            .where(
                t.nodes.c.deregistered_date.is_(None),
                t.nodes.c.reported_ping_status == "Online",
                t.nodes.c.last_ping_date < heard_before,
            )
            .order_by(t.nodes.c.seq)
        )
        return list(rows.scalars())

    def report_ping_status(
        self, instance_id: str, status: str, heard_before: datetime | None
    ) -> bool:
        where = [
            t.nodes.c.instance_id == instance_id,
            t.nodes.c.deregistered_date.is_(None),
            t.nodes.c.reported_ping_status != status,
        ]
        if heard_before is not None:
            where.append(t.nodes.c.last_ping_date < heard_before)
        result = self._conn.execute(
            t.nodes.update().where(*where).values(reported_ping_status=status)
        )
        return result.rowcount > 0

    def deregister_node(self, instance_id: str, at: datetime) -> bool:
        result = self._conn.execute(
            t.nodes.update()
            .where(t.nodes.c.instance_id == instance_id, t.nodes.c.deregistered_date.is_(None))
            .values(deregistered_date=at)
        )
        return result.rowcount > 0

    def set_node_role(self, instance_id: str, iam_role: str) -> bool:
        result = self._conn.execute(
            t.nodes.update()
            .where(t.nodes.c.instance_id == instance_id, t.nodes.c.deregistered_date.is_(None))
            .values(iam_role=iam_role)
        )
        return result.rowcount > 0

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
            self._conn.execute(t.commands.insert(), [_fields(c) for c, _ in commands])
            rows = [_fields(i) for _, invocations in commands for i in invocations]
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
            {"command_id": command_id, "instance_id": instance_id, **_fields(p)}
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

    # access keys
    def insert_access_key(self, key: StoredKey) -> None:
        self._conn.execute(
            t.access_keys.insert().values(
                access_key_id=key.access_key_id,
                description=key.description,
                created_date=key.created_date,
                policy=key.policy,
                **_secret_columns(key.secret),
            )
        )

    def get_access_key(self, access_key_id: str) -> StoredKey | None:
        row = self._conn.execute(_GET_ACCESS_KEY, {"id": access_key_id}).first()
        return None if row is None else _stored_key(row)

    def list_access_keys(self) -> list[StoredKey]:
        rows = self._conn.execute(sa.select(t.access_keys).order_by(t.access_keys.c.created_date))
        return [_stored_key(r) for r in rows]

    def delete_access_key(self, access_key_id: str) -> bool:
        result = self._conn.execute(
            t.access_keys.delete().where(t.access_keys.c.access_key_id == access_key_id)
        )
        self._conn.execute(
            t.calendar_feeds.delete().where(t.calendar_feeds.c.access_key_id == access_key_id)
        )
        return result.rowcount > 0

    def reseal_access_key(self, access_key_id: str, was: str | None, secret: SealedSecret) -> bool:
        column = t.access_keys.c.master_key_id
        result = self._conn.execute(
            t.access_keys.update()
            .where(
                t.access_keys.c.access_key_id == access_key_id,
                column.is_(None) if was is None else column == was,
            )
            .values(**_secret_columns(secret))
        )
        return result.rowcount > 0

    def set_access_key_policy(self, access_key_id: str, policy: str | None) -> bool:
        keys = t.access_keys
        result = self._conn.execute(
            keys.update().where(keys.c.access_key_id == access_key_id).values(policy=policy)
        )
        return result.rowcount > 0

    def insert_role(self, role: Role) -> None:
        self._conn.execute(t.roles.insert().values(vars(role)))

    def get_role(self, name: str) -> Role | None:
        row = self._conn.execute(sa.select(t.roles).where(t.roles.c.name == name)).first()
        return None if row is None else Role(**row._mapping)

    def list_roles(self) -> list[Role]:
        rows = self._conn.execute(sa.select(t.roles).order_by(t.roles.c.name))
        return [Role(**r._mapping) for r in rows]

    def delete_role(self, name: str) -> bool:
        return self._conn.execute(t.roles.delete().where(t.roles.c.name == name)).rowcount > 0

    def put_calendar_feed(self, feed: CalendarFeed) -> None:
        feeds = t.calendar_feeds
        self._conn.execute(feeds.delete().where(feeds.c.access_key_id == feed.access_key_id))
        self._conn.execute(feeds.insert().values(vars(feed)))

    def calendar_feed_of(self, access_key_id: str) -> CalendarFeed | None:
        feeds = t.calendar_feeds
        row = self._conn.execute(
            sa.select(feeds).where(feeds.c.access_key_id == access_key_id)
        ).first()
        return None if row is None else CalendarFeed(**row._mapping)

    def calendar_feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        feeds = t.calendar_feeds
        row = self._conn.execute(sa.select(feeds).where(feeds.c.token_hash == token_hash)).first()
        return None if row is None else CalendarFeed(**row._mapping)

    def sign_out_console_session(self, session_id: str, expires: datetime, now: datetime) -> None:
        ended = t.console_sign_outs
        self._conn.execute(ended.delete().where(ended.c.expires_date <= now))
        self._conn.execute(ended.delete().where(ended.c.session_id == session_id))
        self._conn.execute(ended.insert().values(session_id=session_id, expires_date=expires))

    def console_session_signed_out(self, session_id: str) -> bool:
        ended = t.console_sign_outs
        query = sa.select(ended.c.session_id).where(ended.c.session_id == session_id)
        return self._conn.execute(query).first() is not None


class SqlStore:
    """The store for a database URL; migrates the schema to the newest revision on open.

    Reads run in autocommit, each statement its own snapshot: on SQLite each thread keeps one
    connection for them (checking a connection out of the pool for every read would cost
    more than the read); on PostgreSQL a read saves the round trips of BEGIN and ROLLBACK.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> SqlStore:
        """`UnknownRevision` (`store.migrate`) for a database a newer Transom wrote."""
        engine = create_engine(url)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        if engine.url.get_backend_name() == "sqlite" and engine.url.database:
            _owner_only(Path(engine.url.database))
        return cls(engine)

    def _reader(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect().execution_options(**{BEGIN_MODE: None})
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        if not self._sqlite:  # autocommit: no BEGIN and ROLLBACK round trips around a read
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield SqlTransaction(conn)
            return
        conn = self._reader()
        try:
            yield SqlTransaction(conn)
        finally:
            conn.rollback()

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        with (
            self.engine.connect().execution_options(**{BEGIN_MODE: "IMMEDIATE"}) as conn,
            conn.begin(),
        ):
            tx = SqlTransaction(conn)
            yield tx
            tx._tell_changes()

    def schema_revisions(self) -> tuple[str | None, str]:
        with self.engine.connect() as conn:
            return current_revision(conn), head_revision()

    def listener(self, wake: Mapping[Change, Callable[[], None]]) -> ChangeListener | None:
        """A listener (not started) calling `wake[change]` for each change any replica
        announces; None on SQLite, where there are no other replicas."""
        return None if self._sqlite else ChangeListener(self.engine, wake)

    def pool_use(self) -> PoolUse:
        """The connection pool's use now (on SQLite each thread that reads keeps one
        connection checked out)."""
        return pool_use(self.engine)

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self.engine.dispose()


def _owner_only(database: Path) -> None:
    """Make a SQLite database's files (with its -wal and -shm) readable by their owner only:
    they hold every access key's secret."""
    for path in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        with suppress(FileNotFoundError):
            path.chmod(0o600)
