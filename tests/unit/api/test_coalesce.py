"""Group commit: concurrent submissions run as one batch; failures stay with their item."""

from __future__ import annotations

import asyncio

import pytest

from transom.api.coalesce import Coalescer


class Recorder:
    """A batch function that records its batches; items named "bad" make a batch raise,
    items named "error" are answered with an exception. A batch signals `running` as it
    starts and, when the recorder is `held`, ends only once `release` is set."""

    def __init__(self, held: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.running = asyncio.Event()
        self.release = asyncio.Event()
        if not held:
            self.release.set()

    async def __call__(self, items: list[str]) -> list[str | Exception]:
        self.batches.append(items)
        self.running.set()
        await self.release.wait()
        if "bad" in items:
            raise RuntimeError("the batch failed")
        return [ValueError(i) if i == "error" else i.upper() for i in items]


def test_submissions_of_one_turn_run_as_one_batch_answered_in_order() -> None:
    async def main() -> tuple[list[str], list[list[str]]]:
        run = Recorder()
        coalescer = Coalescer(run)
        answers = await asyncio.gather(*(coalescer.submit(i) for i in "abc"))
        return list(answers), run.batches

    assert asyncio.run(main()) == (["A", "B", "C"], [["a", "b", "c"]])


def test_submissions_during_a_batch_form_the_next_one() -> None:
    async def main() -> list[list[str]]:
        run = Recorder(held=True)
        coalescer = Coalescer(run)
        first = asyncio.ensure_future(coalescer.submit("a"))
        await run.running.wait()  # "a" is running
        later = [asyncio.ensure_future(coalescer.submit(i)) for i in "bc"]
        await asyncio.sleep(0)  # "b" and "c" are submitted
        run.release.set()
        await asyncio.gather(first, *later)
        return run.batches

    assert asyncio.run(main()) == [["a"], ["b", "c"]]


def test_a_failing_batch_is_run_again_item_by_item_and_fails_only_the_bad_one() -> None:
    async def main() -> tuple[list[object], list[list[str]]]:
        run = Recorder()
        coalescer = Coalescer(run)
        answers = await asyncio.gather(
            *(coalescer.submit(i) for i in ("a", "bad", "error", "b")), return_exceptions=True
        )
        return list(answers), run.batches

    answers, batches = asyncio.run(main())
    assert answers[0] == "A"
    assert answers[3] == "B"
    assert isinstance(answers[1], RuntimeError)
    assert isinstance(answers[2], ValueError)
    assert batches == [["a", "bad", "error", "b"], ["a"], ["bad"], ["error"], ["b"]]


def test_a_caller_that_goes_away_does_not_disturb_the_others() -> None:
    async def main() -> list[str]:
        run = Recorder(held=True)
        coalescer = Coalescer(run)
        gone = asyncio.ensure_future(coalescer.submit("a"))
        kept = asyncio.ensure_future(coalescer.submit("b"))
        await run.running.wait()
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        run.release.set()
        return [await kept, await coalescer.submit("c")]

    assert asyncio.run(main()) == ["B", "C"]
