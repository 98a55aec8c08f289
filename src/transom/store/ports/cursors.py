"""The scheduler's cursors: per enabled window, the next occurrence due to start, and the
window modification it was computed from (its anchor)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class CursorPort(Protocol):
    def unsynced_windows(self) -> list[str]:
        """Ids of enabled windows without a cursor, or whose `modified_date` is not their
        cursor's anchor, in creation order."""

    def stale_cursors(self) -> bool:
        """Whether a deleted or disabled window still has a cursor."""

    def drop_stale_cursors(self) -> int:
        """Delete the cursors of windows deleted or disabled; how many went."""

    def set_cursor(self, window_id: str, due_at: datetime | None, anchor: datetime) -> None:
        """Create or overwrite the window's cursor (`due_at` None: nothing more is due)."""

    def due_cursors(self, at: datetime) -> list[tuple[str, datetime]]:
        """(window id, due time) of cursors due at or before `at`, earliest first."""

    def advance_cursors(self, moves: Sequence[tuple[str, datetime, datetime | None]]) -> int:
        """`advance_cursor` for many (window id, from, to); how many moved."""

    def advance_cursor(self, window_id: str, due_at: datetime, to: datetime | None) -> bool:
        """Compare-and-set the cursor from `due_at` to `to`; False when another moved it."""

    def next_cursor_due(self) -> datetime | None:
        """The earliest due time of all cursors; None when no cursor has one."""

    def cursor_due_times(self) -> list[tuple[str, datetime]]:
        """(window id, due time) of every cursor that has one, in no particular order."""
