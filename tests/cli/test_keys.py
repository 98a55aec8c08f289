"""`transom keys` against real databases, and the keys it manages used by boto3."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def transom(
    db: Database, *args: str, ok: bool = True, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "transom", *args, *db.cli_args()],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode == 0) is ok, done.stderr
    return done


def _refusal(call: Callable[[], Any]) -> str | None:
    """The error code the server answers `call` with; None while it accepts it."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def _describe(endpoint: str, key: str, secret: str) -> Any:
    ssm = boto3_client(endpoint, aws_access_key_id=key, aws_secret_access_key=secret)
    return ssm.describe_maintenance_windows()


def test_created_imported_and_deleted_keys_take_effect_on_a_running_server(
    fresh_db: Database,
) -> None:
    created = json.loads(
        transom(fresh_db, "keys", "create", "--json", "--description", "ci").stdout
    )
    assert created["AccessKeyId"].startswith("AKIA")
    transom(fresh_db, "keys", "import", "AKIAIMPORTED00000001", stdin="imported-secret-0123456789")
    listed = json.loads(transom(fresh_db, "keys", "list", "--json").stdout)
    assert {k["AccessKeyId"] for k in listed} >= {created["AccessKeyId"], "AKIAIMPORTED00000001"}
    assert all("SecretAccessKey" not in k for k in listed)

    server = ServerProcess(fresh_db).start()
    try:
        _describe(server.endpoint, created["AccessKeyId"], created["SecretAccessKey"])
        _describe(server.endpoint, "AKIAIMPORTED00000001", "imported-secret-0123456789")
        transom(fresh_db, "keys", "delete", "AKIAIMPORTED00000001")
        refused = wait_for(
            lambda: _refusal(
                lambda: _describe(
                    server.endpoint, "AKIAIMPORTED00000001", "imported-secret-0123456789"
                )
            ),
            seconds=10,
            what="the deleted key to stop working (a running server caches keys a few seconds)",
        )
        assert refused == "UnrecognizedClientException"
    finally:
        server.stop()


def test_key_commands_refuse_bad_input_with_a_message(fresh_db: Database) -> None:
    secret = "secret-secret-secret"
    bad = transom(fresh_db, "keys", "import", "lowercase-id", stdin=secret, ok=False)
    assert "access key ID" in bad.stderr
    twice = ["keys", "import", "AKIATWICE00000000001"]
    transom(fresh_db, *twice, stdin=secret)
    assert "exists already" in transom(fresh_db, *twice, stdin=secret, ok=False).stderr
    empty = transom(fresh_db, "keys", "import", "AKIAEMPTY00000000001", stdin="\n", ok=False)
    assert "no secret access key given" in empty.stderr
    assert "no access key" in transom(fresh_db, "keys", "delete", "AKIANOPE", ok=False).stderr


def test_keys_carry_a_policy_admin_by_default(fresh_db: Database, tmp_path: Any) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"Statement": {"Effect": "Allow", "Action": "ssm:Get*", "Resource": "*"}}')
    admin = json.loads(transom(fresh_db, "keys", "create", "--json").stdout)["AccessKeyId"]
    reader = json.loads(transom(fresh_db, "keys", "create", "--read-only", "--json").stdout)
    limited = json.loads(
        transom(fresh_db, "keys", "create", "--policy", str(policy), "--json").stdout
    )
    listed = {
        k["AccessKeyId"]: k for k in json.loads(transom(fresh_db, "keys", "list", "--json").stdout)
    }
    assert listed[admin]["Access"] == "admin"
    assert listed[admin]["Policy"] is None
    assert listed[reader["AccessKeyId"]]["Access"] == "read-only"
    assert listed[limited["AccessKeyId"]]["Access"] == "policy"
    assert listed[limited["AccessKeyId"]]["Policy"]["Statement"]["Action"] == "ssm:Get*"
    assert "\tread-only" in transom(fresh_db, "keys", "list").stdout

    done = transom(fresh_db, "keys", "set-policy", admin, "--read-only")
    assert done.stdout == f"{admin}: read-only\n"
    transom(fresh_db, "keys", "set-policy", reader["AccessKeyId"], "--admin")
    listed = {
        k["AccessKeyId"]: k for k in json.loads(transom(fresh_db, "keys", "list", "--json").stdout)
    }
    assert listed[admin]["Access"] == "read-only"
    assert listed[reader["AccessKeyId"]]["Access"] == "admin"

    policy.write_text('{"Statement": {"Effect": "Perhaps", "Action": "ssm:*", "Resource": "*"}}')
    bad = transom(fresh_db, "keys", "create", "--policy", str(policy), ok=False)
    assert "Effect must be Allow or Deny, not 'Perhaps'" in bad.stderr
    both = transom(fresh_db, "keys", "create", "--read-only", "--admin", ok=False)
    assert "at most one of --policy, --read-only and --admin" in both.stderr
    unknown = transom(fresh_db, "keys", "set-policy", "AKIANOSUCHKEY0000001", "--admin", ok=False)
    assert "There is no access key AKIANOSUCHKEY0000001" in unknown.stderr


def test_roles_are_created_listed_and_deleted(fresh_db: Database, tmp_path: Any) -> None:
    policy = tmp_path / "role.json"
    policy.write_text(
        '{"Statement": {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}}'
    )
    created = transom(fresh_db, "roles", "create", "staging", "--policy", str(policy))
    assert created.stdout == "arn:aws:iam::000000000000:role/staging\n"
    listed = json.loads(transom(fresh_db, "roles", "list", "--json").stdout)
    assert [(r["Arn"], r["Policy"]["Statement"]["Action"]) for r in listed] == [
        ("arn:aws:iam::000000000000:role/staging", "ssm:SendCommand")
    ]
    again = transom(fresh_db, "roles", "create", "staging", "--policy", str(policy), ok=False)
    assert "Role staging exists already." in again.stderr
    bad_name = transom(fresh_db, "roles", "create", "no/slash", "--policy", str(policy), ok=False)
    assert "is not 1 to 64 letters" in bad_name.stderr
    policy.write_text("{")
    bad = transom(fresh_db, "roles", "create", "other", "--policy", str(policy), ok=False)
    assert "The policy document is not JSON" in bad.stderr
    assert transom(fresh_db, "roles", "delete", "staging").stdout == "deleted staging\n"
    assert "no role staging" in transom(fresh_db, "roles", "delete", "staging", ok=False).stderr
    assert json.loads(transom(fresh_db, "roles", "list", "--json").stdout) == []
