"""The log lines of window runs and of slow engine passes, from the real services on a fake
clock (the lines of real processes: tests/cli/test_logs.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest

from tests.engine.world import START, Finish, World
from tests.support.servers import BACKEND_PARAMS
from transom.domain.commands import InvocationDetails
from transom.engine import slow_pass
from transom.engine.relay import relay_forever
from transom.engine.windows import WindowEngine

on_both_backends = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def lines(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, Any]]:
    """The fields of each record whose message starts with `message`, with its level."""
    return [
        {"level": r.levelname, **r.__dict__}
        for r in caplog.records
        if r.getMessage().startswith(message)
    ]


@on_both_backends
def test_a_run_is_logged_as_it_starts_and_as_it_ends_with_its_counts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "transom")
    world.node("good", role="web")
    bad = world.node("bad", role="web")
    window = world.window("cron(0 1 * * ? *)")
    on = [{"Key": "WindowTargetIds", "Values": [world.target(window, role="web")]}]
    world.task(window, on, ["work"])
    world.agents.script = lambda node, _c: (
        Finish(InvocationDetails.FAILED, 1) if node == bad else Finish()
    )

    world.run_until(START + timedelta(hours=1, minutes=30))

    [execution] = world.executions(window)
    [started] = lines(caplog, "window execution started")
    assert (started["level"], started["window_id"], started["execution_id"]) == (
        "INFO",
        window,
        execution.window_execution_id,
    )
    assert (started["status"], started["tasks"]) == ("PENDING", 1)
    assert started["scheduled_time"] == START + timedelta(hours=1)
    [ended] = lines(caplog, "window execution ended")
    assert (ended["level"], ended["execution_id"], ended["status"]) == (
        "WARNING",
        execution.window_execution_id,
        "FAILED",
    )
    assert (ended["tasks"], ended["invocations"]) == (1, 2)
    assert ended["task_statuses"] == {"FAILED": 1}
    assert ended["invocation_statuses"] == {"SUCCESS": 1, "FAILED": 1}
    assert execution.end_time is not None
    assert ended["duration_seconds"] == (execution.end_time - execution.start_time).seconds
    assert ended["details"] == execution.status_details == "1 of 1 tasks failed."
    assert "work" not in caplog.text  # the task's parameters


@on_both_backends
def test_a_missed_occurrence_has_only_its_end_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "transom")
    window = world.window("cron(0 1 * * ? *)", duration=2, cutoff=1)
    world.run_until(START)
    world.clock.set(START + timedelta(hours=3))  # down past the cutoff

    world.step()

    [missed] = world.executions(window)
    assert not lines(caplog, "window execution started")
    [ended] = lines(caplog, "window execution ended")
    assert (ended["execution_id"], ended["status"], ended["level"]) == (
        missed.window_execution_id,
        "TIMED_OUT",
        "WARNING",
    )
    assert (ended["tasks"], ended["invocations"]) == (0, 0)
    assert ended["details"].startswith("Missed")


@on_both_backends
def test_a_slow_window_engine_pass_is_logged_with_what_it_did(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, "transom")
    world.window("cron(0 1 * * ? *)")
    engine = WindowEngine(
        world.services.scheduler, world.services.runner, world.services.history, world.clock
    )
    engine.run_once()  # a fast pass: no line
    assert not lines(caplog, "slow")
    world.clock.set(START + timedelta(hours=1))
    monkeypatch.setattr(slow_pass, "SLOW_PASS_SECONDS", -1.0)  # every pass is slow

    engine.run_once()

    [slow] = lines(caplog, "slow window engine pass")
    assert (slow["level"], slow["loop"]) == ("WARNING", "window engine")
    assert slow["duration_seconds"] >= 0
    assert (slow["windows_due"], slow["executions_advanced"], slow["records_purged"]) == (1, 1, 0)


def test_a_slow_relay_batch_is_logged_with_its_events(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slow_pass, "SLOW_PASS_SECONDS", -1.0)
    batches = iter([True, False])
    done = asyncio.Event()

    async def pending() -> bool:
        more = next(batches, False)
        if not more:
            done.set()
        return more

    async def relay() -> int:
        return 3

    async def main() -> None:
        loop = asyncio.create_task(relay_forever(pending, relay))
        await done.wait()
        loop.cancel()

    asyncio.run(main())
    [slow] = lines(caplog, "slow event relay pass")
    assert (slow["loop"], slow["events"]) == ("event relay", 3)
