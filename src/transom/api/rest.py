"""The REST routes under `/v1`: what the AWS API has no call for.

`POST /v1/windows/{window_id}/executions` starts an execution of the window at once and
answers `201 {"WindowExecutionId": ...}`. Requests are SigV4-signed with an access key the
server knows, scoped to service `ssm`, exactly as for the AWS JSON endpoint. Every error is
`{"__type": code, "message": message}` with the `ApiError`'s status; none is a 500 unless the
server itself fails.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from transom.domain.clock import Clock
from transom.domain.errors import ApiError, RequestTooLargeError, ValidationError
from transom.protocol.awsjson.sigv4 import verify_request
from transom.services.container import Services

T = TypeVar("T")
MAX_BODY_BYTES = 64 * 1024
_WINDOW_ID = re.compile(r"mw-[0-9a-f]{17}", re.ASCII)
log = logging.getLogger(__name__)


def _reply(status: int, body: dict[str, str]) -> Response:
    return JSONResponse(body, status, headers={"x-amzn-RequestId": str(uuid.uuid4())})


async def _body(request: Request) -> bytes:
    """The request body, or `RequestTooLargeError` past `MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise RequestTooLargeError(
                f"The request body is larger than {MAX_BODY_BYTES} bytes; send less data."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _check_window_id(window_id: str) -> None:
    if not _WINDOW_ID.fullmatch(window_id):
        shown = window_id if len(window_id) <= 64 else window_id[:64] + "..."
        raise ValidationError(
            f"Window id {shown!r} is malformed: a window id is 'mw-' followed by 17 lower-case "
            "hex digits, like mw-0123456789abcdef0."
        )


def rest_routes(services: Services, clock: Clock, *, inline: bool) -> list[Route]:
    """The `/v1` routes, checking signatures against `clock`. With `inline` their store calls
    run on the event loop (SQLite), otherwise in worker threads."""

    async def call(function: Callable[[], T]) -> T:
        return function() if inline else await run_in_threadpool(function)

    def run_now(request: Request, body: bytes) -> str:
        """Authenticate, validate and start the run; raises `ApiError` for any refusal."""
        verify_request(
            method=request.method,
            path=request.scope.get("raw_path", request.url.path.encode()).decode("latin-1"),
            query=request.scope["query_string"].decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body=body,
            secret_for=services.keys.secret_for,
            now=clock.now(),
        )
        window_id = request.path_params["window_id"]
        _check_window_id(window_id)
        return services.scheduler.run_now(window_id)

    async def start_execution(request: Request) -> Response:
        try:
            body = await _body(request)
            execution_id = await call(lambda: run_now(request, body))
        except ApiError as error:
            return _reply(error.status, {"__type": error.code, "message": error.message})
        except Exception:
            log.exception("internal error")
            internal = ApiError("The server hit an unexpected error; it has been logged.")
            return _reply(internal.status, {"__type": internal.code, "message": internal.message})
        return _reply(201, {"WindowExecutionId": execution_id})

    return [
        Route("/v1/windows/{window_id}/executions", start_execution, methods=["POST"]),
    ]
