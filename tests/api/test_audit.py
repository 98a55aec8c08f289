"""The audit trail through a real server: the real boto3 client and `aws` CLI make calls,
`GET /v1/audit` (signed) and `transom audit` read them back."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.servers import (
    ACCESS_KEY_ID,
    ServerProcess,
    aws_cli_env,
    aws_executable,
    boto3_client,
)
from tests.support.signing import signed_get, signed_post

SECRET_WORD = "hunter2-" + uuid.uuid4().hex


def _records(server: ServerProcess, **query: str) -> list[dict[str, Any]]:
    url = server.endpoint + "/v1/audit?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = signed_get(url)
    assert response.status_code == 200, response.text
    return list(response.json()["records"])


def _window(ssm: Any) -> str:
    name = f"audited-{uuid.uuid4().hex[:8]}"
    return str(
        ssm.create_maintenance_window(
            Name=name, Schedule="rate(1 day)", Duration=2, Cutoff=1, AllowUnassociatedTargets=True
        )["WindowId"]
    )


def test_changes_and_refusals_are_recorded_with_key_address_resources_and_outcome(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    window_id = _window(ssm)
    ssm.update_maintenance_window(WindowId=window_id, Description="nightly patching")
    ssm.describe_maintenance_windows()
    ssm.get_maintenance_window(WindowId=window_id)
    with pytest.raises(ClientError) as refused:
        ssm.update_maintenance_window(WindowId=window_id, Duration=99)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    tag = uuid.uuid4().hex[:8]
    sent = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Audit", "Values": [tag]}],
        Parameters={"commands": [f"echo {SECRET_WORD}"]},
    )["Command"]["CommandId"]
    # the aws CLI deletes it
    delete = ["ssm", "delete-maintenance-window", "--window-id", window_id]
    subprocess.run(
        [aws_executable(), "--endpoint-url", server.endpoint, *delete],
        env=aws_cli_env(tmp_path),
        check=True,
        capture_output=True,
        timeout=60,
    )

    on_window = _records(server, resource=window_id)
    assert [(r["Operation"], r["Outcome"]) for r in on_window] == [
        ("DeleteMaintenanceWindow", "Success"),
        ("UpdateMaintenanceWindow", "ValidationException"),
        ("UpdateMaintenanceWindow", "Success"),
        ("CreateMaintenanceWindow", "Success"),
    ]
    for record in on_window:
        assert record["AccessKeyId"] == ACCESS_KEY_ID
        assert record["SourceAddress"] == "127.0.0.1"
        assert record["Api"] == "ssm"
        assert record["Resources"] == [window_id]
    assert on_window[2]["Parameters"] == {"WindowId": window_id, "Description": "***"}
    assert on_window[3]["Parameters"]["Schedule"] == "rate(1 day)"

    (command,) = _records(server, resource=sent)
    assert command["Operation"] == "SendCommand"
    assert command["Resources"] == ["AWS-RunShellScript", sent]
    assert command["Parameters"]["Parameters"] == "***"
    everything = signed_get(server.endpoint + "/v1/audit?limit=1000").text
    assert SECRET_WORD not in everything
    assert "DescribeMaintenanceWindows" not in {r["Operation"] for r in _records(server)}
    assert all(r["Operation"] != "GetMaintenanceWindow" for r in _records(server, limit="1000"))


def test_a_call_with_a_bad_signature_is_recorded_as_denied(server: ServerProcess) -> None:
    forger = boto3_client(server.endpoint, aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as refused:
        forger.delete_maintenance_window(WindowId="mw-0123456789abcdef0")
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    (record,) = _records(server, resource="mw-0123456789abcdef0")[:1]
    assert record["Operation"] == "DeleteMaintenanceWindow"
    assert record["Outcome"] == "InvalidSignatureException"
    assert record["AccessKeyId"] == ACCESS_KEY_ID
    assert record["SourceAddress"] == "127.0.0.1"


def test_the_source_is_the_socket_peer_whatever_x_forwarded_for_says(
    server: ServerProcess,
) -> None:
    window_id = "mw-" + uuid.uuid4().hex[:17]
    answer = signed_post(
        server.endpoint, "DeleteMaintenanceWindow", {"WindowId": window_id}, sign=False
    )
    assert answer.status_code == 400
    refused = signed_post(
        server.endpoint,
        "DeleteMaintenanceWindow",
        {"WindowId": window_id},
        access_key="AKIANOBODYKNOWS00001",
    )
    assert refused.json()["__type"] == "UnrecognizedClientException"
    records = _records(server, resource=window_id)
    assert [(r["AccessKeyId"], r["Outcome"], r["SourceAddress"]) for r in records] == [
        ("AKIANOBODYKNOWS00001", "UnrecognizedClientException", "127.0.0.1"),
        (None, "MissingAuthenticationTokenException", "127.0.0.1"),
    ]


def test_the_audit_query_is_refused_unsigned_and_its_refusal_recorded(
    server: ServerProcess,
) -> None:
    answer = signed_get(server.endpoint + "/v1/audit", sign=False)
    assert answer.status_code in (400, 403)
    assert answer.json()["__type"] == "MissingAuthenticationTokenException"
    newest = _records(server, limit="5")
    assert any(
        r["Operation"] == "GetAuditRecords" and r["Outcome"] == answer.json()["__type"]
        for r in newest
    )
    bad = signed_get(server.endpoint + "/v1/audit?next_token=x")
    assert bad.json()["__type"] == "InvalidNextToken"
    assert signed_get(server.endpoint + "/v1/audit?limit=0").json()["__type"] == (
        "ValidationException"
    )


def _audit_cli(tmp_path: Path, server: ServerProcess, *args: str) -> list[str]:
    env = aws_cli_env(tmp_path) | {"XDG_DATA_HOME": str(tmp_path / "no-data")}
    done = subprocess.run(
        [sys.executable, "-m", "transom", "audit", "--endpoint-url", server.endpoint, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_transom_audit_filters_by_key_resource_and_time(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> None:
    window_id = _window(ssm)
    ssm.delete_maintenance_window(WindowId=window_id)
    lines = _audit_cli(tmp_path, server, "--resource", window_id, "--since", "1h")
    assert [line.split()[3:] for line in lines] == [
        ["ssm:DeleteMaintenanceWindow", "Success", window_id],
        ["ssm:CreateMaintenanceWindow", "Success", window_id],
    ]
    assert all(line.split()[1:3] == [ACCESS_KEY_ID, "127.0.0.1"] for line in lines)
    assert _audit_cli(tmp_path, server, "--resource", window_id, "--key", "AKIAOTHER") == []
    later = ("--resource", window_id, "--since", "2999-01-01T00:00:00Z")
    assert _audit_cli(tmp_path, server, *later) == []
    (newest,) = _audit_cli(tmp_path, server, "--key", ACCESS_KEY_ID, "--limit", "1", "--json")
    assert '"AccessKeyId": "' + ACCESS_KEY_ID in newest
