"""Configuration: maintenance windows with their targets and tasks, tags on any resource,
and the idempotency tokens of create requests."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from transom.domain.windows import Tag, Window, WindowQuery, WindowTarget, WindowTask
from transom.store.ports.paging import Page


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a client token was first used for: the request's fingerprint and the resource
    it created."""

    fingerprint: str
    resource_id: str


class ConfigurationPort(Protocol):
    # windows
    def insert_window(self, window: Window) -> None:
        """Add the window; its id must be new."""

    def get_window(self, window_id: str) -> Window | None:
        """The window, or None when there is none with this id."""

    def windows_of(self, window_ids: Collection[str]) -> list[Window]:
        """The windows with these ids that exist, in no particular order."""

    def update_window(self, window: Window) -> None:
        """Overwrite the window with the same id (its creation order is kept); it must exist."""

    def delete_window(self, window_id: str) -> bool:
        """Delete the window, its targets, tasks and tags; False when it did not exist."""

    def count_windows(self) -> int:
        """How many windows exist."""

    def windows_version(self) -> int:
        """A number that changes whenever a transaction that inserted, updated or deleted a
        window commits, on any replica: what was read of the windows after reading a number
        still holds while the number read is the same."""

    def count_windows_by_enabled(self) -> dict[bool, int]:
        """How many windows exist, by whether they are enabled (a state none is in is absent)."""

    def list_windows(self, query: WindowQuery, after: int | None, limit: int) -> Page[Window]:
        """The windows matching `query` in creation order, a page of up to `limit`."""

    # targets
    def insert_target(self, target: WindowTarget) -> None:
        """Register the target with its window, after the window's other targets."""

    def get_target(self, window_id: str, window_target_id: str) -> WindowTarget | None:
        """The target of this window, or None (also when it belongs to another window)."""

    def update_target(self, target: WindowTarget) -> None:
        """Overwrite the target with the same id (its registration order is kept)."""

    def delete_target(self, window_id: str, window_target_id: str) -> bool:
        """Delete the window's target; False when the window has no such target."""

    def count_targets(self, window_id: str) -> int:
        """How many targets the window has (0 for a window that does not exist)."""

    def targets_of(self, window_ids: Collection[str]) -> list[WindowTarget]:
        """All targets of these windows in registration order."""

    def list_targets(self, window_id: str) -> list[WindowTarget]:
        """All targets of the window in registration order."""

    # tasks
    def insert_task(self, task: WindowTask) -> None:
        """Register the task with its window, after the window's other tasks."""

    def get_task(self, window_id: str, window_task_id: str) -> WindowTask | None:
        """The task of this window, or None (also when it belongs to another window)."""

    def update_task(self, task: WindowTask) -> None:
        """Overwrite the task with the same id (its registration order is kept)."""

    def delete_task(self, window_id: str, window_task_id: str) -> bool:
        """Delete the window's task; False when the window has no such task."""

    def count_tasks(self, window_id: str) -> int:
        """How many tasks the window has (0 for a window that does not exist)."""

    def tasks_of(self, window_ids: Collection[str]) -> list[WindowTask]:
        """All tasks of these windows in registration order."""

    def list_tasks(self, window_id: str) -> list[WindowTask]:
        """All tasks of the window in registration order."""

    # tags
    def get_tags(self, resource_type: str, resource_id: str) -> list[Tag]:
        """The resource's tags sorted by key; none for a resource never tagged."""

    def tags_of(self, resource_type: str, resource_ids: Collection[str]) -> dict[str, list[Tag]]:
        """The tags of each of these resources that has any, sorted by key (one read)."""

    def put_tags(self, resource_type: str, resource_id: str, tags: Sequence[Tag]) -> None:
        """Add tags, overwriting the values of keys already present (the last of repeated
        keys wins)."""

    def remove_tags(self, resource_type: str, resource_id: str, keys: Sequence[str]) -> None:
        """Remove the keys present; absent keys are ignored."""

    # idempotency
    def get_idempotency(self, operation: str, client_token: str) -> IdempotencyRecord | None:
        """What the token was first used for with this operation, or None if it was not."""

    def put_idempotency(
        self, operation: str, client_token: str, record: IdempotencyRecord, at: datetime
    ) -> None:
        """Record the token's first use at `at`; the (operation, token) pair must be new."""
