"""The ASGI application: AWS JSON 1.1 at `POST /`, health at `GET /health`, the agent
channel under `/agent/`, and the routes of the other adapters (REST)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from transom.api.edge import StoreCalls, read_body, send_reply
from transom.protocol.awsjson import framing
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint

_CONTENT_TYPE = framing.CONTENT_TYPE.encode()


class _Front:
    """The hot paths without routing or middleware: `POST /` goes straight to the AWS JSON
    endpoint and `/agent/...` to the agent channel; every other request (and the lifespan)
    goes to the Starlette app."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: AwsJsonEndpoint,
        agent: ASGIApp | None,
        calls: StoreCalls,
        max_body_bytes: int,
    ) -> None:
        self._app = app
        self._endpoint = endpoint
        self._agent = agent
        self._calls = calls
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
        try:
            body = await read_body(scope, receive, self._limit)
            reply = await self._calls(
                functools.partial(
                    self._endpoint.handle,
                    "POST",
                    scope.get("raw_path", b"/").decode("latin-1"),
                    scope["query_string"].decode("latin-1"),
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                    body,
                )
            )
            status, answer = reply.status, reply.body
        except Exception as exc:
            status, answer = framing.error_reply(exc)
        headers = [
            (b"content-type", _CONTENT_TYPE),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        ]
        await send_reply(send, status, answer, headers)


def create_app(
    endpoint: AwsJsonEndpoint,
    *,
    calls: StoreCalls,
    agent: ASGIApp | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = framing.MAX_BODY_BYTES,
) -> ASGIApp:
    """The application. API calls run as `calls` runs them (inline for SQLite, in worker
    threads for a network database); `agent` serves `/agent/...`."""

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[Route("/health", health, methods=["GET"]), *extra_routes],
        lifespan=lifespan,
    )
    return _Front(app, endpoint, agent, calls, max_body_bytes)
