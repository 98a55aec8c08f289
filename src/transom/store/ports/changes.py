"""Changes announced to every replica, so that their loops look at once instead of at their
next periodic re-check."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Change(StrEnum):
    """What changed, as every replica hears it (the spelling is the message)."""

    COMMANDS = "commands"
    """Nodes may have new work or cancellations: waiting polls look for theirs."""
    WINDOWS = "windows"
    """A window execution is due to be advanced now: the window engines look."""


class ChangePort(Protocol):
    def announce(self, change: Change) -> None:
        """Tell every replica's listener (`SqlStore.listener`) of `change` once this write
        transaction commits: nothing if it rolls back, once however often it is announced.
        On SQLite (one process, which wakes its own loops) nothing is told."""
