"""The Run Command pages in a real browser, against a real server and agent: a command sent
from the form is followed live to Success with its output (shown as text), cancelled from
its page, and listed in the history, paged by ListCommands' tokens; bad input shows the
API's own message and sends nothing; a POST without the CSRF token is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Locator, Page, expect

from tests.console.conftest import shots, sign_in, tab_through
from tests.support.servers import ServerProcess, boto3_client


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


def command_ids(ssm: Any) -> list[str]:
    return [c["CommandId"] for c in ssm.list_commands()["Commands"]]


def api_refusal(ssm: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as refused:
        ssm.send_command(DocumentName="AWS-RunShellScript", **params)
    return str(refused.value.response["Error"]["Message"])


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def parameter(page: Page, name: str) -> Locator:
    """The field of the chosen document's parameter `name`."""
    return page.locator("fieldset[data-document]:not([hidden])").get_by_label(name)


def test_a_command_sent_from_the_form_reaches_success_live_with_its_output(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    sign_in(page, console_server.endpoint)
    nav(page, "Run Command").click()
    expect(page.get_by_role("heading", name="Run Command")).to_be_visible()
    expect(page.get_by_label("Document")).to_have_value("AWS-RunShellScript")
    parameter(page, "commands").fill("echo 'ran <b>here</b>'\nsleep 3\necho done >&2")
    parameter(page, "executionTimeout").fill("120")
    page.get_by_label("Comment").fill("from the console")
    page.get_by_label("Nodes with a tag").check()
    page.get_by_label("Tag key").fill("Fleet")
    page.get_by_label("Values").fill(fleet)
    page.get_by_label("Max concurrency").fill("1")
    page.get_by_label("Max errors").fill("0")
    page.get_by_label("Delivery timeout (seconds)").fill("600")
    shots(page, "commands-form")
    page.get_by_role("button", name="Send command").click()

    heading = page.get_by_role("heading", name=re.compile("^Command"))
    expect(heading).to_contain_text(re.compile("Pending|InProgress"))
    page.evaluate("window.stayed = true")  # gone if the page is loaded again
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    shots(page, "command-running")
    expect(heading).to_contain_text("Success", timeout=30_000)
    assert page.evaluate("window.stayed") is True  # followed live, not reloaded
    expect(page.locator("pre.output[data-stream=stdout]")).to_have_text("ran <b>here</b>\n")
    expect(page.locator("pre.output[data-stream=stderr]")).to_have_text("done\n")
    expect(page.locator("pre.output b")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator(".facts")).to_contain_text("1 of 1 done")
    shots(page, "command-success")

    command_id = page.url.rsplit("/", 1)[1]
    sent = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert {k: sent[k] for k in ("Status", "Comment", "MaxConcurrency", "MaxErrors")} == {
        "Status": "Success",
        "Comment": "from the console",
        "MaxConcurrency": "1",
        "MaxErrors": "0",
    }
    assert sent["Targets"] == [{"Key": "tag:Fleet", "Values": [fleet]}]
    assert sent["TimeoutSeconds"] == 600
    assert sent["Parameters"] == {
        "commands": ["echo 'ran <b>here</b>'", "sleep 3", "echo done >&2"],
        "executionTimeout": ["120"],
    }

    nav(page, "Run Command").click()
    row = page.get_by_role("row").filter(has_text=command_id[:8])
    expect(row).to_contain_text("Success")
    expect(row).to_contain_text("1 of 1")
    expect(row.locator(".status")).to_have_class(re.compile("status-success"))
    shots(page, "commands-history")


def test_a_running_command_is_cancelled_from_its_page(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    node = ssm.describe_instance_information(Filters=[{"Key": "tag:Fleet", "Values": [fleet]}])[
        "InstanceInformationList"
    ][0]["InstanceId"]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/commands")
    parameter(page, "commands").fill("echo started\nsleep 120")
    page.get_by_label("These nodes").check()
    page.locator(f"#pick-{node}").check()
    page.get_by_role("button", name="Send command").click()
    article = page.get_by_role("article", name=f"Invocation on {node}")
    expect(article.locator(".status")).to_have_text("InProgress", timeout=30_000)
    page.get_by_role("button", name="Cancel").click()
    heading = page.get_by_role("heading", name=re.compile("^Command"))
    expect(heading).to_contain_text("Cancelled", timeout=30_000)
    command_id = page.url.rsplit("/", 1)[1]
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Cancelled"
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["InstanceIds"] == [node]


def test_bad_input_shows_the_api_message_and_sends_nothing(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    before = command_ids(ssm)
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/commands")
    parameter(page, "commands").fill("uptime")
    page.get_by_label("Tag key").fill("Fleet")
    page.get_by_label("Values").fill(fleet)
    page.get_by_label("Max concurrency").fill("abc")
    page.get_by_role("button", name="Send command").click()
    message = api_refusal(
        ssm,
        Targets=[{"Key": "tag:Fleet", "Values": [fleet]}],
        Parameters={"commands": ["uptime"]},
        MaxConcurrency="abc",
    )
    expect(page.get_by_role("alert")).to_contain_text(message)
    expect(parameter(page, "commands")).to_have_value("uptime")  # the form kept
    expect(page.get_by_label("Max concurrency")).to_have_value("abc")
    shots(page, "commands-refused")

    page.get_by_label("Max concurrency").fill("2")
    page.get_by_label("These nodes").check()  # and none picked
    page.get_by_role("button", name="Send command").click()
    message = api_refusal(ssm, Parameters={"commands": ["uptime"]})
    expect(page.get_by_role("alert")).to_contain_text(message)

    page.get_by_label("Nodes with a tag").check()
    parameter(page, "commands").fill("")
    page.get_by_role("button", name="Send command").click()
    message = api_refusal(ssm, Targets=[{"Key": "tag:Fleet", "Values": [fleet]}])
    expect(page.get_by_role("alert")).to_contain_text(message)

    form: dict[str, str | float | bool] = {
        "document": "AWS-RunShellScript",
        "param:AWS-RunShellScript:commands": "uptime",
        "by": "tag",
        "tag_key": "Fleet",
        "tag_values": fleet,
    }
    where = f"{console_server.endpoint}/console/commands"
    assert page.request.post(where, form=form, max_redirects=0).status == 403
    assert command_ids(ssm) == before
    cancel = f"{where}/{'0' * 8}-0000-0000-0000-000000000000/cancel"
    assert page.request.post(cancel, form={}, max_redirects=0).status == 403


@pytest.mark.usefixtures("fleet")  # a node to pick
def test_the_send_form_works_with_the_keyboard(page: Page, console_server: ServerProcess) -> None:
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/commands")
    stops = tab_through(page)
    fields = [s for s in stops if s["tag"] in ("INPUT", "SELECT", "TEXTAREA")]
    assert {s["id"] for s in fields} >= {"document", "comment", "tag-key", "max_errors", "timeout"}
    assert all(s["named"] for s in stops), [s for s in stops if not s["named"]]
    unseen = [s for s in stops if not (s["outline"] == "solid" and s["width"] >= 2)]
    assert unseen == []
    page.get_by_label("Document").focus()
    page.keyboard.press("Tab")
    page.keyboard.type("from the keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type("echo keyed")
    expect(page.get_by_label("Comment")).to_have_value("from the keyboard")
    expect(parameter(page, "commands")).to_have_value("echo keyed")


def test_the_history_pages_through_list_commands_tokens(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    sent = [
        ssm.send_command(
            DocumentName="AWS-RunShellScript",
            Targets=[{"Key": "tag:Fleet", "Values": ["no-such-fleet"]}],
            Parameters={"commands": ["true"]},
            Comment=f"paging {n}",
        )["Command"]["CommandId"]
        for n in range(26)
    ]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/commands")
    history = page.get_by_role("navigation", name="History pages")
    expect(page.get_by_role("row").filter(has_text=sent[-1][:8])).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=sent[0][:8])).to_have_count(0)
    expect(history.get_by_role("link", name="Newest")).to_have_count(0)

    history.get_by_role("link", name="Older").click()

    expect(page).to_have_url(re.compile(r"/console/commands\?next="))
    expect(page.get_by_role("row").filter(has_text=sent[0][:8])).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=sent[-1][:8])).to_have_count(0)
    history.get_by_role("link", name="Newest").click()
    expect(page.get_by_role("row").filter(has_text=sent[-1][:8])).to_be_visible()
