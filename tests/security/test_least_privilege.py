"""Least privilege (issue 14 §4): access keys limited by IAM-style policies, checked on every
API through the real boto3 client and the `aws` CLI against a server on each backend. A denied
call answers AccessDeniedException (SNS: AuthorizationError) in IAM's words and changes
nothing in the database."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.nodes import activation, register
from tests.support.servers import (
    BACKEND_PARAMS,
    REGION,
    Database,
    ServerProcess,
    aws_cli_env,
    aws_executable,
    boto3_client,
    database,
    install_test_key,
    key_service,
)
from tests.support.signing import signed_get
from tests.support.waiting import wait_for
from transom.domain.clock import SystemClock
from transom.domain.events import Realm
from transom.services.keys import READ_ONLY_POLICY
from transom.services.roles import RoleService
from transom.store.sql import SqlStore

ACCOUNT = "000000000000"
WINDOWS = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow"
NODES = f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance"
SHELL = f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript"
WINDOW = {
    "Schedule": "rate(1 day)",
    "Duration": 2,
    "Cutoff": 1,
    "AllowUnassociatedTargets": True,
}


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    with database(request.param, tmp_path_factory.mktemp(f"privilege-{request.param}")) as found:
        install_test_key(found)
        yield found


@pytest.fixture(scope="module")
def server(db: Database) -> Iterator[ServerProcess]:
    process = ServerProcess(db).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def store(db: Database) -> Iterator[SqlStore]:
    opened = db.open_store()
    yield opened
    opened.close()


KeyMaker = Callable[..., tuple[str, str]]


@pytest.fixture(scope="module")
def new_key(db: Database, store: SqlStore) -> KeyMaker:
    """A new key limited by a policy (a document's JSON value, or its text); its id and secret."""

    def make(policy: Any) -> tuple[str, str]:
        text = policy if isinstance(policy, str) else json.dumps(policy)
        key = key_service(db, store).create("least privilege", text)
        return key.access_key_id, key.secret_access_key

    return make


def client(server: ServerProcess, key: tuple[str, str], service: str = "ssm") -> Any:
    return boto3_client(
        server.endpoint, service, aws_access_key_id=key[0], aws_secret_access_key=key[1]
    )


def refusal(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


UNWATCHED = ("window_cursors", "events", "deliveries", "audit_records", "audit_resources")


def snapshot(db: Database) -> dict[str, list[str]]:
    """Every row of every table but those the server's loops write on their own time, and
    the audit trail (which records each refusal: `audited` reads it)."""
    engine = sa.create_engine(db.store_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    try:
        with engine.connect() as conn:
            return {
                name: sorted(
                    json.dumps(list(row), default=str) for row in conn.execute(table.select())
                )
                for name, table in metadata.tables.items()
                if name
                not in (
                    "window_cursors",
                    "events",
                    "deliveries",
                    "audit_records",
                    "audit_resources",
                )
            }
    finally:
        engine.dispose()


def user(key: tuple[str, str]) -> str:
    return f"User: arn:aws:iam::{ACCOUNT}:user/{key[0]} is not authorized to perform: "


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> Any:
    return boto3_client(server.endpoint)


@pytest.fixture(scope="module")
def window(admin: Any) -> str:
    return str(admin.create_maintenance_window(Name="privilege", **WINDOW)["WindowId"])


def test_a_read_only_key_describes_but_changes_nothing(
    server: ServerProcess, db: Database, new_key: KeyMaker, window: str, tmp_path: Path
) -> None:
    key = new_key(READ_ONLY_POLICY)
    ssm = client(server, key)
    assert window in {w["WindowId"] for w in ssm.describe_maintenance_windows()["WindowIdentities"]}
    assert ssm.get_maintenance_window(WindowId=window)["Name"] == "privilege"
    ssm.list_commands()
    client(server, key, "events").list_rules()
    client(server, key, "sns").list_topics()

    before = snapshot(db)
    who = user(key)
    denied = {
        "CreateMaintenanceWindow": lambda: ssm.create_maintenance_window(Name="denied", **WINDOW),
        "UpdateMaintenanceWindow": lambda: ssm.update_maintenance_window(
            WindowId=window, Name="renamed"
        ),
        "DeleteMaintenanceWindow": lambda: ssm.delete_maintenance_window(WindowId=window),
        "SendCommand": lambda: ssm.send_command(
            DocumentName="AWS-RunShellScript",
            Targets=[{"Key": "tag:Env", "Values": ["staging"]}],
            Parameters={"commands": ["true"]},
        ),
        "RegisterTaskWithMaintenanceWindow": lambda: ssm.register_task_with_maintenance_window(
            WindowId=window,
            TaskArn="AWS-RunShellScript",
            TaskType="RUN_COMMAND",
            Targets=[{"Key": "tag:Env", "Values": ["staging"]}],
        ),
    }
    resources = {
        "CreateMaintenanceWindow": f"{WINDOWS}/*",
        "SendCommand": SHELL,
    }
    for operation, call in denied.items():
        code, message, status = refusal(call)
        resource = resources.get(operation, f"{WINDOWS}/{window}")
        assert (code, status) == ("AccessDeniedException", 400)
        assert message == (
            f"{who}ssm:{operation} on resource: {resource} because no identity-based policy "
            f"allows the ssm:{operation} action"
        )
    events = client(server, key, "events")
    code, _, _ = refusal(lambda: events.put_rule(Name="denied", ScheduleExpression="rate(1 hour)"))
    assert code == "AccessDeniedException"
    code, message, status = refusal(lambda: client(server, key, "sns").create_topic(Name="denied"))
    assert (code, status) == ("AuthorizationError", 403)
    assert f"sns:CreateTopic on resource: arn:aws:sns:{REGION}:{ACCOUNT}:denied" in message
    assert snapshot(db) == before

    env = aws_cli_env(tmp_path) | {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}
    cli = [aws_executable(), "ssm", "--endpoint-url", server.endpoint]
    listed = subprocess.run(
        [*cli, "describe-maintenance-windows"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    deleted = subprocess.run(
        [*cli, "delete-maintenance-window", "--window-id", window],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert deleted.returncode != 0
    assert (
        "(AccessDeniedException) when calling the DeleteMaintenanceWindow operation: "
        in deleted.stderr
    )
    assert "is not authorized to perform: ssm:DeleteMaintenanceWindow" in deleted.stderr
    assert snapshot(db) == before
    refused = audited(server, key)
    for operation in denied:
        assert ("ssm", operation, "AccessDeniedException") in refused
    assert ("events", "PutRule", "AccessDeniedException") in refused
    assert ("sns", "CreateTopic", "AuthorizationError") in refused


def audited(server: ServerProcess, key: tuple[str, str]) -> set[tuple[str, str, str]]:
    """(api, operation, outcome) of the audit trail's records of `key`."""
    response = signed_get(f"{server.endpoint}/v1/audit?key={key[0]}&limit=1000")
    assert response.status_code == 200, response.text
    return {(r["Api"], r["Operation"], r["Outcome"]) for r in response.json()["records"]}


def test_a_read_only_key_cannot_start_a_window_over_rest(
    server: ServerProcess, new_key: KeyMaker, window: str
) -> None:
    key = new_key(READ_ONLY_POLICY)
    url = f"{server.endpoint}/v1/windows/{window}/executions"
    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(Credentials(*key), "ssm", REGION).add_auth(request)
    response = httpx.post(url, headers=dict(request.headers), content=b"")
    assert response.status_code == 400
    assert response.json()["__type"] == "AccessDeniedException"
    assert (
        f"ssm:StartMaintenanceWindowExecution on resource: {WINDOWS}/{window}"
        in response.json()["message"]
    )
    trail = signed_get(f"{server.endpoint}/v1/audit", access_key=key[0], secret=key[1])
    assert trail.status_code == 400
    assert "cloudtrail:LookupEvents on resource: *" in trail.json()["message"]


STAGING_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "ssm:DescribeMaintenanceWindows", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "ssm:*",
            "Resource": f"{WINDOWS}/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "staging"}},
        },
    ],
}


def test_a_tag_conditioned_key_acts_only_on_windows_with_that_tag(
    server: ServerProcess, db: Database, admin: Any, new_key: KeyMaker
) -> None:
    staging = admin.create_maintenance_window(
        Name="staging", Tags=[{"Key": "Env", "Value": "staging"}], **WINDOW
    )["WindowId"]
    production = admin.create_maintenance_window(
        Name="production", Tags=[{"Key": "Env", "Value": "production"}], **WINDOW
    )["WindowId"]
    untagged = admin.create_maintenance_window(Name="untagged", **WINDOW)["WindowId"]
    key = new_key(STAGING_ONLY)
    ssm = client(server, key)

    assert ssm.get_maintenance_window(WindowId=staging)["Name"] == "staging"
    ssm.update_maintenance_window(WindowId=staging, Description="changed by the staging key")
    ssm.register_target_with_maintenance_window(
        WindowId=staging,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Env", "Values": ["staging"]}],
    )
    assert len(ssm.describe_maintenance_windows()["WindowIdentities"]) >= 3

    before = snapshot(db)
    tags = [{"Key": "Env", "Value": "staging"}]
    for other in (production, untagged):
        for call, params in (
            (ssm.get_maintenance_window, {"WindowId": other}),
            (ssm.update_maintenance_window, {"WindowId": other, "Description": "no"}),
            (ssm.delete_maintenance_window, {"WindowId": other}),
            (
                ssm.add_tags_to_resource,
                {"ResourceType": "MaintenanceWindow", "ResourceId": other, "Tags": tags},
            ),
        ):
            code, message, _ = refusal(lambda: call(**params))  # noqa: B023 (called now)
            assert code == "AccessDeniedException"
            assert f"on resource: {WINDOWS}/{other} because" in message
    code, _, _ = refusal(lambda: ssm.create_maintenance_window(Name="new", **WINDOW))
    assert code == "AccessDeniedException"
    assert snapshot(db) == before
    assert (
        admin.get_maintenance_window(WindowId=staging)["Description"]
        == "changed by the staging key"
    )


def test_send_command_is_denied_when_one_target_node_is_not_allowed(
    server: ServerProcess, db: Database, admin: Any, new_key: KeyMaker
) -> None:
    activation_id, code = activation(admin)
    nodes = {}
    for env in ("staging", "production"):
        instance_id = register(server.endpoint, activation_id, code).instance_id
        admin.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=instance_id,
            Tags=[{"Key": "Env", "Value": env}, {"Key": "Fleet", "Value": "privilege"}],
        )
        nodes[env] = instance_id
    key = new_key(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": SHELL},
                {
                    "Effect": "Allow",
                    "Action": "ssm:SendCommand",
                    "Resource": f"{NODES}/*",
                    "Condition": {"StringEquals": {"ssm:resourceTag/Env": "staging"}},
                },
            ]
        }
    )
    ssm = client(server, key)
    shell = {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]}}

    before = snapshot(db)
    for where in (
        {"InstanceIds": [nodes["staging"], nodes["production"]]},
        {"Targets": [{"Key": "tag:Fleet", "Values": ["privilege"]}]},
    ):
        code, message, _ = refusal(lambda: ssm.send_command(**shell, **where))  # noqa: B023
        assert code == "AccessDeniedException"
        assert message == (
            f"{user(key)}ssm:SendCommand on resource: {NODES}/{nodes['production']} because no "
            "identity-based policy allows the ssm:SendCommand action"
        )
    code, message, _ = refusal(
        lambda: ssm.send_command(
            DocumentName="AWS-RunPowerShellScript",
            InstanceIds=[nodes["staging"]],
            Parameters={"commands": ["true"]},
        )
    )
    assert (
        "ssm:SendCommand on resource: arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript"
        in message
    )
    assert snapshot(db) == before

    sent = ssm.send_command(**shell, Targets=[{"Key": "tag:Env", "Values": ["staging"]}])["Command"]
    assert sent["TargetCount"] == 1


def test_an_explicit_deny_wins_over_an_allow(
    server: ServerProcess, db: Database, new_key: KeyMaker, window: str
) -> None:
    key = new_key(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["ssm:Delete*", "ssm:Deregister*"], "Resource": "*"},
            ]
        }
    )
    ssm = client(server, key)
    ssm.update_maintenance_window(WindowId=window, Description="allowed")
    before = snapshot(db)
    code, message, _ = refusal(lambda: ssm.delete_maintenance_window(WindowId=window))
    assert code == "AccessDeniedException"
    assert message == (
        f"{user(key)}ssm:DeleteMaintenanceWindow on resource: {WINDOWS}/{window} with an "
        "explicit deny in an identity-based policy"
    )
    assert snapshot(db) == before


def test_a_changed_policy_applies_within_the_cache_time(
    server: ServerProcess, db: Database, store: SqlStore, new_key: KeyMaker, window: str
) -> None:
    key = new_key({"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}})
    ssm = client(server, key)
    ssm.update_maintenance_window(WindowId=window, Description="before the change")
    keys = key_service(db, store)

    def update_refused() -> str | None:
        try:
            ssm.update_maintenance_window(WindowId=window, Description="while it changes")
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return None

    keys.set_policy(key[0], READ_ONLY_POLICY)
    refused = wait_for(
        update_refused,
        seconds=10,
        every=0.5,
        what="the read-only policy to apply (the server caches keys 5 s)",
    )
    assert refused == "AccessDeniedException"
    keys.set_policy(key[0], None)
    wait_for(
        lambda: update_refused() is None, seconds=10, every=0.5, what="the key to be admin again"
    )


def test_passing_a_role_to_a_task_needs_iam_pass_role_and_a_known_role(
    server: ServerProcess, db: Database, store: SqlStore, new_key: KeyMaker, window: str
) -> None:
    roles = RoleService(store, SystemClock(), Realm())
    roles.create(
        "privilege-task",
        json.dumps(
            {"Statement": {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}}
        ),
    )
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/privilege-task"
    task = {
        "WindowId": window,
        "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND",
        "Targets": [{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}],
        "MaxConcurrency": "1",
        "MaxErrors": "0",
    }
    everything_but_pass = new_key(
        {"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}
    )
    passing = new_key(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn},
            ]
        }
    )
    before = snapshot(db)
    ssm = client(server, everything_but_pass)
    code, message, _ = refusal(
        lambda: ssm.register_task_with_maintenance_window(**task, ServiceRoleArn=role_arn)
    )
    assert code == "AccessDeniedException"
    assert message == (
        f"{user(everything_but_pass)}iam:PassRole on resource: {role_arn} because no "
        "identity-based policy allows the iam:PassRole action"
    )
    unknown = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
    code, message, _ = refusal(
        lambda: client(server, passing).register_task_with_maintenance_window(
            **task, ServiceRoleArn=unknown
        )
    )
    assert code == "ValidationException"
    assert message.startswith(f"ServiceRoleArn {unknown} names no role of this server: create it")
    assert snapshot(db) == before

    registered = client(server, passing).register_task_with_maintenance_window(
        **task, ServiceRoleArn=role_arn
    )
    got = client(server, passing).get_maintenance_window_task(
        WindowId=window, WindowTaskId=registered["WindowTaskId"]
    )
    assert got["ServiceRoleArn"] == role_arn
    code, _, _ = refusal(
        lambda: ssm.update_maintenance_window_task(
            WindowId=window, WindowTaskId=registered["WindowTaskId"], ServiceRoleArn=role_arn
        )
    )
    assert code == "AccessDeniedException"
