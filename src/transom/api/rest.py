"""The REST routes under `/v1`: what the AWS API has no call for.

`POST /v1/windows/{window_id}/executions` starts an execution of the window at once and
answers `201 {"WindowExecutionId": ...}`. A body, if any, is a JSON object of at most
`MAX_BODY_BYTES` (this route reads no members).

`GET /v1/events?after=SEQ&pattern=JSON&wait=SECONDS` answers `200 {"events": [...],
"next": SEQ}`: the envelopes of the events after position `after` (default: now) that match
the event pattern (default: all), waiting up to `wait` seconds (default 0, at most
`MAX_WAIT_SECONDS`) for one to come; pass `next` as `after` to read on.

`GET /v1/deliveries?limit=N&failing=true` answers `200 {"deliveries": [...], "backlog": N}`:
the latest `limit` deliveries (default `DEFAULT_DELIVERIES`, at most `MAX_DELIVERIES`), newest
first, with `failing=true` only those given up or retrying after a failure; `backlog` counts
the pending ones. Each delivery is `{"MessageId", "TopicArn", "SubscriptionArn", "Protocol",
"Endpoint" (secrets cut out), "Status" (Pending, Delivered, GivenUp), "Attempts",
"NextAttempt" (while Pending, else null), "LastError", "CreatedDate", "FinishedDate"}`, times
as ISO 8601 UTC strings with milliseconds, like 2024-05-01T12:00:00.000Z.

`GET /v1/commands/{command_id}/invocations/{instance_id}/{stdout|stderr}?plugin=P&expires=T&
signature=S` answers `200` with the whole output of that stream as `text/plain;
charset=utf-8` (never sniffed or rendered: `X-Content-Type-Options: nosniff`, a sandboxing
CSP, `no-store`). It is the link GetCommandInvocation gives as StandardOutputUrl or
StandardErrorUrl (`services.output_links`), which is its own authorization, no signed
request: 403 AccessDeniedException for a link this server did not make, altered or expired,
404 InvocationDoesNotExist when the invocation is no longer kept.

`GET /v1/audit?since=ISO&key=AKID&resource=ID&limit=N&next_token=T` answers `200 {"records":
[...], "next_token": T}`: the audit trail's records (`transom.protocol.audit` says which calls
have one) made at or after `since` (an ISO 8601 time; UTC when it names no offset), of the
access key `key`, naming `resource`, newest first, `limit` of them (default
`DEFAULT_AUDIT_RECORDS`, at most `MAX_AUDIT_RECORDS`); `next_token`, when not null, reads the
next page. Each record is `{"Time", "AccessKeyId" (null: unsigned), "SourceAddress", "Api",
"Operation", "Resources", "Outcome" ("Success" or the error code), "Parameters" (secrets as
"***")}`, times as below.

The other requests are SigV4-signed with an access key the server knows, scoped to service
`ssm`, exactly as for the AWS JSON endpoint, and authorized by the key's policy as the actions
`ssm:StartMaintenanceWindowExecution` (on the window's ARN), `events:GetEvents`,
`sns:ListDeliveries` and, for the audit trail, CloudTrail's `cloudtrail:LookupEvents` (on
`*`). Every error is `{"__type": code, "message": message}`
with the `ApiError`'s status; none is a 500 unless the server itself fails.
"""

from __future__ import annotations

import functools
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from transom.api.edge import StoreCalls, read_body, source_of
from transom.api.metrics import RequestMetrics
from transom.domain.audit import SUCCESS, AuditQuery, AuditRecord
from transom.domain.clock import Clock
from transom.domain.errors import InvalidNextTokenError, ValidationError
from transom.protocol.audit import AuditedCall, Caller, audited, record
from transom.protocol.awsjson.framing import decode_request, error_reply
from transom.protocol.awsjson.sigv4 import claimed_access_key, verify_request
from transom.services.authorization import ANYTHING
from transom.services.container import Services
from transom.services.delivery import DeliveryListing, DeliveryView
from transom.services.event_feed import EventPattern
from transom.services.output_links import PATH as OUTPUT_PATH

MAX_BODY_BYTES = 64 * 1024
MAX_WAIT_SECONDS = 20.0
POLL_SECONDS = 0.2
"""How often a waiting `GET /v1/events` looks at the outbox again (holding no connection)."""
DEFAULT_DELIVERIES = 20
MAX_DELIVERIES = 1000
DEFAULT_AUDIT_RECORDS = 50
MAX_AUDIT_RECORDS = 1000
_WINDOW_ID = re.compile(r"mw-[0-9a-f]{17}", re.ASCII)
_OUTPUT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "no-store",
}


def _headers() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


Audit = Callable[[Request, str, "str | None"], Awaitable[None]]
"""Records a call of the operation with its error code (None: success) when it is audited."""


def _timed(
    metrics: RequestMetrics,
    operation: str,
    handle: Callable[[Request], Awaitable[Response]],
    audit: Audit,
) -> Callable[[Request], Awaitable[Response]]:
    """The route's endpoint: `handle`, with any exception it raises answered in AWS JSON's
    error shape (`framing.error_reply`), timed into `metrics` as api `rest`, and `audit`ed."""

    async def endpoint(request: Request) -> Response:
        started, error = time.perf_counter(), None
        try:
            response = await handle(request)
        except Exception as exc:
            status, body, error = error_reply(exc)
            response = Response(body, status, headers=_headers(), media_type="application/json")
        await audit(request, operation, error)
        metrics.observe("rest", operation, time.perf_counter() - started, error)
        return response

    return endpoint


def _check_window_id(window_id: str) -> None:
    if not _WINDOW_ID.fullmatch(window_id):
        shown = window_id if len(window_id) <= 64 else window_id[:64] + "..."
        raise ValidationError(
            f"Window id {shown!r} is malformed: a window id is 'mw-' followed by 17 lower-case "
            "hex digits, like mw-0123456789abcdef0."
        )


@dataclass(frozen=True)
class _FeedQuery:
    after: int | None
    pattern: EventPattern | None
    wait: float


def _feed_query(
    params: Mapping[str, str], compile_pattern: Callable[[str], EventPattern]
) -> _FeedQuery:
    """`after`, `pattern` and `wait` from the query string; `ValidationError` or
    `InvalidEventPatternError` saying what to fix."""
    unknown = sorted(set(params) - {"after", "pattern", "wait"})
    if unknown:
        raise ValidationError(
            f"Unknown query parameter {unknown[0]!r}: GET /v1/events takes after, pattern, wait."
        )
    after_text = params.get("after")
    if after_text is not None and not (after_text.isascii() and after_text.isdigit()):
        raise ValidationError(
            f"after={after_text[:32]!r} is not a position: pass the 'next' of the previous "
            "answer, a whole number of 0 or more (or leave it out to start from now)."
        )
    try:
        wait = float(params.get("wait", "0"))
    except ValueError:
        wait = math.nan
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise ValidationError(
            f"wait={params.get('wait', '')[:32]!r} must be a number of seconds from 0 to "
            f"{MAX_WAIT_SECONDS:g}."
        )
    pattern_text = params.get("pattern")
    return _FeedQuery(
        after=int(after_text) if after_text is not None else None,
        pattern=compile_pattern(pattern_text) if pattern_text is not None else None,
        wait=wait,
    )


@dataclass(frozen=True)
class _DeliveriesQuery:
    limit: int
    failing: bool


def _deliveries_query(params: Mapping[str, str]) -> _DeliveriesQuery:
    """`limit` and `failing` from the query string; `ValidationError` saying what to fix."""
    unknown = sorted(set(params) - {"limit", "failing"})
    if unknown:
        raise ValidationError(
            f"Unknown query parameter {unknown[0]!r}: GET /v1/deliveries takes limit, failing."
        )
    limit_text = params.get("limit", str(DEFAULT_DELIVERIES))
    digits = limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 9
    if not digits or not 1 <= int(limit_text) <= MAX_DELIVERIES:
        raise ValidationError(
            f"limit={limit_text[:32]!r} must be a whole number from 1 to {MAX_DELIVERIES}."
        )
    failing_text = params.get("failing", "false")
    if failing_text not in ("true", "false"):
        raise ValidationError(f"failing={failing_text[:32]!r} must be true or false.")
    return _DeliveriesQuery(limit=int(limit_text), failing=failing_text == "true")


def _whole_number(name: str, text: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and low <= int(text) <= high):
        raise ValidationError(f"{name}={text[:32]!r} must be a whole number from {low} to {high}.")
    return int(text)


def _audit_query(params: Mapping[str, str]) -> AuditQuery:
    """The audit query the query string asks for; `ValidationError` or `InvalidNextToken`
    saying what to fix."""
    unknown = sorted(set(params) - {"since", "key", "resource", "limit", "next_token"})
    if unknown:
        raise ValidationError(
            f"Unknown query parameter {unknown[0]!r}: GET /v1/audit takes since, key, "
            "resource, limit, next_token."
        )
    since = None
    if "since" in params:
        try:
            since = datetime.fromisoformat(params["since"])
        except ValueError:
            raise ValidationError(
                f"since={params['since'][:40]!r} is not an ISO 8601 time, like "
                "2024-05-01T12:00:00Z."
            ) from None
        since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    token = params.get("next_token")
    if token is not None and not (token.isascii() and token.isdigit() and len(token) <= 18):
        raise InvalidNextTokenError("The next_token is not one this server gave.")
    limit = params.get("limit", str(DEFAULT_AUDIT_RECORDS))
    return AuditQuery(
        since=since,
        access_key_id=params.get("key"),
        resource=params.get("resource"),
        before=None if token is None else int(token),
        limit=_whole_number("limit", limit, 1, MAX_AUDIT_RECORDS),
    )


def _audit_record(record: AuditRecord) -> dict[str, Any]:
    return {
        "Time": _time(record.at),
        "AccessKeyId": record.access_key_id,
        "SourceAddress": record.source,
        "Api": record.api,
        "Operation": record.operation,
        "Resources": list(record.resources),
        "Outcome": record.outcome,
        "Parameters": record.parameters,
    }


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _delivery_record(view: DeliveryView) -> dict[str, Any]:
    return {
        "MessageId": view.message_id,
        "TopicArn": view.topic_arn,
        "SubscriptionArn": view.subscription_arn,
        "Protocol": view.protocol,
        "Endpoint": view.endpoint,
        "Status": view.status.value,
        "Attempts": view.attempts,
        "NextAttempt": _time(view.next_attempt),
        "LastError": view.last_error,
        "CreatedDate": _time(view.created_date),
        "FinishedDate": _time(view.finished_date),
    }


async def _audit(
    services: Services, calls: StoreCalls, request: Request, operation: str, error: str | None
) -> None:
    """Record the call when it is audited: its resources are the path's ids and the id it
    made (`request.state.created`); its query is not recorded (an output link's holds its
    signature)."""
    if not audited("rest", operation, error):
        return
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    caller = Caller(claimed_access_key(headers), source_of(request.scope))
    resources = [*request.path_params.values(), *getattr(request.state, "created", ())]
    call = AuditedCall(caller, "rest", operation, error or SUCCESS, None, None, resources)
    await calls(record, services, call)


AUDIT_ACTION = "cloudtrail:LookupEvents"
"""The action a key's policy must allow to read the audit trail (CloudTrail's, whose role
the trail plays; the read-only policy does not grant it)."""


def _authenticate(services: Services, clock: Clock, request: Request, body: bytes) -> str:
    """Verify the request's signature; its key, or `ApiError` when it does not hold."""
    caller = verify_request(
        method=request.method,
        path=request.scope.get("raw_path", request.url.path.encode()).decode("latin-1"),
        query=request.scope["query_string"].decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
        body=body,
        secret_for=services.keys.secret_for,
        now=clock.now(),
    )
    return caller.access_key_id


def rest_routes(
    services: Services,
    clock: Clock,
    calls: StoreCalls,
    metrics: RequestMetrics,
    stopping: Callable[[], bool] = lambda: False,
) -> list[Route]:
    """The `/v1` routes, checking signatures against `clock`; their service calls run as
    `calls` runs them, timed into `metrics` (operations GetCommandOutput,
    StartWindowExecution, GetEvents, ListDeliveries, GetAuditRecords) and audited. A waiting
    read of the events ends early once `stopping()`."""

    authenticate = functools.partial(_authenticate, services, clock)
    audit = functools.partial(_audit, services, calls)

    def run_now(request: Request, body: bytes) -> str:
        """Authenticate, validate, authorize and start the run; raises `ApiError` for any
        refusal."""
        key = authenticate(request, body)
        decode_request(body)
        window_id = request.path_params["window_id"]
        _check_window_id(window_id)
        window = services.authorizer.arns.window(window_id)
        services.authorizer.check(key, "ssm:StartMaintenanceWindowExecution", [window])
        return services.scheduler.run_now(window_id)

    async def start_execution(request: Request) -> Response:
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
        execution_id = await calls(run_now, request, body)
        request.state.created = (execution_id,)
        return JSONResponse({"WindowExecutionId": execution_id}, 201, headers=_headers())

    def feed_query(request: Request, body: bytes) -> _FeedQuery:
        services.authorizer.check(authenticate(request, body), "events:GetEvents", [ANYTHING])
        return _feed_query(request.query_params, services.event_feed.pattern)

    async def read_events(request: Request) -> Response:
        feed = services.event_feed
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
        query = await calls(feed_query, request, body)
        after = query.after if query.after is not None else await calls(feed.position)
        deadline = anyio.current_time() + query.wait
        while True:
            page = await calls(feed.read, after, query.pattern)
            after = page.next
            if page.events or anyio.current_time() >= deadline or stopping():
                break
            if not page.more:
                await anyio.sleep(POLL_SECONDS)
        return JSONResponse({"events": page.events, "next": after}, headers=_headers())

    def delivery_listing(request: Request, body: bytes) -> DeliveryListing:
        services.authorizer.check(authenticate(request, body), "sns:ListDeliveries", [ANYTHING])
        query = _deliveries_query(request.query_params)
        return services.deliveries.listing(query.limit, query.failing)

    async def list_deliveries(request: Request) -> Response:
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
        listing = await calls(delivery_listing, request, body)
        answer = {
            "deliveries": [_delivery_record(view) for view in listing.deliveries],
            "backlog": listing.backlog,
        }
        return JSONResponse(answer, headers=_headers())

    def audit_page(request: Request, body: bytes) -> tuple[list[AuditRecord], int | None]:
        services.authorizer.check(authenticate(request, body), AUDIT_ACTION, [ANYTHING])
        page = services.audit.search(_audit_query(request.query_params))
        return page.items, page.next_after

    async def read_audit(request: Request) -> Response:
        body = await read_body(request.scope, request.receive, MAX_BODY_BYTES)
        records, after = await calls(audit_page, request, body)
        answer = {
            "records": [_audit_record(record) for record in records],
            "next_token": None if after is None else str(after),
        }
        return JSONResponse(answer, headers=_headers())

    def output(request: Request) -> str:
        path, query = request.path_params, request.query_params
        return services.output_links.read(
            path["command_id"],
            path["instance_id"],
            path["stream"],
            query.get("plugin"),
            query.get("expires"),
            query.get("signature"),
        )

    async def read_output(request: Request) -> Response:
        text = await calls(output, request)
        return PlainTextResponse(text, headers=_headers() | _OUTPUT_HEADERS)

    return [
        Route(
            OUTPUT_PATH, _timed(metrics, "GetCommandOutput", read_output, audit), methods=["GET"]
        ),
        Route(
            "/v1/windows/{window_id}/executions",
            _timed(metrics, "StartWindowExecution", start_execution, audit),
            methods=["POST"],
        ),
        Route("/v1/audit", _timed(metrics, "GetAuditRecords", read_audit, audit), methods=["GET"]),
        Route("/v1/events", _timed(metrics, "GetEvents", read_events, audit), methods=["GET"]),
        Route(
            "/v1/deliveries",
            _timed(metrics, "ListDeliveries", list_deliveries, audit),
            methods=["GET"],
        ),
    ]
