"""The REST routes under `/v1`: what the AWS API has no call for.

`POST /v1/windows/{window_id}/executions` starts an execution of the window at once and
answers `201 {"WindowExecutionId": ...}`. Requests are SigV4-signed with an access key the
server knows, scoped to service `ssm`, exactly as for the AWS JSON endpoint. A body, if any,
is a JSON object of at most `MAX_BODY_BYTES` (this route reads no members). Every error is
`{"__type": code, "message": message}` with the `ApiError`'s status; none is a 500 unless the
server itself fails.
"""

from __future__ import annotations

import re
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from transom.api.edge import StoreCalls, read_body
from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.protocol.awsjson.framing import decode_request, error_reply
from transom.protocol.awsjson.sigv4 import verify_request
from transom.services.container import Services

MAX_BODY_BYTES = 64 * 1024
_WINDOW_ID = re.compile(r"mw-[0-9a-f]{17}", re.ASCII)


def _headers() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def _error_reply(exc: Exception) -> Response:
    """The answer to any exception, in AWS JSON's error shape (`framing.error_reply`)."""
    status, body = error_reply(exc)
    return Response(body, status, headers=_headers(), media_type="application/json")


def _check_window_id(window_id: str) -> None:
    if not _WINDOW_ID.fullmatch(window_id):
        shown = window_id if len(window_id) <= 64 else window_id[:64] + "..."
        raise ValidationError(
            f"Window id {shown!r} is malformed: a window id is 'mw-' followed by 17 lower-case "
            "hex digits, like mw-0123456789abcdef0."
        )


def rest_routes(services: Services, clock: Clock, calls: StoreCalls) -> list[Route]:
    """The `/v1` routes, checking signatures against `clock`; their service calls run as
    `calls` runs them."""

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
        decode_request(body)
        window_id = request.path_params["window_id"]
        _check_window_id(window_id)
        return services.scheduler.run_now(window_id)

    async def start_execution(request: Request) -> Response:
        try:
            body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
            execution_id = await calls(run_now, request, body)
        except Exception as exc:
            return _error_reply(exc)
        return JSONResponse({"WindowExecutionId": execution_id}, 201, headers=_headers())

    return [
        Route("/v1/windows/{window_id}/executions", start_execution, methods=["POST"]),
    ]
