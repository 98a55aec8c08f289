"""Fixtures for the console's browser tests: a real server with an agent, and one headless
Chromium (Debian's, driven by Playwright: nothing is downloaded) per module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("TRANSOM_CONSOLE_SHOTS", "/tmp/console-shots"))
"""Where the tests save a screenshot of each page, to look at."""


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def shots(page: Page, name: str) -> None:
    """Screenshots of the page at 1280 and at 768 px wide (`NAME-1280`, `NAME-768`)."""
    size = page.viewport_size
    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}")
    if size is not None:
        page.set_viewport_size(size)


_FOCUSED = """() => {
  const node = document.activeElement;
  const style = getComputedStyle(node);
  const named = node.labels && node.labels.length > 0 || !!node.getAttribute("aria-label") ||
    (["A", "BUTTON", "SUMMARY"].includes(node.tagName) && node.textContent.trim() !== "");
  return {tag: node.tagName, id: node.id, named, outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth)};
}"""


class Focused(TypedDict):
    tag: str
    id: str
    named: bool
    outline: str
    width: float


def tab_through(page: Page, stops: int = 60) -> list[Focused]:
    """Press Tab `stops` times from the top of the page; each element focused, with whether
    it has a name (a label, or its text) and its outline: keyboard focus must show."""
    page.locator("body").focus()
    seen: list[Focused] = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        focused: Focused = page.evaluate(_FOCUSED)
        if focused["tag"] == "BODY":
            break
        seen.append(focused)
    return seen


def sign_in(
    page: Page, endpoint: str, secret: str = SECRET_ACCESS_KEY, key_id: str = ACCESS_KEY_ID
) -> None:
    page.goto(endpoint + "/")
    page.get_by_label("Access key ID").fill(key_id)
    page.get_by_label("Secret access key").fill(secret)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at 1280 px, in UTC."""
    made = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on SQLite with the test key."""
    db = Database("sqlite", tmp_path_factory.mktemp("console"))
    install_test_key(db)
    server = ServerProcess(db).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fleet(console_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running agent whose node carries tag Fleet=<marker>; the marker."""
    ssm = boto3_client(console_server.endpoint)
    marker = f"console-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": marker}])
    agent = AgentProcess.register(
        console_server.endpoint, activation_id, code, tmp_path_factory.mktemp("agent")
    ).start()
    yield marker
    agent.kill()
