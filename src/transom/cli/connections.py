"""Limits on the server's connections (imported lazily, with uvicorn).

- At most `max_connections` served at once (`connection_cap`, at most what the open-file limit
  allows: its soft limit is raised toward the hard one, and the cap lowered, with a warning,
  when even that is too few). A request arriving past it (on a connection accepted anyway,
  or while twice as many requests are in flight: a task may outlive its answer) is answered
  503 with Retry-After and closed.
- A request's headers must arrive within `header_seconds` of its first byte (of the
  connection being opened, for its first request), at most `MAX_HEADER_BYTES` of them (400
  beyond); its body within `body_seconds` of the headers' end plus one second per
  `BODY_BYTES_PER_SECOND` received. A connection that is late is answered 408 and closed (an
  idle one that sent nothing is just closed), so a trickle of bytes holds no connection, and
  a handler waiting for the rest of the body sees the client gone.
- Between requests, a connection is closed after `keep_alive_seconds` without a byte.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 64 * 1024
"""The request line and headers of one request, at most."""
BODY_BYTES_PER_SECOND = 64 * 1024
"""The slowest upload a body may take past `body_seconds` (a 96 MiB report: 25 minutes)."""
FILES_KEPT = 64
"""Open files kept for the database, logs and the like beside the connections."""


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 10_000
    keep_alive_seconds: int = 5
    header_seconds: float = 10.0
    body_seconds: float = 10.0

    def connection_cap(self) -> int:
        """`max_connections`, or fewer when the open-file limit (raised as far as it may go)
        leaves room for fewer."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.max_connections + FILES_KEPT
        if soft != resource.RLIM_INFINITY and soft < wanted:
            soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        if soft == resource.RLIM_INFINITY or soft >= wanted:
            return self.max_connections
        cap = max(1, soft - FILES_KEPT)
        log.warning(
            "the open-file limit (%s) leaves room for %s connections, not --max-connections "
            "%s; raise the hard limit (ulimit -Hn, LimitNOFILE=) to allow more",
            soft,
            cap,
            self.max_connections,
        )
        return cap

    def protocol(self, cap: int) -> type[asyncio.Protocol]:
        """uvicorn's HTTP protocol enforcing these limits, serving at most `cap` connections
        (`connection_cap()`)."""
        attributes = {"limits": self, "cap": cap}
        return type("GuardedHttpProtocol", (_GuardedHttpProtocol,), attributes)


def refuses(connections: int, in_flight: int, cap: int) -> bool:
    """Whether a request is refused: past `cap` connections, or with twice `cap` requests in
    flight. A request's task may outlive its answer a moment (the client's next request comes
    on the same connection first): refused at `cap` tasks, 10,000 agents answering a command
    at once had 9,000 requests refused in a second, and their reconnections took 3 to 12
    times the command's CPU."""
    return connections > cap or in_flight >= 2 * cap


async def _too_busy(_scope: Any, _receive: Any, send: Any) -> None:
    text = b"The server is serving as many connections as it allows; try again shortly.\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"retry-after", b"1"),
        (b"connection", b"close"),
        (b"content-length", str(len(text)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": text})


_LATE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s"
)


class _GuardedHttpProtocol(HttpToolsProtocol):
    """httptools' protocol (uvicorn's default) with the deadlines of `limits`."""

    limits: ConnectionLimits
    cap: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._started = False  # a byte of the current request arrived
        self._body_from = 0.0  # when the current request's headers ended
        self._body_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._started = True
        self._header_bytes = 0
        self._body_from = 0.0
        if self._deadline is None:  # a request after a keep-alive wait
            self._arm(self.limits.header_seconds)

    def on_url(self, url: bytes) -> None:
        self._count_header(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            # the parser turns this into uvicorn's 400 "Invalid HTTP request received."
            raise ValueError(f"request headers longer than {MAX_HEADER_BYTES} bytes")

    def on_headers_complete(self) -> None:
        self._disarm()
        app = self.app
        if refuses(len(self.connections), len(self.tasks), self.cap):
            log.warning("a request was refused: %s connections are open", len(self.connections))
            self.app = _too_busy  # for this request only
        try:
            super().on_headers_complete()
        finally:
            self.app = app
        self._body_from = self.loop.time()
        self._body_bytes = 0
        self._arm(self.limits.body_seconds)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        self._started = False
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._check)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _check(self) -> None:
        """The deadline passed: extend it for a body that arrived fast enough, else cut."""
        self._deadline = None
        if self.transport.is_closing():
            return
        reading_body = self._body_from and self._started
        if reading_body:
            allowed = self.limits.body_seconds + self._body_bytes / BODY_BYTES_PER_SECOND
            left = self._body_from + allowed - self.loop.time()
            if left > 0:
                self._arm(left)
                return
        answered = self.cycle is not None and self.cycle.response_started and reading_body
        if self._started and not answered:
            part = "body" if reading_body else "headers"
            text = f"The request's {part} did not arrive in time; the connection is closed.\n"
            self.transport.write(_LATE % (len(text), text.encode()))
        self.transport.close()
