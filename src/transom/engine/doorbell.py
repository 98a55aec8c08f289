"""Waking a loop from any thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Doorbell:
    """Wakes a loop from any thread; rings before the loop attaches are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._rung = False

    def ring(self) -> None:
        with self._lock:
            if self._loop is None or self._event is None:
                self._rung = True
                return
            loop, event = self._loop, self._event
        if not event.is_set():  # else the loop has yet to clear it, and looks after that
            loop.call_soon_threadsafe(event.set)

    def attach(self) -> asyncio.Event:
        """The event `ring` sets, bound to the running loop."""
        event = asyncio.Event()
        with self._lock:
            self._loop, self._event = asyncio.get_running_loop(), event
            if self._rung:
                event.set()
        return event


async def nap(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set, at most `seconds`. (Not `asyncio.wait_for`: on Python 3.11
    it loses a cancellation that comes as the event is set, and the loop would not stop.)"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
