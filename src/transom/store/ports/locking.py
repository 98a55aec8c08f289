"""Named locks held for the rest of a write transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class LockPort(Protocol):
    def lock(self, key: str) -> None:
        """Hold `key` until the transaction ends; another writer locking it waits until then."""

    def lock_all(self, keys: Collection[str]) -> None:
        """`lock` every key (none: a no-op), in an order every caller shares, so two writers
        locking overlapping sets never deadlock."""
