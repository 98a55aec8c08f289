"""The console's forms in a real browser: a window created through the form (with its live
preview) lands on the calendar at the right local time and edits like the API's
UpdateMaintenanceWindow; bad input shows the API's own message and saves nothing; a POST
without the CSRF token is refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import shot, sign_in
from tests.support.cli import transom
from tests.support.servers import ServerProcess, boto3_client

VIEWER = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


def api_refusal(ssm: Any, **params: Any) -> str:
    """The message of the API's refusal of CreateMaintenanceWindow with `params`."""
    with pytest.raises(ClientError) as refused:
        ssm.create_maintenance_window(**params)
    return str(refused.value.response["Error"]["Message"])


def window_names(ssm: Any) -> list[str]:
    found = ssm.describe_maintenance_windows()["WindowIdentities"]
    return sorted(w["Name"] for w in found)


def test_a_window_made_with_the_form_is_on_the_calendar_at_its_local_time(
    browser: Browser, console_server: ServerProcess, ssm: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=VIEWER.key)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, console_server.endpoint)
        page.goto(f"{console_server.endpoint}/console/windows")
        page.get_by_role("link", name="Create maintenance window").click()
        page.get_by_label("Name").fill("form-made")
        page.get_by_label("Description").fill("Kernel <b>updates</b>")
        page.get_by_label("Schedule", exact=True).fill("cron(15 3 ? * TUE *)")
        page.get_by_label("Time zone").select_option("Europe/Berlin")
        page.get_by_label("Schedule offset (days)").fill("2")
        page.get_by_label("Duration (hours)").fill("4")
        page.get_by_label("Cutoff (hours)").fill("1")
        page.get_by_label("End date").fill("2040-01-01T00:00:00Z")
        page.get_by_label("Allow tasks on nodes").check()
        page.get_by_label("Tags").fill("Team=db\nTier=gold")
        explained = transom(
            "schedule",
            "explain",
            "cron(15 3 ? * TUE *)",
            "--tz",
            "Europe/Berlin",
            "--offset",
            "2",
        ).stdout.splitlines()[0]
        preview = page.locator("#preview")
        expect(preview).to_contain_text(explained)
        expect(preview.locator("li")).to_have_count(5)
        previewed = preview.locator("time").first.get_attribute("datetime")
        shot(page, "window-form")

        page.get_by_role("button", name="Create maintenance window").click()
        expect(page.get_by_role("heading", name="form-made")).to_be_visible()
        window_id = page.url.rsplit("/", 1)[1]
        made = ssm.get_maintenance_window(WindowId=window_id)
        assert {
            k: made.get(k)
            for k in (
                "Name",
                "Description",
                "Schedule",
                "ScheduleTimezone",
                "ScheduleOffset",
                "Duration",
                "Cutoff",
                "EndDate",
                "AllowUnassociatedTargets",
                "Enabled",
            )
        } == {
            "Name": "form-made",
            "Description": "Kernel <b>updates</b>",
            "Schedule": "cron(15 3 ? * TUE *)",
            "ScheduleTimezone": "Europe/Berlin",
            "ScheduleOffset": 2,
            "Duration": 4,
            "Cutoff": 1,
            "EndDate": "2040-01-01T00:00:00Z",
            "AllowUnassociatedTargets": True,
            "Enabled": True,
        }
        tags = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
        assert tags["TagList"] == [{"Key": "Team", "Value": "db"}, {"Key": "Tier", "Value": "gold"}]
        first = datetime.fromisoformat(made["NextExecutionTime"])
        assert previewed is not None
        assert datetime.fromisoformat(previewed) == first

        local = first.astimezone(VIEWER)
        page.goto(
            f"{console_server.endpoint}/console/calendar?window={window_id}&date={local.date()}"
        )
        expect(page).to_have_url(re.compile("tz=America%2FLos_Angeles"))
        end = local + timedelta(hours=4)
        expect(page.locator(".week .block").first).to_contain_text(
            f"{local:%H:%M}–{end:%H:%M} form-made"
        )
    finally:
        context.close()


def test_bad_input_shows_the_api_message_and_saves_nothing(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    before = window_names(ssm)
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/new")
    page.get_by_label("Name").fill("too-short-cutoff")
    page.get_by_label("Schedule", exact=True).fill("cron(0 4 ? * SUN#6 *)")
    bad_cron = api_refusal(
        ssm,
        Name="x-x",
        Schedule="cron(0 4 ? * SUN#6 *)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )
    expect(page.locator("#preview [role=alert]")).to_have_text(bad_cron)

    page.get_by_label("Schedule", exact=True).fill("rate(1 day)")
    page.get_by_label("Duration (hours)").fill("2")
    page.get_by_label("Cutoff (hours)").fill("2")
    page.get_by_role("button", name="Create maintenance window").click()
    message = api_refusal(
        ssm,
        Name="too-short-cutoff",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=2,
        AllowUnassociatedTargets=False,
    )
    expect(page.get_by_role("alert").first).to_contain_text(message)
    expect(page.get_by_label("Name")).to_have_value("too-short-cutoff")  # the form kept
    page.get_by_label("Name").fill("a b")
    page.get_by_label("Cutoff (hours)").fill("1")
    page.get_by_role("button", name="Create maintenance window").click()
    message = api_refusal(
        ssm,
        Name="a b",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )
    expect(page.get_by_role("alert").first).to_contain_text(message)
    shot(page, "window-form-refused")

    where = f"{console_server.endpoint}/console/windows/new"
    form: dict[str, str | float | bool] = {
        "name": "forged",
        "schedule": "rate(1 day)",
        "duration": "2",
        "cutoff": "1",
    }
    assert page.request.post(where, form=form, max_redirects=0).status == 403
    assert window_names(ssm) == before


def test_editing_a_window_replaces_its_settings_as_the_api_does(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    window_id = ssm.create_maintenance_window(
        Name="to-edit",
        Schedule="rate(2 days)",
        Duration=3,
        Cutoff=1,
        Description="old",
        AllowUnassociatedTargets=True,
    )["WindowId"]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Schedule", exact=True)).to_have_value("rate(2 days)")
    expect(page.get_by_label("Allow tasks on nodes")).to_be_checked()
    page.get_by_label("Cutoff (hours)").fill("3")
    page.get_by_role("button", name="Save").click()
    message = api_refusal(
        ssm,
        Name="x-x",
        Schedule="rate(2 days)",
        Duration=3,
        Cutoff=3,
        AllowUnassociatedTargets=True,
    )
    expect(page.get_by_role("alert").first).to_contain_text(message)
    assert ssm.get_maintenance_window(WindowId=window_id)["Cutoff"] == 1

    page.get_by_label("Name").fill("edited")
    page.get_by_label("Schedule", exact=True).fill("cron(0 22 ? * FRI *)")
    page.get_by_label("Cutoff (hours)").fill("0")
    page.get_by_label("Description").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="edited")).to_be_visible()
    now = ssm.get_maintenance_window(WindowId=window_id)
    assert (now["Name"], now["Schedule"], now["Cutoff"]) == ("edited", "cron(0 22 ? * FRI *)", 0)
    assert "Description" not in now  # Replace: a field left empty is cleared
    assert now["AllowUnassociatedTargets"] is True


def fill_task(page: Page, max_concurrency: str) -> None:
    """Register the task "say-hello" through the window page's form."""
    task = page.locator("form[action$='/tasks']")
    if not task.is_visible():  # a refused form comes back open
        page.locator("summary", has_text="Register a Run Command task").click()
    task.get_by_label("Name").fill("say-hello")
    task.get_by_label("Document").select_option("AWS-RunShellScript")
    task.get_by_label("Parameters").fill("""{"commands": ["echo 'from-console <b>'"]}""")
    task.get_by_label("by-tag").check()
    task.get_by_label("Priority").fill("2")
    task.get_by_label("At the cutoff").select_option("CANCEL_TASK")
    task.get_by_label("Max concurrency").fill(max_concurrency)
    task.get_by_label("Max errors").fill("1")
    task.get_by_role("button", name="Register task", exact=True).click()


def test_targets_and_tasks_registered_on_the_window_page_run(
    page: Page, console_server: ServerProcess, ssm: Any, fleet: str
) -> None:
    window_id = ssm.create_maintenance_window(
        Name="registered-here",
        Schedule="rate(7 days)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    node = ssm.describe_instance_information(Filters=[{"Key": "tag:Fleet", "Values": [fleet]}])[
        "InstanceInformationList"
    ][0]["InstanceId"]
    sign_in(page, console_server.endpoint)
    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")

    page.locator("summary", has_text="Register a target").click()
    page.get_by_label("Name").first.fill("by-tag")
    page.get_by_label("Tag key").fill("Fleet")
    page.get_by_label("Values").fill(fleet)
    page.get_by_role("button", name="Register target", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="by-tag")).to_contain_text(
        f"tag:Fleet = {fleet}"
    )
    page.locator("summary", has_text="Register a target").click()
    page.get_by_label("These nodes").check()
    page.locator(f"#pick-{node}").check()
    page.get_by_role("button", name="Register target", exact=True).click()
    expect(page.get_by_role("row").filter(has_text=node)).to_contain_text("InstanceIds")
    targets = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]
    by_name = {t.get("Name", "picked"): t for t in targets}
    assert by_name["by-tag"]["Targets"] == [{"Key": "tag:Fleet", "Values": [fleet]}]
    assert by_name["picked"]["Targets"] == [{"Key": "InstanceIds", "Values": [node]}]

    fill_task(page, "lots")
    with pytest.raises(ClientError) as refused:
        ssm.register_task_with_maintenance_window(
            WindowId=window_id,
            TaskType="RUN_COMMAND",
            TaskArn="AWS-RunShellScript",
            Targets=[{"Key": "WindowTargetIds", "Values": [by_name["by-tag"]["WindowTargetId"]]}],
            MaxConcurrency="lots",
            MaxErrors="1",
        )
    expect(page.get_by_role("alert")).to_contain_text(refused.value.response["Error"]["Message"])
    assert ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"] == []
    shot(page, "window-register-refused")

    fill_task(page, "50%")
    expect(page.get_by_role("row").filter(has_text="say-hello")).to_contain_text("50% / 1")
    [task] = ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]
    assert (task["Priority"], task["CutoffBehavior"], task["MaxConcurrency"]) == (
        2,
        "CANCEL_TASK",
        "50%",
    )
    shot(page, "window-registered")

    page.get_by_role("button", name="Deregister target by-tag").click()
    with pytest.raises(ClientError) as unsafe:
        ssm.deregister_target_from_maintenance_window(
            WindowId=window_id, WindowTargetId=by_name["by-tag"]["WindowTargetId"], Safe=True
        )
    expect(page.get_by_role("alert")).to_contain_text(unsafe.value.response["Error"]["Message"])

    page.get_by_role("button", name="Run now").click()
    heading = page.get_by_role("heading", name=re.compile("^Execution"))
    expect(heading).to_contain_text("SUCCESS", timeout=30_000)
    expect(page.locator("pre.output").first).to_have_text("from-console <b>\n")

    page.goto(f"{console_server.endpoint}/console/windows/{window_id}")
    page.get_by_role("button", name="Deregister task say-hello").click()
    expect(page.get_by_text("No tasks registered.")).to_be_visible()
    page.get_by_role("button", name="Deregister target by-tag").click()
    expect(page.get_by_role("row").filter(has_text="by-tag")).to_have_count(0)
    assert len(ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]) == 1
