"""What each console page shows and what each of its forms changes, through the same
services as the API (so with the same validation and the same error messages).

A page's loader takes the services and the request and returns its template's context; a
form's action also takes the submitted fields and returns the path to show next. Both raise
the services' `ApiError`s, which the page shows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request

from transom.api.console import ical, page_reads
from transom.api.console.authorized import check_key
from transom.api.edge import source_of
from transom.domain.errors import DoesNotExistError, InvocationDoesNotExistError, ValidationError
from transom.domain.executions import ACTIVE
from transom.protocol.audit import Caller, audit_call
from transom.protocol.awsjson.invoke import invoke
from transom.services.container import Services
from transom.services.overview import explain
from transom.services.schedules import ScheduleSpan
from transom.services.windows import WINDOW_RESOURCE

PREFIX = "/console"
HISTORY_SHOWN = 25
UPCOMING_SHOWN = 5
WINDOWS_SHOWN = 100
"""Windows listed on one page of the list."""
NODES_SHOWN = 100
"""Nodes listed on one page of the list."""
FEED_DAYS = 60
MAX_FEED_DAYS = 400

Load = Callable[[Services, Request], dict[str, Any]]
"""A page's loader: its template's context."""
Act = Callable[[Services, Request, Mapping[str, str]], str | dict[str, Any]]
"""A form's change: the path to show next, or the context of a page to answer with at once
(what it made is shown this once, such as an activation's code)."""


@dataclass(frozen=True)
class Pager:
    """Page `number` of a list of `total` items, `size` to a page."""

    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position (from 1) of the first item shown."""
        return min(self.total, (self.number - 1) * self.size + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.size)


def overview(services: Services, _request: Request) -> dict[str, Any]:
    return {"overview": services.overview.overview()}


def page_number(request: Request) -> int:
    """The `page` asked for (1 when absent); `ValidationError` unless a whole number ≥ 1."""
    given = request.query_params.get("page", "1")
    if not (given.isdigit() and 1 <= int(given) <= 1_000_000):
        raise ValidationError(f"The page {given[:16]!r} is not a page number such as 2.")
    return int(given)


def windows(services: Services, request: Request) -> dict[str, Any]:
    """A page of WINDOWS_SHOWN windows matching the search `q`."""
    search = request.query_params.get("q", "")[:200]
    number = page_number(request)
    found = services.overview.window_rows(search, (number - 1) * WINDOWS_SHOWN, WINDOWS_SHOWN)
    return {
        "rows": found.rows,
        "search": search,
        "pager": Pager(number, found.matching, WINDOWS_SHOWN),
    }


def window(services: Services, request: Request) -> dict[str, Any]:
    window_id = request.path_params["window_id"]
    found = services.windows.get(window_id)
    return {
        "window": found,
        "schedule_text": explain(found),
        "next_run": services.windows.next_run(found),
        "targets": services.targets.list(window_id),
        "tasks": services.tasks.list(window_id),
        "tags": services.tags.list(WINDOW_RESOURCE, window_id),
        "history": services.history.executions(window_id, limit=HISTORY_SHOWN).items,
        "upcoming": services.schedules.schedule(
            window_id, None, None, ScheduleSpan(), None, UPCOMING_SHOWN
        ).items,
        "nodes": services.nodes.options(),
        "documents": [listed.resolved for listed in services.documents.listing([])],
        "cutoff_behaviors": ("CONTINUE_TASK", "CANCEL_TASK"),
        "form": {},
    }


def execution(services: Services, request: Request) -> dict[str, Any]:
    """The execution, its tasks, and each task's invocations with their command's output on
    the node (None until the command has an invocation there)."""
    execution_id = request.path_params["execution_id"]
    found, tasks = services.history.execution(execution_id)
    try:
        name: str | None = services.windows.get(found.window_id).spec.name
    except DoesNotExistError:
        name = None
    shown = []
    for task in tasks:
        rows = []
        for invocation in services.history.invocations(execution_id, task.task_execution_id):
            output = None
            if invocation.execution_id and invocation.resource_id:
                with contextlib.suppress(InvocationDoesNotExistError):
                    output = services.commands.invocation(
                        invocation.execution_id, invocation.resource_id
                    )[0]
            rows.append((invocation, output))
        parameters = task.invocation_parameters.get("RunCommand", {}).get("Parameters")
        shown.append((task, json.dumps(parameters, indent=2) if parameters else "", rows))
    active = found.status in ACTIVE
    return {"execution": found, "window_name": name, "tasks": shown, "active": active}


def caller_of(request: Request) -> Caller:
    """Who a form's change is recorded for in the audit trail: the signed-in key, from the
    client's address."""
    return Caller(request.state.session.access_key_id, source_of(request.scope))


def nodes(services: Services, request: Request) -> dict[str, Any]:
    """A page of NODES_SHOWN nodes."""
    number = page_number(request)
    shown, total = services.nodes.page((number - 1) * NODES_SHOWN, NODES_SHOWN)
    return {"nodes": shown, "pager": Pager(number, total, NODES_SHOWN)}


def calendar_feed(services: Services, request: Request) -> dict[str, Any]:
    """The calendar feed page of the signed-in key; `token` is a feed token just made."""
    key = request.state.session.access_key_id
    token = getattr(request.state, "feed_token", None)
    base = str(request.base_url).rstrip("/")
    return {
        "issued": services.calendar_feeds.issued(key),
        "token": token,
        "feed_url": f"{base}{PREFIX}/feeds/{token}/calendar.ics" if token else "",
        "days": FEED_DAYS,
        "max_days": MAX_FEED_DAYS,
    }


def calendar_ics(services: Services, request: Request) -> bytes | None:
    """The iCalendar feed of the token in the path (None when it is no current feed token):
    the runs of the next `days` (1 to MAX_FEED_DAYS, default FEED_DAYS) days of every window,
    or of the `window` asked for, as the feed owner's key may read them now (else the API's
    `AccessDeniedError`); from `request.state.feed_cache` while it holds."""
    token = request.path_params["token"]
    owner = services.calendar_feeds.key_of(token)
    if owner is None:
        return None
    days = request.query_params.get("days", str(FEED_DAYS))
    if not (days.isdigit() and 1 <= int(days) <= MAX_FEED_DAYS):
        raise ValidationError(f"days must be a whole number of days from 1 to {MAX_FEED_DAYS}.")
    window_id = request.query_params.get("window") or None
    check_key(services, owner, request, page_reads.feed(window_id))  # the owner's policy now
    base = str(request.base_url).rstrip("/")
    cache: ical.FeedCache = request.state.feed_cache
    key = (token, window_id, int(days), base, services.calendar.version(window_id))
    body = cache.get(key)
    if body is None:
        now = services.calendar.now()
        coming = services.calendar.blocks(now, now + timedelta(days=int(days)), window_id, False)
        name = "Transom maintenance windows"
        if window_id is not None:
            name = f"{coming.windows[window_id].spec.name} (Transom)"
        body = ical.feed(coming.blocks, coming.windows, base, name, now)
        cache.put(key, body)
    return body


def run_now(services: Services, request: Request, _form: Mapping[str, str]) -> str:
    """Start the window now, authorized and audited as the REST call that does it."""
    window_id = request.path_params["window_id"]
    caller = caller_of(request)

    def act() -> dict[str, str]:
        window = services.authorizer.arns.window(window_id)
        key = caller.access_key_id or ""
        services.authorizer.check(key, "ssm:StartMaintenanceWindowExecution", [window])
        return {"WindowExecutionId": services.scheduler.run_now(window_id)}

    answer = audit_call(services, caller, "rest", "StartWindowExecution", {}, act, (window_id,))
    return f"{PREFIX}/executions/{answer['WindowExecutionId']}"


def set_enabled(services: Services, request: Request, form: Mapping[str, str]) -> str:
    window_id = request.path_params["window_id"]
    wanted = form.get("enabled")
    if wanted not in ("true", "false"):
        raise ValidationError("Enabled must be true or false.")
    params = {"WindowId": window_id, "Enabled": wanted == "true"}
    invoke(services, caller_of(request), "UpdateMaintenanceWindow", params)
    return f"{PREFIX}/windows/{window_id}"


def cancel(services: Services, request: Request, _form: Mapping[str, str]) -> str:
    execution_id = request.path_params["execution_id"]
    params = {"WindowExecutionId": execution_id}
    invoke(services, caller_of(request), "CancelMaintenanceWindowExecution", params)
    return f"{PREFIX}/executions/{execution_id}"
