"""A managed node's page in a real browser, against a real server and agent: its facts as
DescribeInstanceInformation has them, its tags edited as AddTagsToResource and
RemoveTagsFromResource do (bad input shows the API's message and changes nothing), the
commands it ran, and forms refused without their CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.console.conftest import shots, sign_in, tab_through
from tests.support.servers import ServerProcess, boto3_client


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


def tags_of(ssm: Any, node: str) -> dict[str, str]:
    listed = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=node)
    return {t["Key"]: t["Value"] for t in listed["TagList"]}


def test_a_node_page_shows_its_facts_and_commands_and_edits_its_tags(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    info = ssm.describe_instance_information(Filters=[{"Key": "tag:Fleet", "Values": [fleet]}])[
        "InstanceInformationList"
    ][0]
    node = info["InstanceId"]
    command_id = ssm.send_command(
        InstanceIds=[node],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["echo on-the-node"]},
        Comment="seen on the node page",
    )["Command"]["CommandId"]
    ssm.get_waiter("command_executed").wait(CommandId=command_id, InstanceId=node)

    sign_in(page, console_server.endpoint)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Nodes").click()
    page.get_by_role("row").filter(has_text=node).get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/console/nodes/{node}$"))
    facts = page.locator("dl.facts")
    for shown in (node, "Online", info["AgentVersion"], info["IPAddress"], info["PlatformName"]):
        expect(facts).to_contain_text(shown)
    expect(page.locator("h1 .status")).to_have_text("Online")
    recent = page.get_by_role("row").filter(has_text=command_id[:8])
    expect(recent).to_contain_text("Success")
    expect(recent).to_contain_text("seen on the node page")

    page.get_by_label("Key", exact=True).fill("Role")
    page.get_by_label("Value", exact=True).fill("web tier")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("row").filter(has_text="Role")).to_contain_text("web tier")
    assert tags_of(ssm, node) == {"Fleet": fleet, "Role": "web tier"}

    page.get_by_label("Key", exact=True).fill("Role")
    page.get_by_label("Value", exact=True).fill("<b>db</b>")
    page.get_by_role("button", name="Add tag").click()
    bad = [{"Key": "Role", "Value": "<b>db</b>"}]
    with pytest.raises(ClientError) as refused:
        ssm.add_tags_to_resource(ResourceType="ManagedInstance", ResourceId=node, Tags=bad)
    expect(page.get_by_role("alert")).to_contain_text(refused.value.response["Error"]["Message"])
    expect(page.get_by_label("Value", exact=True)).to_have_value("<b>db</b>")  # the form kept
    assert tags_of(ssm, node) == {"Fleet": fleet, "Role": "web tier"}
    shots(page, "node-refused")

    page.goto(f"{console_server.endpoint}/console/nodes/{node}")
    shots(page, "node")
    page.get_by_role("button", name="Remove tag Role").click()
    expect(page.get_by_role("row").filter(has_text="Role")).to_have_count(0)
    assert tags_of(ssm, node) == {"Fleet": fleet}

    where = f"{console_server.endpoint}/console/nodes/{node}/tags"
    form: dict[str, str | float | bool] = {"key": "Forged", "value": "yes"}
    assert page.request.post(where, form=form, max_redirects=0).status == 403
    forged: dict[str, str | float | bool] = {"key": "Fleet"}
    assert page.request.post(f"{where}/remove", form=forged, max_redirects=0).status == 403
    assert tags_of(ssm, node) == {"Fleet": fleet}

    page.get_by_role("link", name="Run a command here").click()
    expect(page.get_by_label("These nodes")).to_be_checked()
    expect(page.locator(f"#pick-{node}")).to_be_checked()


def test_an_unknown_node_shows_the_api_message(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/nodes/mi-0123456789abcdef0")
    with pytest.raises(ClientError) as refused:
        ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}]
        )
    expect(page.get_by_role("alert")).to_contain_text(refused.value.response["Error"]["Message"])


def test_the_page_works_with_the_keyboard(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    node = ssm.describe_instance_information(Filters=[{"Key": "tag:Fleet", "Values": [fleet]}])[
        "InstanceInformationList"
    ][0]["InstanceId"]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/nodes/{node}")
    stops = tab_through(page)
    assert any(s["tag"] == "INPUT" for s in stops)
    assert all(s["named"] for s in stops), [s for s in stops if not s["named"]]
    unseen = [s for s in stops if not (s["outline"] == "solid" and s["width"] >= 2)]
    assert unseen == []
