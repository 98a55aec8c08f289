"""Use cases for window targets: register, update, deregister, list."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from transom.domain.clock import Clock
from transom.domain.errors import (
    DoesNotExistError,
    ResourceLimitExceededError,
    TargetInUseError,
    ValidationError,
)
from transom.domain.events import Realm
from transom.domain.ids import new_uuid
from transom.domain.quotas import Quotas
from transom.domain.windows import TargetSpec, WindowTarget, WindowTask
from transom.events import systems_manager as ssm_events
from transom.services import idempotency
from transom.services.target_rules import check_window_targets
from transom.services.windows import require_window
from transom.store.port import Store, Transaction

_OPERATION = "RegisterTargetWithMaintenanceWindow"


def _require_target(tx: Transaction, window_id: str, window_target_id: str) -> WindowTarget:
    require_window(tx, window_id)
    target = tx.get_target(window_id, window_target_id)
    if target is None:
        raise DoesNotExistError(
            f"Window target {window_target_id} does not exist in maintenance window {window_id}"
        )
    return target


def referencing_tasks(tasks: Sequence[WindowTask], window_target_id: str) -> list[WindowTask]:
    """The tasks whose WindowTargetIds name the target."""
    return [
        task
        for task in tasks
        if any(
            t["Key"] == "WindowTargetIds" and window_target_id in t.get("Values", [])
            for t in task.spec.targets
        )
    ]


def _without_target(task: WindowTask, window_target_id: str) -> WindowTask:
    targets = []
    for target in task.spec.targets:
        if target["Key"] != "WindowTargetIds":
            targets.append(target)
        elif values := [v for v in target.get("Values", []) if v != window_target_id]:
            targets.append({**target, "Values": values})
    return dataclasses.replace(task, spec=dataclasses.replace(task.spec, targets=targets))


class TargetService:
    """Window targets; registering and deregistering one emits a target registration
    event."""

    def __init__(self, store: Store, clock: Clock, quotas: Quotas, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._quotas = quotas
        self._realm = realm

    def register(self, window_id: str, spec: TargetSpec, client_token: str | None) -> str:
        check_window_targets(spec.resource_type, spec.targets)
        digest = idempotency.fingerprint([window_id, dataclasses.asdict(spec)])
        now = self._clock.now()

        def create(tx: Transaction) -> str:
            require_window(tx, window_id)
            if tx.count_targets(window_id) >= self._quotas.targets_per_window:
                raise ResourceLimitExceededError(
                    f"Maintenance window {window_id} already has the maximum of "
                    f"{self._quotas.targets_per_window} targets. Deregister a target first."
                )
            target = WindowTarget(window_id, new_uuid(), spec)
            tx.insert_target(target)
            tx.append_events(
                [
                    ssm_events.target_registration(
                        self._realm, window_id, target.window_target_id, True, now
                    )
                ]
            )
            return target.window_target_id

        return idempotency.create_once(self._store, _OPERATION, client_token, digest, now, create)

    def update(
        self, window_id: str, window_target_id: str, changes: Mapping[str, Any], replace: bool
    ) -> WindowTarget:
        """Apply the given fields, or with `replace` set Targets and reset the optional ones."""
        with self._store.write() as tx:
            current = _require_target(tx, window_id, window_target_id)
            if replace:
                if not changes.get("targets"):
                    raise ValidationError("Replace=true needs Targets, as registration does.")
                spec = TargetSpec(resource_type=current.spec.resource_type, **changes)
            else:
                spec = dataclasses.replace(current.spec, **changes)
            check_window_targets(spec.resource_type, spec.targets)
            target = WindowTarget(window_id, window_target_id, spec)
            tx.update_target(target)
        return target

    def deregister(self, window_id: str, window_target_id: str, safe: bool) -> None:
        """Remove the target. With `safe`, refuse while a task names it; otherwise drop it
        from those tasks' WindowTargetIds."""
        with self._store.write() as tx:
            _require_target(tx, window_id, window_target_id)
            users = referencing_tasks(tx.list_tasks(window_id), window_target_id)
            if users and safe:
                raise TargetInUseError(
                    f"Window target {window_target_id} is used by task(s) "
                    + ", ".join(t.window_task_id for t in users)
                    + ". Deregister or update those tasks first, or call again with Safe=false."
                )
            for task in users:
                tx.update_task(_without_target(task, window_target_id))
            tx.delete_target(window_id, window_target_id)
            tx.append_events(
                [
                    ssm_events.target_registration(
                        self._realm, window_id, window_target_id, False, self._clock.now()
                    )
                ]
            )

    def list(self, window_id: str) -> list[WindowTarget]:
        with self._store.read() as tx:
            require_window(tx, window_id)
            return tx.list_targets(window_id)
