"""Pages of a listing, continued from a position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Up to `limit` items after `after` (a position from a previous page), and the position
    of the last item when more may follow, else None."""

    items: list[T]
    next_after: int | None
