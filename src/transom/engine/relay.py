"""The relay's loop: it looks for unrelayed events every `interval` seconds and relays them
in batches until none is left. What a batch does is `transom.services.event_relay`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from transom.engine.slow_pass import report_if_slow
from transom.services.event_relay import BATCH

log = logging.getLogger(__name__)

INTERVAL = 0.05
"""Seconds between looks: the relay's share of the delay from a change to its delivery. A
look is one indexed read; on PostgreSQL it also sees the events of other replicas."""


async def relay_forever(
    pending: Callable[[], Awaitable[bool]],
    relay: Callable[[], Awaitable[int]],
    interval: float = INTERVAL,
    batch: int = BATCH,
) -> None:
    """Relay while `pending()`, then wait `interval`; until cancelled. A batch of fewer than
    `batch` events (the most one takes) took every event there was: the next look waits
    `interval`, so that events coming meanwhile go in one batch, not a batch each (each
    batch is a transaction). A failed pass is logged and retried after a pause, never
    fatal; a slow batch is logged."""
    while True:
        try:
            while await pending():
                started = time.monotonic()
                events = await relay()
                report_if_slow(log, "event relay", time.monotonic() - started, events=events)
                if events < batch:
                    break
        except Exception:
            log.exception("event relay pass failed; trying again")
            await asyncio.sleep(1.0)
        await asyncio.sleep(interval)
