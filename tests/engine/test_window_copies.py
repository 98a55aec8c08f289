"""Each replica keeps what it read of every window between the console's pages (the overview,
the window list, the calendar), and a window created, changed or deleted through another
replica is in its very next answer: the change's own transaction bumps the store's windows
version, which every answer reads first. Two replicas here are two service containers, each
with its own store, on one database (SQLite file or PostgreSQL schema), on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.engine.world import START, World
from tests.support.servers import BACKEND_PARAMS, Database
from transom.bootstrap import Settings, build_services
from transom.domain.windows import Tag, WindowSpec
from transom.services.container import Services

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
DAILY = "cron(0 3 * * ? *)"


@pytest.fixture
def other(world: World, fresh_db: Database, tmp_path: Path) -> Iterator[Services]:
    """A second replica's services on the same database and clock."""
    store = fresh_db.open_store()
    try:
        yield build_services(store, world.clock, Settings(data_dir=tmp_path / "other"))
    finally:
        store.close()


def _spec(name: str) -> WindowSpec:
    return WindowSpec(
        name=name, schedule=DAILY, duration=2, cutoff=1, allow_unassociated_targets=True
    )


def _listed(services: Services) -> list[str]:
    return [row.window.spec.name for row in services.overview.window_rows().rows]


def _drawn(services: Services) -> list[tuple[str, str]]:
    """(window name, start) of each block of the calendar's next two days, sorted."""
    found = services.calendar.blocks(START, START + timedelta(days=2))
    return sorted((block.name, block.start.isoformat()) for block in found.blocks)


def test_windows_are_read_again_only_after_a_change_by_any_replica(
    world: World, other: Services
) -> None:
    mine = world.services
    first = world.window(DAILY, name="first")
    kept = mine.windows.every()
    assert [w.spec.name for w in kept] == ["first"]
    assert mine.windows.every() is kept  # nothing changed: the copy is kept
    mine.tags.add("MaintenanceWindow", first, [Tag("team", "ops")])  # not a window change
    assert mine.windows.every() is kept

    second = other.windows.create(_spec("second"), [], None)
    assert _listed(mine) == ["first", "second"]
    assert sorted(r.name for r in mine.overview.overview().next_runs) == ["first", "second"]

    other.windows.update(first, {"name": "renamed"}, replace=False)
    assert _listed(mine) == ["renamed", "second"]
    assert [name for name, _ in _drawn(mine)] == ["renamed"] * 2 + ["second"] * 2

    other.windows.update(second, {"enabled": False}, replace=False)
    assert [name for name, _ in _drawn(mine)] == ["renamed"] * 2
    assert [r.name for r in mine.overview.overview().next_runs] == ["renamed"]

    other.windows.update(first, {"schedule": "cron(0 5 * * ? *)"}, replace=False)
    assert [start[11:16] for _, start in _drawn(mine)] == ["05:00", "05:00"]

    other.windows.delete(first)
    assert _listed(mine) == ["second"]
    assert _drawn(mine) == []
    assert mine.overview.overview().next_runs == []
    assert mine.windows.every() is mine.windows.every()
