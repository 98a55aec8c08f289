"""The agent's HTTP client for the agent channel, against a scripted transport."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from transom.agent.channel import Channel, ChannelDown
from transom.wire import (
    MAX_WAIT_SECONDS,
    AgentError,
    PlatformFacts,
    PollRequest,
    RegisterRequest,
)

FACTS = PlatformFacts("host", "10.0.0.5", "Linux", "Ubuntu", "22.04", "0.1.0")
Handler = Callable[[httpx.Request], httpx.Response]


def channel(handler: Handler, secret: str = "s3cret") -> Channel:
    return Channel(
        "http://server:8770/", "mi-0123456789abcdef0", secret, httpx.MockTransport(handler)
    )


def test_register_posts_the_activation_and_facts_and_returns_the_identity() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"instance_id": "mi-0123456789abcdef0", "secret": "s"})

    answer = Channel("http://server:8770", transport=httpx.MockTransport(handler)).register(
        RegisterRequest("act-id", "code", FACTS)
    )
    assert (answer.instance_id, answer.secret) == ("mi-0123456789abcdef0", "s")
    assert seen[0].url == "http://server:8770/agent/v1/register"
    assert "authorization" not in seen[0].headers
    assert json.loads(seen[0].content)["facts"]["computer_name"] == "host"


def test_a_poll_carries_the_node_credentials_and_waits_longer_than_the_server() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"server_time": 1.0, "work": [], "cancel": []})

    assert channel(handler).poll(PollRequest(MAX_WAIT_SECONDS)).work == []
    assert seen[0].url.path == "/agent/v1/poll"
    assert seen[0].headers["authorization"] == "TransomNode mi-0123456789abcdef0:s3cret"
    assert seen[0].extensions["timeout"]["read"] > MAX_WAIT_SECONDS


def test_an_error_body_becomes_an_agent_error_with_its_code_and_status() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "InvalidNodeCredentials", "message": "node deregistered"}
        )

    with pytest.raises(AgentError) as caught:
        channel(handler).poll(PollRequest(1))
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "InvalidNodeCredentials",
        "node deregistered",
        401,
    )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503, json={"error": "Unavailable", "message": "stopping"}),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(404, text="not json"),
    ],
    ids=["server-error", "proxy-error-page", "answer-without-json"],
)
def test_server_errors_and_non_json_answers_mean_the_channel_is_down(
    response: httpx.Response,
) -> None:
    with pytest.raises(ChannelDown):
        channel(lambda _: response).poll(PollRequest(1))


def test_an_unreachable_server_means_the_channel_is_down() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ChannelDown, match="connection refused"):
        channel(handler).poll(PollRequest(1))
