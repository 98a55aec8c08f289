"""Two replicas on one PostgreSQL schema: each keeps what it read of every window between
console pages, and a window created, changed or deleted through replica B is on replica A's
very next page (the change's own transaction bumps the windows version A reads first)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.balancer import Replicas
from tests.support.console import sign_in
from tests.support.servers import Database, boto3_client

pytestmark = [
    pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def replicas(fresh_db: Database) -> Iterator[Replicas]:
    started = Replicas(fresh_db).start(2)
    try:
        yield started
    finally:
        started.kill_all()


def _calendar(console: httpx.Client) -> str:
    """The calendar of the week (UTC) of the runs an hour from now."""
    day = (datetime.now(UTC) + timedelta(hours=1)).date().isoformat()
    page = console.get(f"/console/calendar?date={day}")
    assert page.status_code == 200
    return page.text


def _pages(console: httpx.Client) -> str:
    """The window list, the overview and the calendar as one text."""
    shown = [console.get(path) for path in ("/console/windows", "/console/")]
    assert [page.status_code for page in shown] == [200, 200]
    return "\n".join([*(page.text for page in shown), _calendar(console)])


def _create(ssm: Any, name: str) -> str:
    return str(
        ssm.create_maintenance_window(
            Name=name,
            Schedule="rate(1 hour)",
            Duration=2,
            Cutoff=1,
            AllowUnassociatedTargets=True,
        )["WindowId"]
    )


def test_a_window_changed_through_b_is_on_a_s_next_page(replicas: Replicas) -> None:
    a, b = replicas.servers
    ssm_a, ssm_b = boto3_client(a.endpoint), boto3_client(b.endpoint)
    kept = _create(ssm_a, "kept-window")
    with httpx.Client(base_url=a.endpoint, timeout=30) as console_a:
        sign_in(console_a)
        for _ in range(2):  # read, then kept
            assert "kept-window" in _pages(console_a)

        made = _create(ssm_b, "made-through-b")
        assert "made-through-b" in _pages(console_a)

        ssm_b.update_maintenance_window(WindowId=made, Name="renamed-through-b")
        shown = _pages(console_a)
        assert "renamed-through-b" in shown
        assert "made-through-b" not in shown

        assert "kept-window" in _calendar(console_a)
        ssm_b.update_maintenance_window(WindowId=kept, Enabled=False)
        assert "kept-window" not in _calendar(console_a)  # no runs ahead
        assert "kept-window" in console_a.get("/console/windows").text

        ssm_b.delete_maintenance_window(WindowId=made)
        assert "renamed-through-b" not in _pages(console_a)
        assert "kept-window" in _pages(console_a)
