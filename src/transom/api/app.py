"""The ASGI application: AWS JSON 1.1 at `POST /`, health at `GET /health`, the agent
channel under `/agent/`, and the routes of the other adapters (REST)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from transom.domain.errors import RequestTooLargeError
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
from transom.protocol.awsjson.framing import CONTENT_TYPE, encode_error

MAX_BODY_BYTES = 1 << 20
_CONTENT_TYPE = CONTENT_TYPE.encode()


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is (or grows) larger than `limit` bytes."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Front:
    """The hot paths without routing or middleware: `POST /` goes straight to the AWS JSON
    endpoint and `/agent/...` to the agent channel; every other request (and the lifespan)
    goes to the Starlette app."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: AwsJsonEndpoint,
        agent: ASGIApp | None,
        inline: bool,
        max_body_bytes: int,
    ) -> None:
        self._app = app
        self._endpoint = endpoint
        self._agent = agent
        self._inline = inline
        self._limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._agent is not None and scope["path"].startswith("/agent/"):
            await self._agent(scope, receive, send)
            return
        if scope["path"] != "/" or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        body = await _read_body(scope, receive, self._limit)
        if body is None:
            error = RequestTooLargeError(
                f"The request body is larger than {self._limit} bytes; send less data."
            )
            await self._reply(send, error.status, encode_error(error))
            return
        call = functools.partial(
            self._endpoint.handle,
            "POST",
            scope.get("raw_path", b"/").decode("latin-1"),
            scope["query_string"].decode("latin-1"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body,
        )
        reply = call() if self._inline else await run_in_threadpool(call)
        await self._reply(send, reply.status, reply.body)

    @staticmethod
    async def _reply(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", _CONTENT_TYPE),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_app(
    endpoint: AwsJsonEndpoint,
    *,
    inline: bool,
    agent: ASGIApp | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> ASGIApp:
    """The application. With `inline`, API calls run on the event loop itself: right for
    SQLite, whose calls take microseconds and where a worker-thread hand-off (~0.3 ms here)
    would cost more than the call; with a network database they run in worker threads.
    `agent` serves `/agent/...`."""

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[Route("/health", health, methods=["GET"]), *extra_routes],
        lifespan=lifespan,
    )
    return _Front(app, endpoint, agent, inline, max_body_bytes)
