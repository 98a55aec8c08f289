"""The console's calendar in a real browser: each window's runs where the scheduler puts them
(compared with DescribeMaintenanceWindowSchedule) in the browser's time zone, past runs in
their status, the month view, and the iCalendar feed at a secret, revocable URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import shot, sign_in
from tests.support.servers import ServerProcess, boto3_client
from tests.support.shell_window import shell_window

VIEWER = ZoneInfo("Asia/Tokyo")


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


@pytest.fixture
def tokyo(browser: Browser) -> Iterator[Page]:
    """A page in a browser whose time zone is Asia/Tokyo."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Asia/Tokyo")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def scheduled(ssm: Any, window_id: str, before: datetime) -> list[datetime]:
    """The window's runs from now to `before`, as the API's schedule lists them."""
    runs: list[datetime] = []
    pages = ssm.get_paginator("describe_maintenance_window_schedule").paginate(
        WindowId=window_id,
        Filters=[{"Key": "ScheduledBefore", "Values": [before.isoformat()]}],
    )
    for page in pages:
        runs += [
            datetime.fromisoformat(r["ExecutionTime"]) for r in page["ScheduledWindowExecutions"]
        ]
    return runs


def test_the_week_shows_each_run_where_the_scheduler_puts_it_in_the_browser_zone(
    tokyo: Page, console_server: ServerProcess, ssm: Any
) -> None:
    window_id = ssm.create_maintenance_window(
        Name="nightly-db",
        Schedule="cron(30 3 ? * * *)",
        ScheduleTimezone="Europe/Berlin",
        Duration=3,
        Cutoff=1,
        AllowUnassociatedTargets=True,
    )["WindowId"]
    next_week = datetime.now(VIEWER).date() + timedelta(days=7)
    monday = next_week - timedelta(days=next_week.weekday())
    week_end = datetime(monday.year, monday.month, monday.day, tzinfo=VIEWER) + timedelta(days=7)
    runs = [r for r in scheduled(ssm, window_id, week_end) if r.astimezone(VIEWER).date() >= monday]
    assert len(runs) == 7

    sign_in(tokyo, console_server.endpoint)
    tokyo.goto(f"{console_server.endpoint}/console/calendar?window={window_id}&date={next_week}")
    expect(tokyo).to_have_url(re.compile(r"tz=Asia%2FTokyo"))  # the browser's zone by default
    blocks = tokyo.locator(".week .block")
    expect(blocks).to_have_count(7)
    for block, run in zip(blocks.all(), runs, strict=True):
        start, end = run.astimezone(VIEWER), (run + timedelta(hours=3)).astimezone(VIEWER)
        expect(block).to_contain_text(f"{start:%H:%M}–{end:%H:%M} nightly-db")
        expect(block).to_contain_text("scheduled")
        cutoff = (run + timedelta(hours=2)).astimezone(VIEWER)
        expect(block).to_have_attribute("title", re.compile(f"no new task after {cutoff:%H:%M}"))
        midnight = start.replace(hour=0, minute=0)
        top = (start - midnight) / timedelta(days=1) * 100
        assert (
            block.evaluate("b => b.style.top") == f"{float(block.get_attribute('data-top') or 0)}%"
        )
        assert float(block.get_attribute("data-top") or 0) == pytest.approx(top, abs=0.01)
        expect(block.locator(".cutoff")).to_have_attribute("data-top", "66.667")
    hours = tokyo.locator(".week .hours span")
    expect(hours).to_have_count(24)
    for hour in (0, 12, 23):
        expect(hours.nth(hour)).to_have_text(f"{hour:02d}:00")
        expect(hours.nth(hour)).to_be_visible()
    shot(tokyo, "calendar-week")

    tokyo.get_by_label("Time zone").select_option("America/New_York")
    expect(tokyo).to_have_url(re.compile(r"tz=America%2FNew_York"))
    first = runs[0].astimezone(ZoneInfo("America/New_York"))
    expect(tokyo.locator(".week .block").first).to_contain_text(f"{first:%H:%M}")

    blocks.first.click()
    expect(tokyo).to_have_url(re.compile(f"/console/windows/{window_id}$"))


def test_a_past_run_shows_its_status_and_opens_the_run(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    window_id = shell_window(ssm, "cron(0 4 ? * SUN *)", ("Fleet", fleet), ["true"], name="ran")
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("heading", name=re.compile("^Execution"))).to_contain_text(
        "SUCCESS", timeout=30_000
    )
    execution = page.url

    page.goto(f"{console_server.endpoint}/console/calendar?tz=UTC&window={window_id}")
    ran = page.locator(".week .block.ran")
    expect(ran.first).to_be_visible()
    assert ran.count() in (1, 2)  # a run that crosses midnight is drawn on both its days
    for block in ran.all():
        expect(block).to_have_class(re.compile("status-success"))
        expect(block).to_contain_text("SUCCESS")
    ran.first.click()
    expect(page).to_have_url(execution)

    page.goto(f"{console_server.endpoint}/console/calendar?tz=UTC&view=month")
    chip = page.locator(".month .chip.ran").filter(has_text="ran")
    expect(chip).to_contain_text("SUCCESS")
    expect(page.locator(".month .chip.coming").first).to_be_visible()
    shot(page, "calendar-month")
    page.set_viewport_size({"width": 768, "height": 900})
    shot(page, "calendar-month-768")
    # at 768 px the chip's times and window name take a line each: the name is not cut away
    name = chip.first.locator(".name")
    expect(name).to_have_text("ran")
    when, drawn = chip.first.locator(".when").bounding_box(), name.bounding_box()
    assert when is not None
    assert drawn is not None
    assert drawn["y"] >= when["y"] + when["height"] - 1
    assert drawn["width"] > 10
    assert name.evaluate("node => node.scrollWidth <= node.clientWidth")
    page.goto(f"{console_server.endpoint}/console/calendar?tz=UTC")
    shot(page, "calendar-week-768")


def test_the_feed_lists_the_scheduler_runs_across_dst_and_can_be_revoked(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    window_id = ssm.create_maintenance_window(
        Name="dst-crossing",
        Schedule="cron(30 1 ? * * *)",
        ScheduleTimezone="America/New_York",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=True,
        Description="Patches; then, reboots \\ all",
    )["WindowId"]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/calendar/feed")
    where = f"{console_server.endpoint}/console/calendar/feed"
    assert page.request.post(where, form={}, max_redirects=0).status == 403  # no CSRF token
    page.get_by_role("button", name="Make a feed URL").click()
    url = page.get_by_label("Your feed URL").input_value()
    shot(page, "calendar-feed")

    now = datetime.now(UTC)
    answer = httpx.get(url, params={"window": window_id, "days": "400"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    feed = icalendar.Calendar.from_ical(answer.content)
    events = feed.walk("VEVENT")
    runs = scheduled(ssm, window_id, now + timedelta(days=400))
    assert [e.decoded("dtstart") for e in events] == runs
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in events] == [
        timedelta(hours=2)
    ] * len(runs)
    assert {run.astimezone(UTC).hour for run in runs} == {5, 6}  # across both DST changes
    assert len({str(e["uid"]) for e in events}) == len(events)
    first = events[0]
    assert str(first["summary"]) == "Maintenance: dst-crossing"
    assert "Patches; then, reboots \\ all" in str(first["description"])
    assert str(first["url"]).endswith(f"/console/windows/{window_id}")

    everything = icalendar.Calendar.from_ical(httpx.get(url).content)
    assert "Maintenance: dst-crossing" in {str(e["summary"]) for e in everything.walk("VEVENT")}
    ssm.update_maintenance_window(WindowId=window_id, Name="dst-crossed")  # seen at once
    again = icalendar.Calendar.from_ical(httpx.get(url).content)
    summaries = {str(e["summary"]) for e in again.walk("VEVENT")}
    assert "Maintenance: dst-crossed" in summaries
    assert "Maintenance: dst-crossing" not in summaries

    page.goto(f"{console_server.endpoint}/console/calendar/feed")
    expect(page.get_by_text("It is shown only when made")).to_be_visible()
    page.get_by_role("button", name="Revoke and make a new feed URL").click()
    renewed = page.get_by_label("Your feed URL").input_value()
    assert renewed != url
    assert httpx.get(url).status_code == 404
    assert httpx.get(renewed).status_code == 200
    assert httpx.get(renewed, params={"days": "0"}).status_code == 400
