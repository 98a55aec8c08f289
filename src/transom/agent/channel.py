"""The agent's side of the agent channel (`transom.wire`) over httpx."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


class InsecureServer(Exception):
    """The server's URL is plain http to another host: node secrets would cross the network
    in clear text."""


def check_server_url(server: str, insecure_http: bool = False) -> None:
    """`InsecureServer` unless `server` is https, or http to this host (a loopback address,
    `localhost`), or `insecure_http` allows plain http anywhere."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureServer(f"{server!r} is not a server URL like https://transom.example:8770")
    if parts.scheme == "https" or insecure_http or _is_loopback(parts.hostname):
        return
    raise InsecureServer(
        f"refusing plain http to {parts.hostname}: the node's secret and every command would "
        "cross the network in clear text. Use the server's https:// URL (with --ca-file for a "
        "private CA), or pass --insecure-http if this network is trusted."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Channel:
    """Calls to one server, as one node once `instance_id`/`secret` are known. Thread-safe.
    An https server's certificate is always verified: against `ca_file` (PEM) if given, else
    against the system's CAs."""

    def __init__(
        self,
        server: str,
        instance_id: str = "",
        secret: str = "",
        transport: httpx.BaseTransport | None = None,
        ca_file: Path | None = None,
    ) -> None:
        headers = {"Authorization": node_authorization(instance_id, secret)} if secret else {}
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self._client = httpx.Client(
            base_url=server.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(10.0, read=MAX_WAIT_SECONDS + 15),
            transport=transport
            or httpx.HTTPTransport(
                verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            ),
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
