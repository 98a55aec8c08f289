"""The transactional outbox: a change and its events commit together or not at all."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from tests.engine.world import START, World
from tests.support.events import last_seq, outbox
from tests.support.servers import BACKEND_PARAMS
from transom.bootstrap import Settings, build_services
from transom.domain.commands import InvocationDetails, Outcome
from transom.domain.events import Event
from transom.domain.executions import ExecutionStatus
from transom.domain.windows import WindowSpec
from transom.services.container import Services
from transom.store.port import Store, Transaction

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


class Crash(RuntimeError):
    """Raised right after a transaction appended its events."""


class _Appending:
    """A transaction that fails as soon as its events are appended."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    def append_events(self, events: Sequence[Event]) -> None:
        self._tx.append_events(events)
        if events:
            raise Crash("after appending")


class CrashingStore:
    """The store, whose write transactions fail right after appending events."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self) -> AbstractContextManager[Transaction]:
        return self._store.read()

    @contextmanager
    def _write(self) -> Iterator[Transaction]:
        with self._store.write() as tx:
            yield cast(Transaction, _Appending(tx))

    def write(self) -> AbstractContextManager[Transaction]:
        return self._write()

    def schema_revisions(self) -> tuple[str | None, str]:
        return self._store.schema_revisions()

    def close(self) -> None:
        self._store.close()


def _crashing(world: World, tmp_path: Path) -> Services:
    return build_services(CrashingStore(world.store), world.clock, Settings(data_dir=tmp_path))


def test_a_window_that_fails_to_commit_leaves_no_window_and_no_event(
    world: World, tmp_path: Path
) -> None:
    before = last_seq(world.store)
    spec = WindowSpec("w", "rate(1 day)", 2, 1, allow_unassociated_targets=False)
    with pytest.raises(Crash):
        _crashing(world, tmp_path).windows.create(spec, [], None)
    with world.store.read() as tx:
        assert tx.count_windows() == 0
    assert outbox(world.store, before) == []


def test_a_result_that_fails_to_commit_leaves_the_invocation_running_and_no_event(
    world: World, tmp_path: Path
) -> None:
    node = world.node("n")
    command = world.services.commands.send(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["true"]},
        instance_ids=[node],
        targets=[],
    )
    ((work, _),) = world.services.dispatch.work_for_all([node])
    before = last_seq(world.store)
    now = world.clock.now()
    lease = work[0].invocation.lease or ""
    done = Outcome(command.command_id, lease, InvocationDetails.SUCCESS, 0, "", "", now, now)

    with pytest.raises(Crash):
        _crashing(world, tmp_path).results.report_all([(node, [done])])

    assert outbox(world.store, before) == []
    found, _ = world.services.commands.invocation(command.command_id, node)
    assert found.details == InvocationDetails.IN_PROGRESS
    world.services.results.report_all([(node, [done])])  # the retry applies, with its events
    assert [e["detail"]["status"] for e in outbox(world.store, before)] == ["Success", "Success"]


def test_a_runner_step_that_fails_to_commit_changes_nothing_and_emits_nothing(
    world: World, tmp_path: Path
) -> None:
    window = world.window("cron(0 1 * * ? *)")
    world.services.scheduler.sync()
    world.clock.set(START + timedelta(hours=1))
    world.services.scheduler.tick()
    before = last_seq(world.store)

    _crashing(world, tmp_path).runner.advance_due()  # logged, looked at again later

    assert outbox(world.store, before) == []
    assert world.statuses(window) == [ExecutionStatus.PENDING]
