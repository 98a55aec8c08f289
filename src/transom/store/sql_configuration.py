"""Windows, their targets and tasks, tags and idempotency tokens on SQLAlchemy Core
(`transom.store.ports.configuration.ConfigurationPort`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.windows import (
    ResourceType,
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
from transom.store.ports.configuration import IdempotencyRecord
from transom.store.ports.paging import Page

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


_WINDOWS_VERSION = sa.select(t.change_counts.c.count).where(t.change_counts.c.kind == "windows")
_TAGS_OF = (
    sa.select(t.tags.c.resource_id, t.tags.c.key, t.tags.c.value)
    .where(
        t.tags.c.resource_type == sa.bindparam("type"),
        t.tags.c.resource_id.in_(sa.bindparam("ids", expanding=True)),
    )
    .order_by(t.tags.c.resource_id, t.tags.c.key)
)


class ConfigurationQueries:
    _conn: Connection
    _windows_changed: bool
    """Whether this transaction wrote a window (its commit then bumps the windows' count)."""

    def _count(self, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return int(self._conn.execute(query).scalar_one())

    # windows
    def insert_window(self, window: Window) -> None:
        self._windows_changed = True
        self._conn.execute(t.windows.insert().values(_window_row(window)))

    def get_window(self, window_id: str) -> Window | None:
        row = self._conn.execute(_GET_WINDOW, {"id": window_id}).first()
        return None if row is None else _window(row)

    def windows_of(self, window_ids: Collection[str]) -> list[Window]:
        return [_window(r) for r in self._conn.execute(_WINDOWS_OF, {"ids": list(window_ids)})]

    def update_window(self, window: Window) -> None:
        self._windows_changed = True
        self._conn.execute(
            t.windows.update()
            .where(t.windows.c.window_id == window.window_id)
            .values(_window_row(window))
        )

    def delete_window(self, window_id: str) -> bool:
        self._windows_changed = True
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

    def windows_version(self) -> int:
        return int(self._conn.execute(_WINDOWS_VERSION).scalar() or 0)

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

    def tags_of(self, resource_type: str, resource_ids: Collection[str]) -> dict[str, list[Tag]]:
        found: dict[str, list[Tag]] = {}
        if resource_ids:
            rows = self._conn.execute(_TAGS_OF, {"type": resource_type, "ids": list(resource_ids)})
            for resource_id, key, value in rows:
                found.setdefault(resource_id, []).append(Tag(key, value))
        return found

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
