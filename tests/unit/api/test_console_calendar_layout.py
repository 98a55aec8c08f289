"""The calendar's layout: in a week, each part of a block on a day goes in the first lane free
at its start and a day's parts share its lane count, a block crossing midnight is split,
and the cutoff is placed on the part it falls in; in a month, a day shows its first chips
and counts the rest. Places are percentages of the viewer's (DST-aware) day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from transom.api.console.calendar import CHIPS_PER_DAY, Day, _days, _place
from transom.domain.executions import ExecutionStatus
from transom.services.calendar import Block
from transom.store.ports.executions import WindowRun

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 3, 2)
MIDNIGHT = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin (UTC+1)


def _block(name: str, hour: float, hours: float, cutoff: float = 1.0) -> Block:
    start = MIDNIGHT + timedelta(hours=hour)
    end = start + timedelta(hours=hours)
    return Block(f"mw-{name}", name, start, end, end - timedelta(hours=cutoff), None)


def _week(blocks: list[Block]) -> list[Day]:
    days = _days(MONDAY, 7, BERLIN, MONDAY)
    _place(days, blocks, BERLIN, True)
    return days


def test_parts_take_the_first_free_lane_and_share_their_day_s_lane_count() -> None:
    blocks = [
        _block("a", 1, 2),
        _block("b", 1.5, 1),
        _block("c", 2, 2),
        _block("d", 3, 2),
        _block("e", 23, 2),  # until 01:00 on Tuesday
    ]
    monday, tuesday, *_ = _week(blocks)
    lanes = {part.block.name: (part.lane, part.lanes) for part in monday.placed}
    assert lanes == {"a": (0, 3), "b": (1, 3), "c": (2, 3), "d": (0, 3), "e": (0, 3)}
    assert [(p.block.name, p.lane, p.lanes) for p in tuesday.placed] == [("e", 0, 1)]
    a = monday.placed[0]
    assert (a.top, a.height, a.cutoff) == pytest.approx((100 / 24, 200 / 24, 50.0))
    e_monday, e_tuesday = monday.placed[-1], tuesday.placed[0]
    assert (e_monday.top, e_monday.height, e_monday.cutoff) == pytest.approx(
        (2300 / 24, 100 / 24, None)
    )
    assert (e_tuesday.top, e_tuesday.height, e_tuesday.cutoff) == pytest.approx((0, 100 / 24, 0))
    assert a.label == "01:00–03:00 a"
    assert (
        a.title == "a: Mon 02 Mar 01:00–03:00, no new task after 02:00 (Europe/Berlin) · scheduled"
    )
    assert (a.href, a.css, a.state) == ("/console/windows/mw-a", "coming", "scheduled")


def test_a_past_run_links_to_itself_in_its_status() -> None:
    ran = _block("r", 5, 2)
    run = WindowRun("run-1", ran.window_id, ExecutionStatus.FAILED, ran.start, ran.end, ran.cutoff)
    (part,) = _week([Block(ran.window_id, "r", ran.start, ran.end, ran.cutoff, run)])[0].placed
    assert (part.href, part.css, part.state) == (
        "/console/executions/run-1",
        "ran status-failed",
        "FAILED",
    )


def test_a_dst_day_is_23_hours_long() -> None:
    sunday = date(2026, 3, 29)  # clocks go from 02:00 to 03:00 in Berlin
    days = _days(sunday, 1, BERLIN, sunday)
    start = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    _place(days, [Block("mw-x", "x", start, start + timedelta(hours=1), start, None)], BERLIN, True)
    (part,) = days[0].placed
    assert (part.top, part.height) == pytest.approx((200 / 23, 100 / 23))


def test_a_month_day_shows_its_first_chips_and_counts_the_rest() -> None:
    days = _days(MONDAY, 7, BERLIN, MONDAY)
    blocks = [_block(f"n{n}", 1 + n / 10, 2) for n in range(CHIPS_PER_DAY + 2)]
    _place(days, [*blocks, _block("crossing", 23, 3)], BERLIN, False)
    monday, tuesday = days[0], days[1]
    assert [p.block.name for p in monday.placed] == [f"n{n}" for n in range(CHIPS_PER_DAY)]
    assert monday.more == 3  # two more, and the one crossing midnight (starts Monday)
    assert (tuesday.placed, tuesday.more) == ([], 0)
