"""The README's console screenshots, from a real run: a server and an agent, a few windows with
runs (one failed), then the calendar's week and a finished execution photographed in Debian's
Chromium at 1280 px wide, into `docs/`.

Run from the repository: .venv/bin/python -m tests.console.readme_shots
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

from tests.console.conftest import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import Database, ServerProcess, boto3_client, install_test_key
from tests.support.shell_window import shell_window

DOCS = Path(__file__).resolve().parents[2] / "docs"
TAG = ("Role", "web")
UPGRADE = [
    "echo 'Reading package lists... Done'",
    "echo 'Calculating upgrade... Done'",
    "echo 'The following packages will be upgraded:'",
    "echo '  libssl3 openssl tzdata'",
    "echo '3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.'",
    "echo 'Setting up openssl (3.0.15-1~deb12u1) ...'",
    "echo 'No restart required.'",
]


def windows(ssm: Any) -> tuple[str, str]:
    """A week of windows in several zones; (the patch window, the failing one)."""
    patch = shell_window(
        ssm, "cron(0 2 ? * TUE,THU *)", TAG, UPGRADE, name="patch-web", duration=3, cutoff=1
    )
    ssm.update_maintenance_window(WindowId=patch, ScheduleTimezone="Europe/Berlin")
    failing = shell_window(
        ssm,
        "cron(0 14 ? * WED *)",
        TAG,
        ["echo 'renewing certificates'", "echo 'certbot: rate limit reached' >&2", "exit 1"],
        name="renew-certs",
        duration=2,
    )
    for name, schedule, hours, zone in (
        ("db-backup", "cron(30 22 * * ? *)", 2, "UTC"),
        ("kernel-reboot", "cron(0 5 ? * SAT *)", 4, "Europe/Berlin"),
        ("rotate-logs", "cron(0 8,20 * * ? *)", 1, "America/New_York"),
        ("monthly-audit", "cron(0 10 ? * MON *)", 3, "UTC"),
    ):
        ssm.create_maintenance_window(
            Name=name,
            Schedule=schedule,
            ScheduleTimezone=zone,
            Duration=hours,
            Cutoff=1 if hours > 1 else 0,
            AllowUnassociatedTargets=True,
        )
    return patch, failing


def run_now(page: Page, endpoint: str, window_id: str, status: str) -> str:
    """Press "Run now" on the window and wait for `status`; the execution's URL."""
    page.goto(f"{endpoint}/console/windows/{window_id}")
    page.get_by_role("button", name="Run now").click()
    heading = page.get_by_role("heading", name=re.compile("^Execution"))
    expect(heading).to_contain_text(status, timeout=60_000)
    return page.url


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database("sqlite", Path(tmp) / "server")
        install_test_key(db)
        server = ServerProcess(db).start()
        agent = None
        try:
            ssm = boto3_client(server.endpoint)
            activation_id, code = activation(ssm, Tags=[{"Key": TAG[0], "Value": TAG[1]}])
            agent = AgentProcess.register(
                server.endpoint, activation_id, code, Path(tmp) / "agent"
            ).start()
            patch, failing = windows(ssm)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    viewport={"width": 1280, "height": 800}, timezone_id="Europe/Berlin"
                )
                context.set_default_timeout(30_000)
                page = context.new_page()
                sign_in(page, server.endpoint)
                expect(page.get_by_role("heading", name="Overview")).to_be_visible()
                run_now(page, server.endpoint, failing, "FAILED")
                time.sleep(1)
                execution = run_now(page, server.endpoint, patch, "SUCCESS")
                page.goto(f"{server.endpoint}/console/calendar?view=week")
                expect(page.locator(".week .block.ran").first).to_be_visible()
                page.screenshot(path=str(DOCS / "console-calendar.png"), full_page=True)
                page.goto(execution)
                expect(page.locator("pre.output").first).to_contain_text("No restart required")
                page.screenshot(path=str(DOCS / "console-execution.png"), full_page=True)
                browser.close()
        finally:
            if agent is not None:
                agent.kill()
            server.stop()
    for shot in ("console-calendar.png", "console-execution.png"):
        print(f"{DOCS / shot}: {(DOCS / shot).stat().st_size // 1024} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
