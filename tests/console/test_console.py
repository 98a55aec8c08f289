"""The web console in a real browser, against a real server with a real agent: signing in
and out, the pages, "Run now" followed live to the node's output, output shown as text,
forms refused without their CSRF token, sessions that end when idle or signed out (copies of
their cookie too), unknown addresses, and failed sign-ins limited."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import shot, sign_in
from tests.support.cli import transom
from tests.support.servers import (
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
)
from tests.support.shell_window import shell_window

SCHEDULE = "cron(0 4 ? * SUN *)"
SCRIPT = "<script>window.pwned = 1</script>"
IMAGE = '<img src=x onerror="window.pwned = 2">'
DESCRIPTION = "Web tier <b>first</b> & <i>then</i> the rest"


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


@pytest.fixture(scope="module")
def window_id(ssm: Any, fleet: str) -> str:
    """A window whose one task prints HTML on the fleet's node."""
    commands = [f"echo '{SCRIPT}'", f"echo '{IMAGE}'"]
    made = shell_window(ssm, SCHEDULE, ("Fleet", fleet), commands, name="patch-web")
    ssm.update_maintenance_window(WindowId=made, Description=DESCRIPTION)
    return made


def test_a_browser_is_sent_to_sign_in_and_sees_no_data(
    page: Page, console_server: ServerProcess, window_id: str
) -> None:
    page.goto(console_server.endpoint + "/")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    shot(page, "sign-in")
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    assert "patch-web" not in page.content()
    answer = httpx.get(f"{console_server.endpoint}/console/nodes")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fnodes"


def test_a_wrong_secret_is_refused(page: Page, console_server: ServerProcess) -> None:
    sign_in(page, console_server.endpoint, secret="not-the-secret-0123456789")
    expect(page.get_by_role("alert")).to_contain_text("secret access key is not right")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    shot(page, "sign-in-refused")


def test_pages_show_the_fleet_and_the_windows(
    page: Page, console_server: ServerProcess, window_id: str, fleet: str
) -> None:
    sign_in(page, console_server.endpoint)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "transom_console")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    expect(page.get_by_role("link", name="patch-web").first).to_be_visible()
    shot(page, "overview")

    page.get_by_role("link", name="Windows", exact=True).click()
    explained = transom("schedule", "explain", SCHEDULE).stdout.splitlines()[0]
    row = page.get_by_role("row").filter(has_text="patch-web")
    expect(row).to_contain_text(explained)
    expect(row).to_contain_text("Yes")
    expect(row).to_contain_text("never run")
    shot(page, "windows")
    page.get_by_label("Search").fill("no such window")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No window matches")).to_be_visible()

    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    expect(page.get_by_role("heading", name="patch-web")).to_be_visible()
    expect(page.get_by_role("cell", name=f"tag:Fleet = {fleet}")).to_be_visible()
    expect(page.get_by_role("cell", name="AWS-RunShellScript")).to_be_visible()
    expect(page.get_by_text(DESCRIPTION)).to_be_visible()  # shown as text, not as HTML
    shot(page, "window")

    page.get_by_role("link", name="Nodes").click()
    expect(page.get_by_role("row").filter(has_text=f"Fleet={fleet}")).to_contain_text("Online")
    shot(page, "nodes")


def test_run_now_follows_the_run_live_and_shows_output_as_text(
    page: Page, console_server: ServerProcess, window_id: str
) -> None:
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    page.get_by_role("button", name="Run now").click()
    expect(page).to_have_url(re.compile(r"/console/executions/"))
    heading = page.get_by_role("heading", name=re.compile("^Execution"))
    expect(heading).to_contain_text("SUCCESS", timeout=30_000)  # the page refreshes itself
    output = page.locator("pre.output").first
    expect(output).to_have_text(f"{SCRIPT}\n{IMAGE}\n")
    assert page.evaluate("window.pwned") is None
    assert page.locator("main img, main script").count() == 0
    shot(page, "execution")


def test_a_failing_task_shows_failed_and_its_stderr(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    failing = shell_window(
        ssm, SCHEDULE, ("Fleet", fleet), ["echo 'disk full' >&2", "exit 3"], name="failing"
    )
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{failing}")
    page.get_by_role("button", name="Run now").click()
    heading = page.get_by_role("heading", name=re.compile("^Execution"))
    expect(heading).to_contain_text("FAILED", timeout=30_000)
    expect(page.locator("pre.stderr")).to_have_text("disk full\n")
    expect(page.locator(".invocation")).to_contain_text("exit code 3")
    shot(page, "execution-failed")


def test_forms_need_their_csrf_token_and_refusals_show_the_api_message(
    page: Page, console_server: ServerProcess, ssm: Any, window_id: str
) -> None:
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    where = f"{console_server.endpoint}/console/windows/{window_id}/enabled"
    forms: list[dict[str, str | float | bool]] = [
        {"enabled": "false"},
        {"enabled": "false", "csrf": "forged"},
    ]
    for form in forms:
        refused = page.request.post(where, form=form, max_redirects=0)
        assert refused.status == 403
        assert "CSRF token is missing or wrong" in refused.text()
    assert ssm.get_maintenance_window(WindowId=window_id)["Enabled"] is True

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert ssm.get_maintenance_window(WindowId=window_id)["Enabled"] is False
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("button", name="Disable")).to_be_visible()
    assert ssm.get_maintenance_window(WindowId=window_id)["Enabled"] is True

    unknown = "mw-0123456789abcdef0"
    page.goto(f"{console_server.endpoint}/console/windows/{unknown}")
    with pytest.raises(ssm.exceptions.DoesNotExistException) as api:
        ssm.get_maintenance_window(WindowId=unknown)
    expect(page.get_by_role("alert")).to_contain_text(api.value.response["Error"]["Message"])
    shot(page, "error")


def test_signing_out_ends_the_session_and_every_copy_of_its_cookie(
    page: Page, console_server: ServerProcess
) -> None:
    sign_in(page, console_server.endpoint)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    copied = next(c for c in page.context.cookies() if c["name"] == "transom_console")
    nodes = f"{console_server.endpoint}/console/nodes"
    replay = {"transom_console": str(copied["value"])}
    assert httpx.get(nodes, cookies=replay).status_code == 200  # the copy works, till...
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.goto(nodes)
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    refused = httpx.get(nodes, cookies=replay)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/console/sign-in")


def test_an_unknown_console_address_shows_a_page_with_a_way_back(
    page: Page, console_server: ServerProcess
) -> None:
    unknown = f"{console_server.endpoint}/console/no/such/page"
    answer = httpx.get(unknown)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in"
    sign_in(page, console_server.endpoint)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    shown = page.goto(unknown)
    assert shown is not None
    assert shown.status == 404
    assert shown.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Back to the overview").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


@pytest.mark.usefixtures("window_id")  # made first, so it stays on the first page
def test_long_lists_come_a_hundred_to_a_page(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    for n in range(100):
        ssm.create_maintenance_window(
            Name=f"bulk-{n:03d}",
            Schedule=SCHEDULE,
            Duration=1,
            Cutoff=0,
            AllowUnassociatedTargets=True,
        )
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows")
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager).to_contain_text(re.compile(r"1–100 of \d+"))
    expect(page.locator("table.windows tbody tr")).to_have_count(100)
    pager.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/console/windows\?page=2$"))
    expect(page.get_by_role("link", name="bulk-099")).to_be_visible()
    page.get_by_label("Search").fill("bulk-0")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.windows tbody tr")).to_have_count(100)
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)  # one page
    page.goto(f"{console_server.endpoint}/console/windows?page=0")
    expect(page.get_by_role("alert")).to_contain_text("is not a page number")


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose console sessions end after 2 idle seconds."""
    db = Database("sqlite", tmp_path_factory.mktemp("impatient"))
    install_test_key(db)
    server = ServerProcess(db, ["--console-idle-timeout", "2"]).start()
    yield server
    server.stop()


def test_an_idle_session_ends(browser: Browser, impatient_server: ServerProcess) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, impatient_server.endpoint)
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        time.sleep(3)
        page.reload()
        expect(page).to_have_url(re.compile(r"/console/sign-in"))
    finally:
        context.close()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own, so that the failed sign-ins counted for 127.0.0.1 hold up no
    other test."""
    db = Database("sqlite", tmp_path_factory.mktemp("guarded"))
    install_test_key(db)
    server = ServerProcess(db).start()
    yield server
    server.stop()


def test_failed_sign_ins_are_limited_per_address_and_per_key(
    page: Page, guarded_server: ServerProcess
) -> None:
    for _ in range(10):
        sign_in(page, guarded_server.endpoint, secret="not-the-secret-0123456789")
        expect(page.get_by_role("alert")).to_contain_text("secret access key is not right")
    sign_in(page, guarded_server.endpoint)  # the right secret, but too late
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    shot(page, "sign-in-limited")
