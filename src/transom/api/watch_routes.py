"""The routes an operator's tooling reads: `GET /ready` and `GET /metrics`.

`GET /ready` answers `200 {"status": "ready"}` when the database answers and its schema is at
the revision this server speaks, else `503 {"status": "not ready", "reason": ...}`. No
credentials needed, like `GET /health` (liveness: answers while the process serves, touching
nothing).

`GET /metrics` answers the Prometheus text format to a request `metrics_access` admits, else
401 or 403 with a line of text saying what to send, and no data.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from transom.api.metrics import CONTENT_TYPE, Metrics
from transom.api.metrics_access import MetricsGuard
from transom.services.readiness import Readiness

READY_SECONDS = 5.0
"""How long `/ready` waits for the database before it answers that it did not answer."""

# Both routes read the store in the event loop's default executor, whose few threads live as
# long as the loop: on SQLite each thread that reads keeps a connection, so short-lived worker
# threads would leak them.


def ready_route(readiness: Readiness) -> Route:
    async def ready(_request: Request) -> Response:
        try:
            reason = await asyncio.wait_for(asyncio.to_thread(readiness.problem), READY_SECONDS)
        except TimeoutError:
            reason = f"the database did not answer within {READY_SECONDS:g} s"
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready", "reason": reason}, 503)

    return Route("/ready", ready, methods=["GET"])


def metrics_route(metrics: Metrics, guard: MetricsGuard) -> Route:
    def scrape(request: Request) -> Response:
        refusal = guard.refusal(
            request.method,
            request.scope.get("raw_path", request.url.path.encode()).decode("latin-1"),
            request.scope["query_string"].decode("latin-1"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
        )
        if refusal is not None:
            status, text = refusal
            headers = {"WWW-Authenticate": 'Bearer realm="transom"'} if status == 401 else None
            return PlainTextResponse(text + "\n", status, headers=headers)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    async def serve(request: Request) -> Response:
        # The guard may read an access key and the exposition reads the database: off the loop.
        return await asyncio.to_thread(scrape, request)

    return Route("/metrics", serve, methods=["GET"])
