"""Chaos: three replicas on one PostgreSQL database behind HAProxy, real agents, a window
firing every two seconds for forty seconds while a random replica is killed (SIGKILL) and
started again every few seconds. Every occurrence runs exactly once (or is recorded missed), no node
runs a task twice for one execution, and no history is lost. `bench/chaos.py` runs it longer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chaos import Plan, run
from tests.support.servers import Database

pytestmark = pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)


@pytest.mark.timeout(300)
def test_windows_run_once_each_while_replicas_are_killed(
    fresh_db: Database, tmp_path: Path
) -> None:
    figures = run(fresh_db, tmp_path, Plan(seconds=40, every=2))
    print(figures.line())
    assert figures.problems == []
    assert figures.kills >= 2  # as many as the machine allows: a restart takes seconds
    assert (figures.doubles, figures.lost) == (0, 0)
    assert figures.runs + figures.missed == figures.occurrences
    assert set(figures.statuses) <= {"SUCCESS", "TIMED_OUT"}
