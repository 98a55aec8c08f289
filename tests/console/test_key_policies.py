"""The console honours the signed-in key's policy as the API does (issue 12): a page whose
data the API would refuse the key answers 403 with the API's AccessDeniedException message
and shows none of it, sections of the overview and the forms' pickers are refused on their
own, every form of a read-only key is refused with the API's message, each refusal is in the
audit trail, and a calendar feed stops serving once its owner's policy denies it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.console.conftest import shot, sign_in
from tests.support.cli import transom_on
from tests.support.servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    ServerProcess,
    boto3_client,
)
from tests.support.shell_window import shell_window
from tests.support.signing import signed_get
from tests.support.waiting import wait_for

ACCOUNT = "000000000000"
WINDOWS = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow"
SCHEDULE = "cron(0 4 ? * SUN *)"
OUTPUT = "output-only-readers-may-see"
WEB_ONLY = {
    "Statement": {
        "Effect": "Allow",
        "Action": "ssm:*",
        "Resource": f"{WINDOWS}/*",
        "Condition": {"StringEquals": {"ssm:resourceTag/team": "web"}},
    }
}
NO_DESCRIBE = {"Statement": {"Effect": "Allow", "Action": "ssm:Get*", "Resource": "*"}}
EVERYTHING = {"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}
DENY_ALL = {
    "Statement": [
        {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ssm:*", "Resource": "*"},
    ]
}


@dataclass(frozen=True)
class World:
    """What the pages show: two windows (team=web and team=db), a run of the web one, the
    fleet's node, a command with its output, an activation."""

    web: str
    db: str
    execution: str
    node: str
    command: str
    activation: str


@pytest.fixture(scope="module")
def ssm(console_server: ServerProcess) -> Any:
    return boto3_client(console_server.endpoint)


def start_run(endpoint: str, window_id: str) -> str:
    """Start the window now through the REST API, as the admin key."""
    url = f"{endpoint}/v1/windows/{window_id}/executions"
    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    answer = httpx.post(url, headers=dict(request.headers), content=b"", timeout=30)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["WindowExecutionId"])


@pytest.fixture(scope="module")
def world(console_server: ServerProcess, ssm: Any, fleet: str) -> World:
    web = shell_window(ssm, SCHEDULE, ("Fleet", fleet), [f"echo {OUTPUT}"], name="web-window")
    ssm.add_tags_to_resource(
        ResourceType="MaintenanceWindow", ResourceId=web, Tags=[{"Key": "team", "Value": "web"}]
    )
    db = ssm.create_maintenance_window(
        Name="db-window",
        Schedule=SCHEDULE,
        Duration=1,
        Cutoff=0,
        AllowUnassociatedTargets=True,
        Tags=[{"Key": "team", "Value": "db"}],
    )["WindowId"]
    execution = start_run(console_server.endpoint, web)
    wait_for(
        lambda: (
            ssm.get_maintenance_window_execution(WindowExecutionId=execution)["Status"] == "SUCCESS"
        ),
        seconds=60,
        what="the web window's run to succeed",
    )
    [node] = [
        i["InstanceId"]
        for i in ssm.describe_instance_information(
            Filters=[{"Key": "tag:Fleet", "Values": [fleet]}]
        )["InstanceInformationList"]
    ]
    command = ssm.send_command(
        InstanceIds=[node], DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]}
    )["Command"]["CommandId"]
    ssm.get_waiter("command_executed").wait(CommandId=command, InstanceId=node)
    activation = ssm.describe_activations()["ActivationList"][0]["ActivationId"]
    return World(web, db, execution, node, command, activation)


Key = tuple[str, str]


@pytest.fixture(scope="module")
def new_key(console_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A new key made with `transom keys create` (a policy's JSON value, or "--read-only")."""
    folder = tmp_path_factory.mktemp("policies")

    def make(policy: Any) -> Key:
        if policy == "--read-only":
            args = ["--read-only"]
        else:
            path = folder / f"{time.monotonic_ns()}.json"
            path.write_text(json.dumps(policy))
            args = ["--policy", str(path)]
        done = transom_on(console_server.db, "keys", "create", *args, "--json")
        made = json.loads(done.stdout)
        return made["AccessKeyId"], made["SecretAccessKey"]

    return make


def set_policy(server: ServerProcess, key: Key, policy: Any, folder: Path) -> None:
    path = folder / "changed.json"
    path.write_text(json.dumps(policy))
    transom_on(server.db, "keys", "set-policy", key[0], "--policy", str(path))


def api_refusal(server: ServerProcess, key: Key, call: Callable[[Any], Any]) -> str:
    """The message the API refuses `call(ssm)` with, for `key`."""
    ssm = boto3_client(server.endpoint, aws_access_key_id=key[0], aws_secret_access_key=key[1])
    with pytest.raises(ClientError) as refused:
        call(ssm)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    return str(refused.value.response["Error"]["Message"])


def refused_in_trail(server: ServerProcess, key: Key) -> set[tuple[str, tuple[str, ...]]]:
    """(operation, resources) of the key's refused calls in the audit trail."""
    answer = signed_get(f"{server.endpoint}/v1/audit?key={key[0]}&limit=1000")
    assert answer.status_code == 200, answer.text
    return {
        (r["Operation"], tuple(r["Resources"]))
        for r in answer.json()["records"]
        if r["Outcome"] == "AccessDeniedException"
    }


def alert_of(html: str) -> str:
    """The alert of a page (for a failing assertion's message)."""
    start = html.find('role="alert"')
    return html[start : start + 400]


def pages_of(world: World) -> dict[str, str]:
    """Every console page that shows stored data, by name."""
    return {
        "overview": "/console/",
        "windows": "/console/windows",
        "window": f"/console/windows/{world.web}",
        "edit": f"/console/windows/{world.web}/edit",
        "execution": f"/console/executions/{world.execution}",
        "nodes": "/console/nodes",
        "node": f"/console/nodes/{world.node}",
        "calendar": "/console/calendar",
        "commands": "/console/commands",
        "command": f"/console/commands/{world.command}",
        "activations": "/console/activations",
    }


def test_a_read_only_key_reads_every_page_and_every_form_is_refused_as_the_api_refuses_it(
    page: Page, console_server: ServerProcess, ssm: Any, world: World, new_key: Any
) -> None:
    key = new_key("--read-only")
    endpoint = console_server.endpoint
    sign_in(page, endpoint, key[1], key[0])
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    shows = {
        "overview": "web-window",
        "windows": "db-window",
        "window": "web-window",
        "edit": "web-window",
        "execution": OUTPUT,
        "nodes": world.node,
        "node": world.command[:8],
        "calendar": "web-window",
        "commands": world.command,
        "command": world.node,
        "activations": world.activation,
    }
    for name, path in pages_of(world).items():
        answer = page.goto(endpoint + path)
        assert answer is not None
        assert answer.status == 200, (name, answer.status)
        assert shows[name] in page.content(), name
        expect(page.get_by_role("alert")).to_have_count(0)
        links = page.get_by_role("navigation", name="Main").get_by_role("link")
        expect(links).to_have_count(6)

    csrf = page.locator("input[name=csrf]").first.input_value()
    windows, execution, command = "/console/windows", "/console/executions", "/console/commands"
    web = f"{windows}/{world.web}"
    [task] = ssm.describe_maintenance_window_tasks(WindowId=world.web)["Tasks"]
    [target] = ssm.describe_maintenance_window_targets(WindowId=world.web)["Targets"]
    task, target = task["WindowTaskId"], target["WindowTargetId"]
    forms: dict[str, tuple[str, dict[str, str], Callable[[Any], Any] | None]] = {
        "CreateMaintenanceWindow": (
            f"{windows}/new",
            {"name": "denied", "schedule": "rate(1 day)", "duration": "2", "cutoff": "1"},
            lambda api: api.create_maintenance_window(
                Name="denied",
                Schedule="rate(1 day)",
                Duration=2,
                Cutoff=1,
                AllowUnassociatedTargets=False,
            ),
        ),
        "UpdateMaintenanceWindow": (
            f"{web}/enabled",
            {"enabled": "false"},
            lambda api: api.update_maintenance_window(WindowId=world.web, Enabled=False),
        ),
        "StartMaintenanceWindowExecution": (f"{web}/run", {}, None),
        "RegisterTargetWithMaintenanceWindow": (
            f"{web}/targets",
            {"by": "tag", "tag_key": "Fleet", "tag_values": "x"},
            None,
        ),
        "RegisterTaskWithMaintenanceWindow": (
            f"{web}/tasks",
            {"document": "AWS-RunShellScript"},
            None,
        ),
        "DeregisterTargetFromMaintenanceWindow": (
            f"{web}/targets/deregister",
            {"target": target},
            None,
        ),
        "DeregisterTaskFromMaintenanceWindow": (f"{web}/tasks/deregister", {"task": task}, None),
        "CancelMaintenanceWindowExecution": (f"{execution}/{world.execution}/cancel", {}, None),
        "SendCommand": (
            command,
            {"document": "AWS-RunShellScript", "by": "nodes", f"node:{world.node}": "on"},
            None,
        ),
        "CancelCommand": (f"{command}/{world.command}/cancel", {}, None),
        "AddTagsToResource": (
            f"/console/nodes/{world.node}/tags",
            {"key": "k", "value": "v"},
            None,
        ),
        "CreateActivation": ("/console/activations", {"iam_role": "transom"}, None),
        "DeleteActivation": (
            "/console/activations/delete",
            {"activation": world.activation},
            lambda api: api.delete_activation(ActivationId=world.activation),
        ),
    }
    windows_before = ssm.describe_maintenance_windows()["WindowIdentities"]
    for operation, (path, form, call) in forms.items():
        posted = page.request.post(endpoint + path, form={**form, "csrf": csrf}, max_redirects=0)
        assert posted.status == 403, (operation, posted.status, alert_of(posted.text()))
        text = posted.text()
        assert f"is not authorized to perform: ssm:{operation}" in text, operation
        if call is not None:
            assert api_refusal(console_server, key, call) in text, operation
    assert ssm.describe_maintenance_windows()["WindowIdentities"] == windows_before
    assert ssm.get_maintenance_window(WindowId=world.web)["Enabled"] is True

    page.goto(endpoint + web)
    page.get_by_role("button", name="Disable").click()
    message = api_refusal(
        console_server,
        key,
        lambda api: api.update_maintenance_window(WindowId=world.web, Enabled=False),
    )
    expect(page.get_by_role("alert").first).to_contain_text(message)
    shot(page, "read-only-refused-form")


def test_a_key_limited_to_web_windows_reads_only_theirs_and_each_refusal_is_audited(
    page: Page, console_server: ServerProcess, world: World, new_key: Any
) -> None:
    key = new_key(WEB_ONLY)
    endpoint = console_server.endpoint
    sign_in(page, endpoint, key[1], key[0])
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    for section in ("Nodes", "Running now", "Next runs", "Failures in the last 24 hours"):
        expect(
            page.locator("section").filter(has=page.get_by_role("heading", name=section))
        ).to_contain_text("Refused:")
    assert "web-window" not in page.content()
    shot(page, "web-only-overview")

    shown = page.goto(f"{endpoint}/console/windows/{world.web}")
    assert shown is not None
    assert shown.status == 200
    expect(page.get_by_role("heading", name="web-window")).to_be_visible()
    nodes = api_refusal(console_server, key, lambda api: api.describe_instance_information())
    page.get_by_text("Register a target").click()
    expect(page.get_by_role("alert")).to_contain_text(nodes)  # the node picker, on its own
    assert world.node not in page.content()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Overview"])  # the lists it may not read
    shot(page, "web-only-window")

    cases = {
        f"/console/windows/{world.db}": (
            lambda api: api.get_maintenance_window(WindowId=world.db),
            ("GetMaintenanceWindow", (world.db,)),
        ),
        "/console/windows": (
            lambda api: api.describe_maintenance_windows(),
            ("DescribeMaintenanceWindows", ()),
        ),
        f"/console/calendar?window={world.db}": (
            lambda api: api.get_maintenance_window(WindowId=world.db),
            ("GetMaintenanceWindow", (world.db,)),
        ),
    }
    for path, (call, audited) in cases.items():
        refused = page.goto(endpoint + path)
        assert refused is not None
        assert refused.status == 403, path
        message = api_refusal(console_server, key, call)
        expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_text(f"Refused: {message}")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        assert "db-window" not in page.content()
        assert audited in refused_in_trail(console_server, key), path
    shot(page, "web-only-refused")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar")
    ).to_be_visible()
    trail = refused_in_trail(console_server, key)
    assert ("DescribeInstanceInformation", ()) in trail  # the refused picker too


def test_a_key_without_describe_sees_refusals_and_never_data(
    page: Page, console_server: ServerProcess, world: World, new_key: Any
) -> None:
    key = new_key(NO_DESCRIBE)
    endpoint = console_server.endpoint
    sign_in(page, endpoint, key[1], key[0])
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    secrets = ("web-window", "db-window", world.node, world.command, world.activation, OUTPUT)
    for name, path in pages_of(world).items():
        if name == "edit":  # GetMaintenanceWindow: its key may read that
            continue
        answer = page.goto(endpoint + path)
        assert answer is not None
        assert answer.status == (200 if name == "overview" else 403), name
        html = page.content()
        assert "is not authorized to perform: ssm:" in html, name
        for secret in secrets:
            assert secret not in html, (name, secret)
    preview = page.request.get(
        f"{endpoint}/console/windows/preview?schedule=rate(1%20day)&duration=2&cutoff=1"
    )
    assert preview.status == 200  # it reads nothing stored: the form's fields and the clock
    assert set(preview.json()) == {"explained", "runs"}


def test_a_feed_stops_serving_once_its_owner_policy_denies_it(
    page: Page,
    console_server: ServerProcess,
    world: World,
    new_key: Any,
    tmp_path: Path,
) -> None:
    key = new_key(EVERYTHING)
    endpoint = console_server.endpoint
    sign_in(page, endpoint, key[1], key[0])
    page.goto(endpoint + "/console/calendar/feed")
    page.get_by_role("button", name="Make a feed URL").click()
    url = page.get_by_label("Your feed URL").input_value()
    assert httpx.get(url, timeout=30).status_code == 200
    assert httpx.get(url, timeout=30).status_code == 200  # now from the cache

    set_policy(console_server, key, DENY_ALL, tmp_path)
    changed = time.monotonic()

    def refused_feed() -> httpx.Response | None:
        answer = httpx.get(url, timeout=30)
        return answer if answer.status_code == 403 else None

    refused = wait_for(
        refused_feed, seconds=10, every=0.25, what="the feed to be refused (keys are cached 5 s)"
    )
    assert time.monotonic() - changed < 7
    assert refused.headers["content-type"].startswith("text/plain")
    assert refused.text.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/{key[0]} is not ")
    assert "ssm:DescribeMaintenanceWindows on resource: * with an explicit deny" in refused.text
    assert "BEGIN:VCALENDAR" not in refused.text
    assert ("DescribeMaintenanceWindows", ()) in refused_in_trail(console_server, key)

    set_policy(console_server, key, WEB_ONLY, tmp_path)
    wait_for(
        lambda: httpx.get(url, params={"window": world.web}, timeout=30).status_code == 200,
        seconds=10,
        every=0.25,
        what="the web window's feed to serve the web-only key",
    )
    assert httpx.get(url, params={"window": world.db}, timeout=30).status_code == 403
    assert httpx.get(url, timeout=30).status_code == 403


def test_error_pages_say_what_went_wrong(
    page: Page, console_server: ServerProcess, ssm: Any
) -> None:
    sign_in(page, console_server.endpoint)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    unknown = "mw-0123456789abcdef0"
    page.goto(f"{console_server.endpoint}/console/windows/{unknown}")
    with pytest.raises(ssm.exceptions.DoesNotExistException) as api:
        ssm.get_maintenance_window(WindowId=unknown)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        f"Not found: {api.value.response['Error']['Message']}"
    )
    page.goto(f"{console_server.endpoint}/console/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Not found:")
    page.goto(f"{console_server.endpoint}/console/windows?page=first")
    expect(page.get_by_role("heading", name="Invalid request")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Invalid: The page 'first'")
    assert "Refused" not in page.content()
