"""A doorbell wakes its loop from any thread, and a loop napping on it stops when cancelled,
even as the bell rings."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from transom.engine.doorbell import Doorbell, nap


async def looping(bell: Doorbell, passes: list[int]) -> None:
    """The loops' shape: a pass, then a nap until the bell rings (or an hour)."""
    event = bell.attach()
    while True:
        event.clear()
        passes.append(1)
        await nap(event, 3600)


async def until(condition: Callable[[], object]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


def test_a_ring_from_another_thread_wakes_the_loop() -> None:
    async def test() -> None:
        bell, passes = Doorbell(), list[int]()
        task = asyncio.create_task(looping(bell, passes))
        await until(lambda: passes)
        thread = threading.Thread(target=bell.ring)
        thread.start()
        thread.join()
        await until(lambda: len(passes) == 2)
        task.cancel()
        await asyncio.wait([task], timeout=10)
        assert task.cancelled()

    asyncio.run(test())


def test_a_loop_cancelled_as_its_bell_rings_stops() -> None:
    async def test() -> None:
        for _ in range(20):
            bell, passes = Doorbell(), list[int]()
            task = asyncio.create_task(looping(bell, passes))
            await asyncio.sleep(0)
            bell.ring()
            await asyncio.sleep(0)
            task.cancel()
            await asyncio.wait([task], timeout=10)
            assert task.cancelled()

    asyncio.run(test())
