"""The HTTP edge of every surface over real HTTP: body limits checked before reading, JSON
depth, and malformed agent results, each answered in the surface's own error shape."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    ServerProcess,
)
from tests.support.signing import signed_post
from transom.wire import MAX_REPORT_BYTES

REST_PATH = "/v1/windows/mw-0123456789abcdef0/executions"
AWS_JSON = {"X-Amz-Target": "AmazonSSM.GetMaintenanceWindow"}
# (path, limit, error key of the surface's shape, its 413 code)
UNAUTHENTICATED = [
    pytest.param("/", 1 << 20, "__type", "RequestEntityTooLarge", id="aws-json"),
    pytest.param(REST_PATH, 64 * 1024, "__type", "RequestEntityTooLarge", id="rest"),
    pytest.param("/agent/v1/register", 8 * 1024, "error", "RequestEntityTooLarge", id="register"),
]


def connect(server: ServerProcess) -> http.client.HTTPConnection:
    """A connection whose reads give up after 10 s (a server waiting for a body never sent)."""
    where = urlsplit(server.endpoint)
    return http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)


def answer(response: http.client.HTTPResponse) -> tuple[int, dict[str, Any]]:
    return response.status, json.loads(response.read())


def declare_without_sending(
    server: ServerProcess, path: str, length: int, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST headers declaring a `length`-byte body, send none, and read the answer."""
    conn = connect(server)
    try:
        conn.putrequest("POST", path)
        for name, value in {**AWS_JSON, **(headers or {}), "Content-Length": str(length)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        return answer(conn.getresponse())
    finally:
        conn.close()


@pytest.mark.parametrize(("path", "limit", "key", "code"), UNAUTHENTICATED)
def test_a_declared_length_over_the_limit_is_refused_without_waiting_for_the_body(
    server: ServerProcess, path: str, limit: int, key: str, code: str
) -> None:
    status, body = declare_without_sending(server, path, limit + 1)
    assert (status, body[key]) == (413, code)
    assert f"larger than {limit} bytes" in body["message"]


@pytest.mark.parametrize("path", ["/agent/v1/poll", "/agent/v1/results"])
def test_a_report_declared_over_its_limit_is_refused_without_waiting_for_the_body(
    server: ServerProcess, node: dict[str, str], path: str
) -> None:
    status, body = declare_without_sending(server, path, MAX_REPORT_BYTES + 1, node)
    assert (status, body["error"]) == (413, "RequestEntityTooLarge")


def chunks(size: int) -> Iterator[bytes]:
    for start in range(0, size, 16 * 1024):
        yield b" " * min(16 * 1024, size - start)


@pytest.mark.parametrize(("path", "limit", "key", "code"), UNAUTHENTICATED)
def test_a_chunked_body_over_the_limit_is_refused(
    server: ServerProcess, path: str, limit: int, key: str, code: str
) -> None:
    conn = connect(server)
    try:
        conn.request("POST", path, body=chunks(limit + 1), headers=AWS_JSON, encode_chunked=True)
        status, body = answer(conn.getresponse())
    finally:
        conn.close()
    assert (status, body[key]) == (413, code)


def deep_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def signed_rest_post(server: ServerProcess, body: bytes) -> httpx.Response:
    url = server.endpoint + REST_PATH
    request = AWSRequest(method="POST", url=url, data=body)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    return httpx.post(url, content=body, headers=dict(request.headers), timeout=30)


def test_a_deep_json_array_is_a_serialization_error_on_the_aws_json_endpoint(
    server: ServerProcess,
) -> None:
    response = signed_post(server.endpoint, "GetMaintenanceWindow", deep_array(100_000))
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
    assert "nested more than 64" in response.json()["message"]


def test_a_deep_json_array_is_a_serialization_error_on_the_rest_routes(
    server: ServerProcess,
) -> None:
    response = signed_rest_post(server, deep_array(30_000))  # the deepest under 64 KiB
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
    assert "nested more than 64" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "depth"),
    [("/agent/v1/register", 4_000), ("/agent/v1/poll", 100_000), ("/agent/v1/results", 100_000)],
)
def test_a_deep_json_array_is_an_invalid_request_on_the_agent_channel(
    server: ServerProcess, node: dict[str, str], path: str, depth: int
) -> None:
    response = httpx.post(server.endpoint + path, content=deep_array(depth), headers=node)
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"
    assert "nested more than 16" in response.json()["message"]


GOOD_RESULT = {
    "command_id": "00000000-0000-4000-8000-000000000000",
    "lease": "lease",
    "status": "Success",
    "response_code": 0,
    "stdout": "",
    "stderr": "",
    "started_at": 1.0,
    "finished_at": 2.0,
}


@pytest.mark.parametrize("path", ["/agent/v1/poll", "/agent/v1/results"])
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("response_code", "zero", "response_code must be a 32-bit integer"),
        ("response_code", 2**40, "response_code must be a 32-bit integer"),
        ("stdout", ["out"], "stdout must be a string"),
        ("command_id", 7, "command_id must be a string"),
        ("started_at", "yesterday", "started_at must be null or epoch seconds"),
        ("finished_at", 1e300, "finished_at must be null or epoch seconds"),
    ],
)
def test_a_malformed_result_is_an_invalid_request_naming_the_field(
    server: ServerProcess, node: dict[str, str], path: str, field: str, value: Any, words: str
) -> None:
    message = {"wait_seconds": 0, "results": [{**GOOD_RESULT, field: value}]}
    response = httpx.post(server.endpoint + path, json=message, headers=node, timeout=30)
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidRequest"
    assert f"InvocationResult.{words}" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("GET", "/no/such/page", 404, "GET /no/such/page is not served"),
        ("DELETE", "/", 405, "GET"),  # a browser's GET / goes to the console, POST / is the API
        ("PUT", "/v1/no-such-thing", 404, "Transom's own calls are under /v1/"),
        ("GET", REST_PATH, 405, "POST"),
        ("POST", "/health", 405, "GET"),
    ],
)
def test_a_path_or_method_nothing_serves_gets_the_aws_error_shape(
    server: ServerProcess, method: str, path: str, status: int, says: str
) -> None:
    response = httpx.request(method, server.endpoint + path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]
    body = response.json()
    assert body["__type"] == "UnknownOperationException"
    if status == 405:
        assert says in response.headers["allow"].split(", ")
        assert f"is not served: this path takes {response.headers['allow']}." in body["message"]
    else:
        assert says in body["message"]
