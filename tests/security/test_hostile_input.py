"""Findings: bad agent results (wrong field types, huge numbers) were 500s with SQL
parameters in the log; a crafted NextToken was an OverflowError 500. Now every field of every
agent message is checked (a bad one is that request's 400, `InvalidRequest`, naming it) and
every NextToken is validated (`InvalidNextToken` where the operation's model lists that
error, else `ValidationException`), and nothing of the request reaches the log."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.support.servers import ServerProcess, boto3_client
from tests.support.signing import signed_post

SECRET_MARK = "hostile-7f3a"
"""Carried by every hostile value, so the log can be searched for it."""
RESULT = {
    "command_id": "00000000-0000-4000-8000-000000000000",
    "lease": "lease",
    "status": "Success",
    "response_code": 0,
    "stdout": SECRET_MARK,
    "stderr": "",
    "started_at": 1.0,
    "finished_at": 2.0,
}
FACTS = {
    "computer_name": "web-1",
    "ip_address": "192.0.2.10",
    "platform_type": "Linux",
    "platform_name": "Debian",
    "platform_version": "12",
    "agent_version": "0.1.0",
}


def result(**changes: Any) -> dict[str, Any]:
    return {"wait_seconds": 0, "results": [{**RESULT, **changes}]}


BAD_REPORTS = [
    pytest.param(result(command_id=SECRET_MARK + "\x00"), "command_id", id="nul-in-id"),
    pytest.param(result(lease=SECRET_MARK + "\ud800"), "lease", id="surrogate-in-lease"),
    pytest.param(result(command_id=SECRET_MARK * 1000), "command_id", id="huge-id"),
    pytest.param(result(status=[SECRET_MARK]), "status", id="list-status"),
    pytest.param(result(status={"a": 1}), "status", id="object-status"),
    pytest.param(result(response_code=10**400), "response_code", id="huge-code"),
    pytest.param(result(response_code=True), "response_code", id="bool-code"),
    pytest.param(result(response_code=1.5), "response_code", id="float-code"),
    pytest.param(result(started_at=10**400), "started_at", id="huge-int-time"),
    pytest.param(result(finished_at=-(10**20)), "finished_at", id="negative-time"),
    pytest.param(result(stderr=None), "stderr", id="null-stderr"),
    pytest.param({"wait_seconds": 10**400, "results": []}, "wait_seconds", id="huge-wait"),
    pytest.param({"wait_seconds": -5, "results": []}, "wait_seconds", id="negative-wait"),
    pytest.param({"wait_seconds": True, "results": []}, "wait_seconds", id="bool-wait"),
    pytest.param({"wait_seconds": 0, "results": {"a": RESULT}}, "results", id="results-object"),
    pytest.param({"wait_seconds": 0, "results": [7]}, "InvocationResult", id="result-number"),
    pytest.param(
        {"wait_seconds": 0, "facts": {**FACTS, "computer_name": 5}}, "computer_name", id="fact"
    ),
    pytest.param(
        {"wait_seconds": 0, "facts": {**FACTS, "ip_address": SECRET_MARK + "\x00"}},
        "ip_address",
        id="nul-fact",
    ),
    pytest.param([SECRET_MARK], "PollRequest", id="array"),
]


def raw_json(value: Any) -> bytes:
    """JSON with Python's spellings kept (NaN, lone surrogates), as a hostile client sends."""
    return json.dumps(value).encode()


@pytest.mark.parametrize(("message", "field"), BAD_REPORTS)
def test_a_hostile_poll_is_an_invalid_request_naming_the_field(
    server: ServerProcess, node: dict[str, str], message: Any, field: str
) -> None:
    logged = len(server.log)
    response = httpx.post(
        server.endpoint + "/agent/v1/poll", content=raw_json(message), headers=node, timeout=30
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "InvalidRequest"
    assert field in response.json()["message"]
    assert not [line for line in server.log[logged:] if SECRET_MARK in line or "internal" in line]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        pytest.param(result(response_code=float("nan")), "response_code", id="nan-code"),
        pytest.param(result(started_at=float("inf")), "started_at", id="infinite-time"),
        pytest.param({"wait_seconds": float("nan"), "results": []}, "wait_seconds", id="nan"),
    ],
)
def test_nan_and_infinity_are_invalid_requests(
    server: ServerProcess, node: dict[str, str], message: Any, field: str
) -> None:
    response = httpx.post(
        server.endpoint + "/agent/v1/poll", content=raw_json(message), headers=node, timeout=30
    )
    assert response.status_code == 400, response.text[:300]
    assert field in response.json()["message"]


def test_output_with_nul_and_lone_surrogates_is_kept_with_replacement_characters(
    server: ServerProcess, node: dict[str, str]
) -> None:
    message = {"results": [{**RESULT, "stdout": "a\x00b\udfffc"}]}
    response = httpx.post(
        server.endpoint + "/agent/v1/results", content=raw_json(message), headers=node
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "message",
    [
        pytest.param({"activation_id": 7, "activation_code": "c", "facts": FACTS}, id="number"),
        pytest.param({"activation_id": ["a"], "activation_code": "c", "facts": FACTS}, id="list"),
        pytest.param({"activation_id": "a\x00", "activation_code": "c", "facts": FACTS}, id="nul"),
        pytest.param({"activation_id": "a", "activation_code": "c", "facts": []}, id="facts"),
    ],
)
def test_a_hostile_registration_is_an_invalid_request(server: ServerProcess, message: Any) -> None:
    response = httpx.post(server.endpoint + "/agent/v1/register", content=raw_json(message))
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "InvalidRequest"


def token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


CRAFTED_TOKENS = [
    pytest.param(lambda op: token({"o": op, "a": 10**40}), id="huge"),
    pytest.param(lambda op: token({"o": op, "a": 10**400}), id="overflowing"),
    pytest.param(lambda op: token({"o": op, "a": -(10**30)}), id="negative"),
    pytest.param(lambda op: token({"o": op, "a": True}), id="boolean"),
    pytest.param(lambda op: token({"o": op, "a": 1.5}), id="float"),
    pytest.param(lambda _: base64.urlsafe_b64encode(b"[" * 500_000).decode(), id="deep"),
    pytest.param(lambda _: "%%%not-base64", id="garbage"),
    pytest.param(lambda op: token({"o": "Other" + op, "a": 1}), id="other-operation"),
]
PAGED = [  # (operation, request, error code)
    ("DescribeMaintenanceWindows", {}, "ValidationException"),
    ("DescribeMaintenanceWindowSchedule", {"WindowId": "{window}"}, "ValidationException"),
    ("DescribeMaintenanceWindowExecutions", {"WindowId": "{window}"}, "ValidationException"),
    ("DescribeMaintenanceWindowTargets", {"WindowId": "{window}"}, "ValidationException"),
    ("DescribeMaintenanceWindowTasks", {"WindowId": "{window}"}, "ValidationException"),
    ("ListCommands", {}, "InvalidNextToken"),
    ("ListCommandInvocations", {}, "InvalidNextToken"),
    ("DescribeInstanceInformation", {}, "InvalidNextToken"),
    ("ListDocuments", {}, "InvalidNextToken"),
]


@pytest.fixture(scope="module")
def window(server: ServerProcess) -> str:
    ssm = boto3_client(server.endpoint)
    made = ssm.create_maintenance_window(
        Name="tokens", Schedule="rate(1 day)", Duration=1, Cutoff=0, AllowUnassociatedTargets=True
    )
    return str(made["WindowId"])


@pytest.mark.parametrize("craft", CRAFTED_TOKENS)
@pytest.mark.parametrize(("operation", "params", "code"), PAGED)
def test_a_crafted_next_token_is_refused(
    server: ServerProcess,
    window: str,
    operation: str,
    params: dict[str, Any],
    code: str,
    craft: Any,
) -> None:
    request = {k: v.replace("{window}", window) for k, v in params.items()}
    body = json.dumps({**request, "NextToken": craft(operation)}).encode()
    logged = len(server.log)
    response = signed_post(server.endpoint, operation, body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["__type"] == code
    assert "NextToken" in response.json()["message"]
    assert not [line for line in server.log[logged:] if "internal" in line]
