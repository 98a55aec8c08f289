"""The server's garbage collector: its start's objects out of view, young collections rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from transom.cli.serve import YOUNG_COLLECTION_EVERY, tune_garbage_collector


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_the_server_freezes_its_start_and_collects_young_objects_less_often() -> None:
    before = gc.get_freeze_count()
    tune_garbage_collector()
    assert gc.get_freeze_count() > before  # what exists now is out of the collector's view
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1  # garbage made later is still collected
