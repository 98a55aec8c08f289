"""The reaper: times out commands that were never delivered (SPEC.md §e.1 step 6), and
reports nodes that have gone quiet (ConnectionLost)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def reap_forever(reap: Callable[[], Awaitable[int]], interval: float = 1.0) -> None:
    """Call `reap` every `interval` seconds until cancelled; an error is logged, not fatal."""
    while True:
        try:
            await reap()
        except Exception:
            log.exception("reaper pass failed; trying again")
        await asyncio.sleep(interval)
