"""The ASGI half of the HTTP edge: what every HTTP surface does the same way (the
framework-free half, JSON decoding and the internal error, is `transom.protocol.edge`).

A surface is a few lines on top of it, bare ASGI or inside a Starlette route:

    try:
        body = await read_body(scope, receive, LIMIT)        # 413 past LIMIT, checked first
        value = decode_json(body, DEPTH)                      # JsonBodyError: the protocol's 400
        answer = await calls(service.method, value)           # inline or in a worker thread
    except Exception as exc:
        status, answer = <the protocol's one mapping of an exception>(exc)
    await send_reply(send, status, body_of(answer), headers)

Each protocol maps exceptions to its error shape in one function, `ApiError`s as they say and
anything else through `transom.protocol.edge.internal_error` (logged once, without data).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread
from starlette.types import Receive, Scope, Send

from transom.domain.errors import RequestIncompleteError, RequestTooLargeError

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, or `RequestTooLargeError` (413) when it is larger than `limit`
    bytes: at once and unread when its Content-Length says so, else as soon as the streamed
    (chunked) body grows past `limit`; `RequestIncompleteError` when the connection closes
    before the body's end (the server cuts a body that arrives too slowly)."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestIncompleteError("The connection closed before the request body ended.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def source_of(scope: Scope) -> str:
    """The client's address: the socket's peer, or the address in `X-Forwarded-For` when the
    peer is a proxy the server trusts (uvicorn's `forwarded_allow_ips` puts it in the
    scope); empty when unknown."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def _too_large(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(f"The request body is larger than {limit} bytes; send less data.")


async def send_reply(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> None:
    """Answer with `status` and `body`; `headers` are sent along with Content-Length."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class StoreCalls:
    """Runs blocking service calls (those that reach the store) as the database wants them:
    inline on the event loop with `inline` (SQLite, whose calls take microseconds, where a
    worker-thread hand-off of ~0.3 ms would cost more than the call), otherwise in a worker
    thread (a network database), at most `threads` at once if given (else anyio's default
    limit)."""

    def __init__(self, *, inline: bool, threads: int | None = None) -> None:
        self.inline = inline
        self._limiter = None if threads is None else anyio.CapacityLimiter(threads)

    def limited(self, threads: int) -> StoreCalls:
        """Calls run the same way, but at most `threads` of them in worker threads at once."""
        return StoreCalls(inline=self.inline, threads=threads)

    async def __call__(self, function: Callable[[*Ts], T], *args: *Ts) -> T:
        if self.inline:
            return function(*args)
        return await anyio.to_thread.run_sync(
            functools.partial(function, *args), limiter=self._limiter
        )
