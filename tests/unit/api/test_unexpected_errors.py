"""An exception no layer expected, on every surface: the surface's internal-error shape,
logged once with its traceback but without the request's data or the statement's parameters.
The app runs in-process over services whose every call fails as a store statement would."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any, cast

import httpx
import pytest
import sqlalchemy.exc
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client import CollectorRegistry

from transom.api.agent import AgentChannel, Signals
from transom.api.app import create_app
from transom.api.edge import StoreCalls
from transom.api.metrics import RequestMetrics
from transom.api.rest import rest_routes
from transom.domain.clock import SystemClock
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
from transom.services.container import Services
from transom.wire import PlatformFacts, RegisterRequest

SECRET = "-".join(["statement", "parameter"])  # built, so no source line shows it
MARKER = "-".join(["request", "data"])


class Broken:
    """A service whose every method raises what a failed INSERT raises."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: Any) -> None:
            raise sqlalchemy.exc.IntegrityError("INSERT INTO t VALUES (?)", (SECRET,), Exception())

        return fail


class Unaudited:
    """An audit trail that keeps nothing (a failing one logs its own error)."""

    def record(self, _record: object) -> int:
        return 0


def app() -> Any:
    broken = Broken()
    fields = {f.name: broken for f in dataclasses.fields(Services)} | {"audit": Unaudited()}
    services = Services(**cast(dict[str, Any], fields))
    calls, clock = StoreCalls(inline=True), SystemClock()
    metrics = RequestMetrics(CollectorRegistry())
    return create_app(
        AwsJsonEndpoint(services, clock),
        calls=calls,
        metrics=metrics,
        agent=AgentChannel(services, Signals(), calls, metrics),
        extra_routes=rest_routes(services, clock, calls, metrics),
    )


def post(path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(path, content=body, headers=headers)

    return asyncio.run(send())


def signed(path: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    request = AWSRequest(method="POST", url="http://testserver" + path, data=body, headers=headers)
    SigV4Auth(Credentials("AKIATRANSOMTEST00001", "x" * 40), "ssm", "us-east-1").add_auth(request)
    return dict(request.headers)


AWS_BODY = json.dumps({"WindowId": MARKER}).encode()
AWS_HEADERS = {
    "X-Amz-Target": "AmazonSSM.GetMaintenanceWindow",
    "Content-Type": "application/x-amz-json-1.1",
}
REST_PATH = "/v1/windows/mw-0123456789abcdef0/executions"
FACTS = PlatformFacts(MARKER, "192.0.2.1", "Linux", "Debian", "12", "0.1.0")
REGISTER_BODY = json.dumps(RegisterRequest("act", MARKER, FACTS).to_json()).encode()


@pytest.mark.parametrize(
    ("path", "body", "headers", "expected"),
    [
        pytest.param(
            "/",
            AWS_BODY,
            AWS_HEADERS,
            {"__type": "InternalServerError"},
            id="aws-json",
        ),
        pytest.param(
            REST_PATH,
            MARKER.encode(),
            {},
            {"__type": "InternalServerError"},
            id="rest",
        ),
        pytest.param(
            "/agent/v1/register",
            REGISTER_BODY,
            None,
            {"error": "InternalServerError"},
            id="agent",
        ),
    ],
)
def test_an_unexpected_error_is_the_internal_error_logged_without_data(
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
    headers: dict[str, str] | None,
    expected: dict[str, str],
) -> None:
    # signed now, not when collected: a signature older than 15 minutes is refused
    sent = {} if headers is None else signed(path, body, headers)
    with caplog.at_level(logging.DEBUG):
        response = post(path, body, sent)
    assert response.status_code == 500
    assert response.json() == {
        **expected,
        "message": "The server hit an unexpected error; it has been logged.",
    }
    assert SECRET not in caplog.text
    assert MARKER not in caplog.text
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "internal error: sqlalchemy.exc.IntegrityError" in record.getMessage()
    assert "Traceback (most recent call last)" in record.__dict__["traceback"]
