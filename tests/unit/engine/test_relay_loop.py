"""The relay's loop: full batches one after another, then a look every interval."""

from __future__ import annotations

import asyncio

from transom.engine.relay import relay_forever


def _looks(batch_sizes: list[int], seconds: float) -> list[int]:
    """The batches relayed in `seconds` with events always pending, each batch taking the
    next of `batch_sizes` events (the largest batch is 10), looking every 0.1 s."""
    sizes = iter(batch_sizes)
    relayed: list[int] = []

    async def pending() -> bool:
        return True

    async def relay() -> int:
        relayed.append(next(sizes, 1))
        await asyncio.sleep(0)
        return relayed[-1]

    async def main() -> None:
        loop = asyncio.create_task(relay_forever(pending, relay, interval=0.1, batch=10))
        await asyncio.sleep(seconds)
        loop.cancel()

    asyncio.run(main())
    return relayed


def test_full_batches_follow_each_other_and_a_short_one_waits_for_the_next_look() -> None:
    relayed = _looks([10, 10, 4], 0.25)
    assert relayed[:4] == [10, 10, 4, 1]  # the 1 a look later
    assert len(relayed) <= 6  # not a batch for each event that trickles in
