"""The ASGI application: AWS JSON 1.1 at `POST /`, the AWS Query protocol (SNS) at `POST /`
with a form body and at `GET /?Action=...`, health at `GET /health`, the agent channel under
`/agent/`, and the routes of the other adapters (REST)."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from transom.api.edge import StoreCalls, read_body, send_reply, source_of
from transom.api.metrics import UNKNOWN, RequestMetrics
from transom.domain.errors import UnknownOperationError
from transom.protocol.awsjson import framing
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
from transom.protocol.query.endpoint import CONTENT_TYPE, FORM_CONTENT_TYPE, QueryEndpoint

_CONTENT_TYPE = framing.CONTENT_TYPE.encode()
_XML_CONTENT_TYPE = CONTENT_TYPE.encode()
_FORM = FORM_CONTENT_TYPE.encode()


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.lower().startswith(_FORM))
    return False


class _Front:
    """The hot paths without routing or middleware: `POST /` goes straight to the AWS JSON
    endpoint (to the Query endpoint when its body is a form, and so does `GET /` with a query
    string) and `/agent/...` to the agent channel; every other request (and the lifespan)
    goes to the Starlette app. The two protocols' requests are timed here (the agent channel
    times its own)."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: AwsJsonEndpoint,
        agent: ASGIApp | None,
        calls: StoreCalls,
        max_body_bytes: int,
        metrics: RequestMetrics,
        query: QueryEndpoint | None = None,
    ) -> None:
        self._app = app
        self._endpoint = endpoint
        self._query = query
        self._agent = agent
        self._calls = calls
        self._limit = max_body_bytes
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._agent is not None and scope["path"].startswith("/agent/"):
            await self._agent(scope, receive, send)
            return
        if scope["path"] != "/" or scope["method"] not in ("POST", "GET"):
            await self._app(scope, receive, send)
            return
        if self._query is not None and (
            _is_form(scope) if scope["method"] == "POST" else scope["query_string"]
        ):
            await self._serve_query(self._query, scope, receive, send)
            return
        if scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        api: str | None = None
        operation: str | None = None
        error: str | None = None
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
                    source_of(scope),
                )
            )
            status, answer = reply.status, reply.body
            api, operation, error = reply.api, reply.operation, reply.error
        except Exception as exc:
            status, answer, error = framing.error_reply(exc)
        headers = [
            (b"content-type", _CONTENT_TYPE),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        ]
        await send_reply(send, status, answer, headers)
        self._metrics.observe(api or UNKNOWN, operation, time.perf_counter() - started, error)

    async def _serve_query(
        self, query: QueryEndpoint, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        try:
            body = await read_body(scope, receive, self._limit)
            reply = await self._calls(
                functools.partial(
                    query.handle,
                    scope["method"],
                    scope.get("raw_path", b"/").decode("latin-1").partition("?")[0],
                    scope["query_string"].decode("latin-1"),
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                    body,
                    source_of(scope),
                )
            )
        except Exception as exc:
            reply = query.error_reply(exc)
        headers = [
            (b"content-type", _XML_CONTENT_TYPE),
            (b"x-amzn-requestid", reply.request_id.encode()),
        ]
        await send_reply(send, reply.status, reply.body, headers)
        self._metrics.observe("sns", reply.action, time.perf_counter() - started, reply.error)


async def _no_route(request: Request, exc: Exception) -> Response:
    """A path nothing serves (404) or a method its route does not take (405), answered in the
    AWS shape like every other error."""
    where = f"{request.method} {request.url.path}"
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        status = 405
        given = {name.lower(): value for name, value in (exc.headers or {}).items()}
        headers["allow"] = given.get("allow", "")
        message = f"{where} is not served: this path takes {headers['allow']}."
    else:
        status = 404
        message = (
            f"{where} is not served: the AWS APIs take POST / with X-Amz-Target (or an SNS "
            "form), Transom's own calls are under /v1/ (see the README)."
        )
    return Response(
        framing.encode_error(UnknownOperationError(message)),
        status_code=status,
        media_type=framing.CONTENT_TYPE,
        headers=headers,
    )


def create_app(
    endpoint: AwsJsonEndpoint,
    *,
    calls: StoreCalls,
    metrics: RequestMetrics,
    agent: ASGIApp | None = None,
    query: QueryEndpoint | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = framing.MAX_BODY_BYTES,
) -> ASGIApp:
    """The application. API calls run as `calls` runs them (inline for SQLite, in worker
    threads for a network database), timed into `metrics`; `agent` serves `/agent/...`;
    `query` the Query protocol."""

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[Route("/health", health, methods=["GET"]), *extra_routes],
        lifespan=lifespan,
        exception_handlers={404: _no_route, 405: _no_route},
    )
    return _Front(app, endpoint, agent, calls, max_body_bytes, metrics, query)
