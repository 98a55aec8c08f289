"""The agent's side of the agent channel (`transom.wire`) over httpx."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from transom.wire import (
    MAX_WAIT_SECONDS,
    AgentError,
    PollRequest,
    PollResponse,
    RegisterRequest,
    RegisterResponse,
    ResultsRequest,
    ResultsResponse,
    node_authorization,
)


class ChannelDown(Exception):
    """The server could not be reached, or answered with a server error: try again later."""


class Channel:
    """Calls to one server, as one node once `instance_id`/`secret` are known. Thread-safe."""

    def __init__(
        self,
        server: str,
        instance_id: str = "",
        secret: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": node_authorization(instance_id, secret)} if secret else {}
        self._client = httpx.Client(
            base_url=server.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(10.0, read=MAX_WAIT_SECONDS + 15),
            transport=transport
            or httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
        )

    @property
    def server(self) -> str:
        """The server's URL, without any user or password in it (fit for a log line)."""
        return str(self._client.base_url.copy_with(username=None, password=None))

    def close(self) -> None:
        self._client.close()

    def _post(self, path: str, body: dict[str, Any], timeout: float | None = None) -> Any:
        try:
            response = self._client.post(
                path, json=body, timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
            )
        except httpx.TransportError as exc:
            raise ChannelDown(f"{self.server}: {exc}") from exc
        if response.status_code >= 500:
            raise ChannelDown(f"{path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise ChannelDown(f"{path}: HTTP {response.status_code} without JSON") from None
        if response.status_code != 200:
            raise AgentError(
                str(data.get("error", "InvalidRequest")),
                str(data.get("message", response.text)),
                response.status_code,
            )
        return data

    def register(self, request: RegisterRequest) -> RegisterResponse:
        return RegisterResponse.from_json(self._post("/agent/v1/register", request.to_json()))

    def poll(self, request: PollRequest) -> PollResponse:
        return PollResponse.from_json(self._post("/agent/v1/poll", request.to_json()))

    def results(self, request: ResultsRequest, timeout: float | None = None) -> ResultsResponse:
        """Send results; `timeout` (seconds) bounds each phase of the request if given."""
        body = request.to_json()
        return ResultsResponse.from_json(self._post("/agent/v1/results", body, timeout))
