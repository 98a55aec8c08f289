"""The AWS JSON 1.1 framing and SigV4 authentication, at the HTTP level."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.servers import ServerProcess, boto3_client
from tests.support.signing import signed_post


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"__type", "message"}
    return response.status_code, body["__type"], body["message"]


def test_every_answer_carries_a_request_id(server: ServerProcess) -> None:
    ok = signed_post(server.endpoint, "DescribeMaintenanceWindows", {"MaxResults": 10})
    bad = signed_post(server.endpoint, "GetMaintenanceWindow", {"WindowId": "nope"})
    assert ok.status_code == 200
    for response in (ok, bad):
        uuid.UUID(response.headers["x-amzn-RequestId"])
        assert response.headers["content-type"] == "application/x-amz-json-1.1"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"sign": False}, 400, "MissingAuthenticationTokenException"),
        ({"secret": "wrong-secret-wrong-secret-wrong"}, 400, "InvalidSignatureException"),
        ({"access_key": "AKIAUNKNOWNUNKNOWN00"}, 400, "UnrecognizedClientException"),
    ],
)
def test_requests_without_a_valid_signature_get_no_data(
    server: ServerProcess, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = signed_post(server.endpoint, "DescribeMaintenanceWindows", {}, **kwargs)
    assert _error(response)[:2] == (status, code)
    assert "WindowIdentities" not in response.text


def test_boto3_with_unknown_credentials_is_refused(server: ServerProcess) -> None:
    from botocore.exceptions import ClientError

    ssm = boto3_client(
        server.endpoint, aws_access_key_id="AKIANOTKNOWN0000000X", aws_secret_access_key="x" * 40
    )
    with pytest.raises(ClientError) as error:
        ssm.describe_maintenance_windows()
    assert error.value.response["Error"]["Code"] == "UnrecognizedClientException"


@pytest.mark.parametrize(
    ("operation", "body", "kwargs", "status", "code", "words"),
    [
        ("LaunchRockets", {}, {}, 400, "UnknownOperationException", "Unknown operation"),
        ("GetMaintenanceWindow", b"{not json", {}, 400, "SerializationException", "not valid JSON"),
        ("GetMaintenanceWindow", b"[1, 2]", {}, 400, "SerializationException", "JSON object"),
        (
            "GetMaintenanceWindow",
            {"WindowId": "mw-0123456789abcdef0"},
            {"content_type": "text/plain"},
            415,
            "UnsupportedMediaTypeException",
            "application/x-amz-json-1.1",
        ),
        ("GetMaintenanceWindow", {}, {}, 400, "ValidationException", "windowId"),
        (
            "CreateMaintenanceWindow",
            {
                "Name": "x" * 200,
                "Schedule": "rate(1 day)",
                "Duration": 99,
                "Cutoff": 1,
                "AllowUnassociatedTargets": True,
            },
            {},
            400,
            "ValidationException",
            "3 validation errors detected",
        ),
        (
            "CreateMaintenanceWindow",
            {
                "Name": "typed",
                "Schedule": "rate(1 day)",
                "Duration": "two",
                "Cutoff": 1,
                "AllowUnassociatedTargets": True,
            },
            {},
            400,
            "SerializationException",
            "duration",
        ),
    ],
)
def test_malformed_requests_get_a_clear_aws_error(
    server: ServerProcess,
    operation: str,
    body: Any,
    kwargs: dict[str, Any],
    status: int,
    code: str,
    words: str,
) -> None:
    response = signed_post(server.endpoint, operation, body, **kwargs)
    got_status, got_code, message = _error(response)
    assert (got_status, got_code) == (status, code)
    assert words.lower() in message.lower()


def test_an_oversized_body_is_refused_before_it_is_read(server: ServerProcess) -> None:
    body = b'{"Name": "' + b"x" * (2 << 20) + b'"}'
    response = signed_post(server.endpoint, "CreateMaintenanceWindow", body)
    assert _error(response)[:2] == (413, "RequestEntityTooLarge")


def test_the_health_route_answers_without_credentials(server: ServerProcess) -> None:
    response = httpx.get(server.endpoint + "/health", timeout=10)
    assert response.json() == {"status": "ok"}
