"""The Starlette application: AWS JSON 1.1 at `POST /`, health at `GET /health`."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from transom.domain.errors import RequestTooLargeError
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
from transom.protocol.awsjson.framing import CONTENT_TYPE, encode_error

MAX_BODY_BYTES = 1 << 20


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it grows past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    stream: AsyncIterator[bytes] = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    endpoint: AwsJsonEndpoint,
    *,
    inline: bool,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """The application. With `inline`, API calls run on the event loop itself: right for
    SQLite, whose calls take microseconds and where a worker-thread hand-off (~0.3 ms here)
    would cost more than the call; with a network database they run in worker threads."""

    async def awsjson(request: Request) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        body = await _read_body(request, max_body_bytes)
        if body is None:
            error = RequestTooLargeError(
                f"The request body is larger than {max_body_bytes} bytes; send less data."
            )
            return Response(encode_error(error), error.status, headers, CONTENT_TYPE)
        call = functools.partial(
            endpoint.handle,
            request.method,
            request.scope.get("raw_path", b"/").decode("latin-1"),
            request.scope["query_string"].decode("latin-1"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body,
        )
        reply = call() if inline else await run_in_threadpool(call)
        return Response(reply.body, reply.status, headers, CONTENT_TYPE)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/", awsjson, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *extra_routes,
        ],
        lifespan=lifespan,
    )
