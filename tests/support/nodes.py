"""Speaking the agent protocol (transom.wire) to a real server over HTTP, for server tests."""

from __future__ import annotations

import time
from typing import Any

import httpx

from transom.wire import (
    PlatformFacts,
    PollRequest,
    RegisterRequest,
    RegisterResponse,
    node_authorization,
)

# One client for the whole test run: httpx.post() builds a new TLS context per call (~50 ms).
_HTTP = httpx.Client(timeout=90)

FACTS = PlatformFacts(
    computer_name="web-1.example",
    ip_address="192.0.2.10",
    platform_type="Linux",
    platform_name="Debian GNU/Linux",
    platform_version="12",
    agent_version="0.1.0",
)


def register(endpoint: str, activation_id: str, code: str, facts: PlatformFacts = FACTS) -> Any:
    """POST /agent/v1/register; the decoded answer (a RegisterResponse, or the error body)."""
    response = _HTTP.post(
        f"{endpoint}/agent/v1/register",
        json=RegisterRequest(activation_id, code, facts).to_json(),
    )
    body = response.json()
    return RegisterResponse.from_json(body) if response.status_code == 200 else body


def poll(
    endpoint: str,
    instance_id: str,
    secret: str,
    wait: float = 0,
    facts: PlatformFacts | None = None,
    results: list[dict[str, Any]] | None = None,
) -> httpx.Response:
    """POST /agent/v1/poll, carrying `results` (InvocationResult JSON objects) if given."""
    return _HTTP.post(
        f"{endpoint}/agent/v1/poll",
        json=PollRequest(wait, facts).to_json() | {"results": results or []},
        headers={"Authorization": node_authorization(instance_id, secret)},
    )


def activation(ssm: Any, **overrides: Any) -> tuple[str, str]:
    params: dict[str, Any] = {"IamRole": "transom-node", "RegistrationLimit": 10}
    params.update(overrides)
    created = ssm.create_activation(**params)
    return str(created["ActivationId"]), str(created["ActivationCode"])


def results(endpoint: str, instance_id: str, secret: str, *items: dict[str, Any]) -> Any:
    """POST /agent/v1/results with InvocationResult JSON objects; the decoded answer."""
    response = _HTTP.post(
        f"{endpoint}/agent/v1/results",
        json={"results": list(items)},
        headers={"Authorization": node_authorization(instance_id, secret)},
    )
    return response.json()


def outcome(item: dict[str, Any], status: str, code: int = 0, out: str = "") -> dict[str, Any]:
    """An InvocationResult for a work item as the poll returned it."""
    now = time.time()
    return {
        "command_id": item["command_id"],
        "lease": item["lease"],
        "status": status,
        "response_code": code,
        "stdout": out,
        "stderr": "",
        "started_at": now,
        "finished_at": None if status == "InProgress" else now,
    }
