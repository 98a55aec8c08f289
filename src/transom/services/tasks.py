"""Use cases for window tasks: register, update, deregister, read, list."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from transom.domain.clock import Clock
from transom.domain.errors import DoesNotExistError, ResourceLimitExceededError, ValidationError
from transom.domain.events import Realm
from transom.domain.ids import new_uuid
from transom.domain.quotas import Quotas
from transom.domain.windows import TaskSpec, TaskType, Window, WindowTask
from transom.events import systems_manager as ssm_events
from transom.services import idempotency
from transom.services.documents import check_task_parameters
from transom.services.notification_config import check_notification_config
from transom.services.target_rules import check_task_targets, registered_instance_ids
from transom.services.windows import require_window
from transom.store.port import Store, Transaction

_OPERATION = "RegisterTaskWithMaintenanceWindow"
DEFAULT_CUTOFF_BEHAVIOR = "CONTINUE_TASK"


def _check_task(tx: Transaction, window: Window, spec: TaskSpec, realm: Realm) -> TaskSpec:
    """Validate `spec` against SPEC.md §b.10 (and a RunCommand NotificationConfig's topic)
    and return it.

    Transom runs RUN_COMMAND tasks only: it has no Automation, Lambda or Step Functions to call,
    and a task it cannot run would fail the window at every run. (Tasks of other types stored
    by an older Transom still fail their runs with a detail that says so.)
    """
    if spec.task_type is not TaskType.RUN_COMMAND:
        raise ValidationError(
            f"TaskType {spec.task_type} is not supported: Transom runs RUN_COMMAND tasks (a "
            "document such as AWS-RunShellScript on its agents) and has no Automation, Lambda "
            "or Step Functions service to call."
        )
    if not spec.targets:
        raise ValidationError(
            "RUN_COMMAND tasks need Targets: Key=WindowTargetIds with registered window target "
            "IDs, or Key=InstanceIds when the window allows unassociated targets."
        )
    window_targets = tx.list_targets(window.window_id)
    check_task_targets(
        spec.targets,
        window.spec.allow_unassociated_targets,
        {t.window_target_id for t in window_targets},
        registered_instance_ids([t.spec.targets for t in window_targets]),
    )
    missing = [
        wire
        for field, wire in (("max_concurrency", "MaxConcurrency"), ("max_errors", "MaxErrors"))
        if getattr(spec, field) is None
    ]
    if missing:
        raise ValidationError(
            f"{' and '.join(missing)} must be set for a task with targets "
            "(a number such as 10, or a percentage such as 10%)."
        )
    others = sorted(set(spec.task_invocation_parameters or {}) - {"RunCommand"})
    if others:
        raise ValidationError(
            f"TaskInvocationParameters.{others[0]} does not match TaskType RUN_COMMAND: "
            "a RUN_COMMAND task takes only TaskInvocationParameters.RunCommand."
        )
    run = (spec.task_invocation_parameters or {}).get("RunCommand") or {}
    check_notification_config(tx, run.get("NotificationConfig"), realm, ValidationError)
    if spec.task_type is TaskType.RUN_COMMAND:
        given = run.get("Parameters") or {
            k: v.get("Values", []) for k, v in (spec.task_parameters or {}).items()
        }
        check_task_parameters(tx, spec.task_arn, run.get("DocumentVersion"), given)
    return spec


def _require_task(
    tx: Transaction, window_id: str, window_task_id: str
) -> tuple[Window, WindowTask]:
    """The window and its task, or `DoesNotExistError` naming whichever is missing."""
    window = require_window(tx, window_id)
    task = tx.get_task(window_id, window_task_id)
    if task is None:
        raise DoesNotExistError(
            f"Task {window_task_id} does not exist in maintenance window {window_id}"
        )
    return window, task


class TaskService:
    """Window tasks; registering and deregistering one emits a task registration event."""

    def __init__(self, store: Store, clock: Clock, quotas: Quotas, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._quotas = quotas
        self._realm = realm

    def register(self, window_id: str, spec: TaskSpec, client_token: str | None) -> str:
        if spec.cutoff_behavior is None:
            spec = dataclasses.replace(spec, cutoff_behavior=DEFAULT_CUTOFF_BEHAVIOR)
        digest = idempotency.fingerprint([window_id, dataclasses.asdict(spec)])
        now = self._clock.now()

        def create(tx: Transaction) -> str:
            window = require_window(tx, window_id)
            checked = _check_task(tx, window, spec, self._realm)
            if tx.count_tasks(window_id) >= self._quotas.tasks_per_window:
                raise ResourceLimitExceededError(
                    f"Maintenance window {window_id} already has the maximum of "
                    f"{self._quotas.tasks_per_window} tasks. Deregister a task first."
                )
            task = WindowTask(window_id, new_uuid(), checked)
            tx.insert_task(task)
            event = ssm_events.task_registration(
                self._realm, window_id, task.window_task_id, True, now
            )
            tx.append_events([event])
            return task.window_task_id

        return idempotency.create_once(self._store, _OPERATION, client_token, digest, now, create)

    def update(
        self, window_id: str, window_task_id: str, changes: Mapping[str, Any], replace: bool
    ) -> WindowTask:
        """Apply the given fields; TaskInvocationParameters, when given, replaces the old value
        whole. With `replace`, TaskArn is required and unsent optional fields are reset."""
        with self._store.write() as tx:
            window, current = _require_task(tx, window_id, window_task_id)
            if replace:
                if changes.get("task_arn") is None:
                    raise ValidationError("Replace=true needs TaskArn, as registration does.")
                spec = TaskSpec(
                    task_type=current.spec.task_type,
                    **{"targets": [], "cutoff_behavior": DEFAULT_CUTOFF_BEHAVIOR, **changes},
                )
            else:
                spec = dataclasses.replace(current.spec, **changes)
            spec = _check_task(tx, window, spec, self._realm)
            task = WindowTask(window_id, window_task_id, spec)
            tx.update_task(task)
        return task

    def deregister(self, window_id: str, window_task_id: str) -> None:
        with self._store.write() as tx:
            _require_task(tx, window_id, window_task_id)
            tx.delete_task(window_id, window_task_id)
            tx.append_events(
                [
                    ssm_events.task_registration(
                        self._realm, window_id, window_task_id, False, self._clock.now()
                    )
                ]
            )

    def get(self, window_id: str, window_task_id: str) -> WindowTask:
        with self._store.read() as tx:
            return _require_task(tx, window_id, window_task_id)[1]

    def list(self, window_id: str) -> list[WindowTask]:
        with self._store.read() as tx:
            require_window(tx, window_id)
            return tx.list_tasks(window_id)
