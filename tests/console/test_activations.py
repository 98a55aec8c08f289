"""The activations page in a real browser, against a real server: an activation created with
the form shows its code once and a `transom agent register` line that, copied and run as a
real shell line, registers a new node; bad input shows the API's message and creates
nothing; an activation is deleted from the page; forms without the CSRF token are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import shots, sign_in, tab_through
from tests.support.servers import ServerProcess, boto3_client


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


def activation_ids(ssm: Any) -> list[str]:
    return sorted(a["ActivationId"] for a in ssm.describe_activations()["ActivationList"])


def run_line(line: str, state_dir: Path) -> str:
    """Run the register line as a host's shell would (`transom` on the PATH); the node ID
    it prints."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "TRANSOM_AGENT_STATE_DIR": str(state_dir),
    }
    ran = subprocess.run(
        ["sh", "-c", line], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    node = ran.stdout.strip()
    assert node.startswith("mi-")
    return node


def test_an_activation_made_on_the_page_registers_a_host_with_its_line(
    browser: Browser, console_server: ServerProcess, ssm: Any, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        timezone_id="UTC",
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, console_server.endpoint)
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Activations").click()
        expires = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
        page.get_by_label("Description").fill("web hosts")
        page.get_by_label("Default instance name").fill("web-from-console")
        expect(page.get_by_label("IAM role")).to_have_value("transom")
        page.get_by_label("Registration limit").fill("2")
        page.get_by_label("Expires (UTC)").fill(f"{expires:%Y-%m-%dT%H:%M}")
        page.get_by_label("Tags").fill("Team=web")
        page.get_by_role("button", name="Create activation").click()

        expect(page.get_by_role("heading", name="Activation created")).to_be_visible()
        activation_id = page.locator("#activation-id").inner_text()
        code = page.locator("#activation-code").inner_text()
        [made] = ssm.describe_activations(
            Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}]
        )["ActivationList"]
        assert (made["Description"], made["DefaultInstanceName"], made["IamRole"]) == (
            "web hosts",
            "web-from-console",
            "transom",
        )
        assert (made["RegistrationLimit"], made["RegistrationsCount"]) == (2, 0)
        assert made["ExpirationDate"] == expires
        assert made["Tags"] == [{"Key": "Team", "Value": "web"}]
        page.get_by_role("button", name="Copy").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        line = str(page.evaluate("navigator.clipboard.readText()"))
        assert line == page.locator("#register-line").inner_text()
        assert line.startswith(f"echo {code} | transom agent register ")
        assert line.count(code) == 1  # on standard input only
        assert f"--server {console_server.endpoint} " in line
        assert "--ca-file" not in line  # plain http on loopback
        shots(page, "activation-created")

        node = run_line(line, tmp_path / "agent")
        [info] = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [node]}]
        )["InstanceInformationList"]
        assert (info["ActivationId"], info["Name"], info["IamRole"]) == (
            activation_id,
            "web-from-console",
            "transom",
        )

        nav.get_by_role("link", name="Nodes").click()
        expect(page.get_by_role("row").filter(has_text=node)).to_contain_text("web-from-console")
        nav.get_by_role("link", name="Activations").click()
        row = page.get_by_role("row").filter(has_text=activation_id)
        expect(row).to_contain_text("1 of 2")
        expect(row).to_contain_text("Active")
        expect(page.locator("#activation-code")).to_have_count(0)  # shown that once only
        shots(page, "activations")
        page.get_by_role("button", name="Delete activation web hosts").click()
        expect(page.get_by_role("row").filter(has_text=activation_id)).to_have_count(0)
        assert activation_id not in activation_ids(ssm)
    finally:
        context.close()


def test_bad_input_shows_the_api_message_and_creates_nothing(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    kept = ssm.create_activation(IamRole="transom", Description="kept")["ActivationId"]
    before = activation_ids(ssm)
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/activations")
    page.get_by_label("Description").fill("too many")
    page.get_by_label("Registration limit").fill("1001")
    page.get_by_role("button", name="Create activation").click()
    with pytest.raises(ClientError) as refused:
        ssm.create_activation(IamRole="transom", Description="too many", RegistrationLimit=1001)
    expect(page.get_by_role("alert")).to_contain_text(refused.value.response["Error"]["Message"])
    expect(page.get_by_label("Registration limit")).to_have_value("1001")  # the form kept

    far = datetime.now(UTC) + timedelta(days=40)
    page.get_by_label("Registration limit").fill("1")
    page.get_by_label("Expires (UTC)").fill(f"{far:%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Create activation").click()
    with pytest.raises(ClientError) as too_late:
        ssm.create_activation(IamRole="transom", ExpirationDate=far)
    expect(page.get_by_role("alert")).to_contain_text(too_late.value.response["Error"]["Message"])
    shots(page, "activations-refused")

    where = f"{console_server.endpoint}/console/activations"
    form: dict[str, str | float | bool] = {"iam_role": "transom", "registration_limit": "1"}
    assert page.request.post(where, form=form, max_redirects=0).status == 403
    assert activation_ids(ssm) == before
    gone: dict[str, str | float | bool] = {"activation": kept}
    assert page.request.post(f"{where}/delete", form=gone, max_redirects=0).status == 403
    assert activation_ids(ssm) == before


def test_the_page_works_with_the_keyboard(page: Page, console_server: ServerProcess) -> None:
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/activations")
    stops = tab_through(page)
    assert any(s["tag"] == "INPUT" for s in stops)
    assert all(s["named"] for s in stops), [s for s in stops if not s["named"]]
    unseen = [s for s in stops if not (s["outline"] == "solid" and s["width"] >= 2)]
    assert unseen == []
