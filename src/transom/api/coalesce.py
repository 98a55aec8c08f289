"""Group commit for the agent channel: concurrent requests' store calls run as one batch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

MAX_BATCH = 200
"""Items per batch: big enough to amortize a transaction, small enough to keep it short."""


class Coalescer(Generic[In, Out]):
    """Runs `run(items) -> answers` (one answer per item, in order; an answer that is an
    exception is raised to that item's caller) over the items submitted while the previous
    batch ran, or within the same turn of the event loop. One batch runs at a time.

    A batch that raises is run again item by item, so one bad item fails only its own caller.
    """

    def __init__(self, run: Callable[[list[In]], Awaitable[list[Out | Exception]]]) -> None:
        self._run = run
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._draining = False

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[In, asyncio.Future[Out]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                answers = await self._answers([item for item, _ in batch])
                for (_, future), answer in zip(batch, answers, strict=True):
                    if future.done():
                        continue  # its caller went away
                    if isinstance(answer, Exception):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        except BaseException:  # cancelled (shutdown): no caller may wait for ever
            for _, future in batch + self._pending:
                future.cancel()
            self._pending = []
            raise
        finally:
            self._draining = False

    async def _answers(self, items: list[In]) -> list[Out | Exception]:
        try:
            return await self._run(items)
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            return [(await self._answers([item]))[0] for item in items]
