"""`transom keys` with policies and `transom roles`, against real databases."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from tests.support.cli import transom_on
from tests.support.servers import BACKEND_PARAMS, Database

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_keys_carry_a_policy_admin_by_default(fresh_db: Database, tmp_path: Any) -> None:
    run = functools.partial(transom_on, fresh_db)
    policy = tmp_path / "policy.json"
    policy.write_text('{"Statement": {"Effect": "Allow", "Action": "ssm:Get*", "Resource": "*"}}')
    admin = json.loads(run("keys", "create", "--json").stdout)["AccessKeyId"]
    reader = json.loads(run("keys", "create", "--read-only", "--json").stdout)
    limited = json.loads(run("keys", "create", "--policy", str(policy), "--json").stdout)
    listed = {k["AccessKeyId"]: k for k in json.loads(run("keys", "list", "--json").stdout)}
    assert listed[admin]["Access"] == "admin"
    assert listed[admin]["Policy"] is None
    assert listed[reader["AccessKeyId"]]["Access"] == "read-only"
    assert listed[limited["AccessKeyId"]]["Access"] == "policy"
    assert listed[limited["AccessKeyId"]]["Policy"]["Statement"]["Action"] == "ssm:Get*"
    assert "\tread-only" in run("keys", "list").stdout

    done = run("keys", "set-policy", admin, "--read-only")
    assert done.stdout == f"{admin}: read-only\n"
    run("keys", "set-policy", reader["AccessKeyId"], "--admin")
    listed = {k["AccessKeyId"]: k for k in json.loads(run("keys", "list", "--json").stdout)}
    assert listed[admin]["Access"] == "read-only"
    assert listed[reader["AccessKeyId"]]["Access"] == "admin"

    policy.write_text('{"Statement": {"Effect": "Perhaps", "Action": "ssm:*", "Resource": "*"}}')
    bad = run("keys", "create", "--policy", str(policy), ok=False)
    assert "Effect must be Allow or Deny, not 'Perhaps'" in bad.stderr
    both = run("keys", "create", "--read-only", "--admin", ok=False)
    assert "at most one of --policy, --read-only and --admin" in both.stderr
    unknown = transom_on(
        fresh_db, "keys", "set-policy", "AKIANOSUCHKEY0000001", "--admin", ok=False
    )
    assert "There is no access key AKIANOSUCHKEY0000001" in unknown.stderr


def test_roles_are_created_listed_and_deleted(fresh_db: Database, tmp_path: Any) -> None:
    run = functools.partial(transom_on, fresh_db)
    policy = tmp_path / "role.json"
    policy.write_text(
        '{"Statement": {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}}'
    )
    created = run("roles", "create", "staging", "--policy", str(policy))
    assert created.stdout == "arn:aws:iam::000000000000:role/staging\n"
    listed = json.loads(run("roles", "list", "--json").stdout)
    assert [(r["Arn"], r["Policy"]["Statement"]["Action"]) for r in listed] == [
        ("arn:aws:iam::000000000000:role/staging", "ssm:SendCommand")
    ]
    again = run("roles", "create", "staging", "--policy", str(policy), ok=False)
    assert "Role staging exists already." in again.stderr
    bad_name = transom_on(
        fresh_db, "roles", "create", "no/slash", "--policy", str(policy), ok=False
    )
    assert "is not 1 to 64 letters" in bad_name.stderr
    policy.write_text("{")
    bad = run("roles", "create", "other", "--policy", str(policy), ok=False)
    assert "The policy document is not JSON" in bad.stderr
    assert run("roles", "delete", "staging").stdout == "deleted staging\n"
    assert "no role staging" in run("roles", "delete", "staging", ok=False).stderr
    assert json.loads(run("roles", "list", "--json").stdout) == []
