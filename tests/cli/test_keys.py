"""`transom keys` against real databases, and the keys it manages used by boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.cli import transom_on
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


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
        transom_on(fresh_db, "keys", "create", "--json", "--description", "ci").stdout
    )
    assert created["AccessKeyId"].startswith("AKIA")
    imported = "imported-secret-0123456789"
    transom_on(fresh_db, "keys", "import", "AKIAIMPORTED00000001", stdin=imported)
    listed = json.loads(transom_on(fresh_db, "keys", "list", "--json").stdout)
    assert {k["AccessKeyId"] for k in listed} >= {created["AccessKeyId"], "AKIAIMPORTED00000001"}
    assert all("SecretAccessKey" not in k for k in listed)

    server = ServerProcess(fresh_db).start()
    try:
        _describe(server.endpoint, created["AccessKeyId"], created["SecretAccessKey"])
        _describe(server.endpoint, "AKIAIMPORTED00000001", imported)
        transom_on(fresh_db, "keys", "delete", "AKIAIMPORTED00000001")
        refused = wait_for(
            lambda: _refusal(lambda: _describe(server.endpoint, "AKIAIMPORTED00000001", imported)),
            seconds=10,
            what="the deleted key to stop working (a running server caches keys a few seconds)",
        )
        assert refused == "UnrecognizedClientException"
    finally:
        server.stop()
