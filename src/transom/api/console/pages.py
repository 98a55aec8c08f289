"""What each console page shows and what each of its forms changes, through the same
services as the API (so with the same validation and the same error messages).

A page's loader takes the services and the request and returns its template's context; a
form's action also takes the submitted fields and returns the path to show next. Both raise
the services' `ApiError`s, which the page shows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from transom.domain.errors import DoesNotExistError, InvocationDoesNotExistError, ValidationError
from transom.domain.executions import ACTIVE
from transom.services.container import Services
from transom.services.overview import explain
from transom.services.schedules import ScheduleSpan
from transom.services.windows import WINDOW_RESOURCE

PREFIX = "/console"
HISTORY_SHOWN = 25
UPCOMING_SHOWN = 5


def overview(services: Services, _request: Request) -> dict[str, Any]:
    return {"overview": services.overview.overview()}


def windows(services: Services, request: Request) -> dict[str, Any]:
    search = request.query_params.get("q", "")[:200]
    return {"rows": services.overview.window_rows(search), "search": search}


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


def nodes(services: Services, _request: Request) -> dict[str, Any]:
    return {"nodes": services.nodes.describe({})}


def run_now(services: Services, request: Request, _form: Mapping[str, str]) -> str:
    execution_id = services.scheduler.run_now(request.path_params["window_id"])
    return f"{PREFIX}/executions/{execution_id}"


def set_enabled(services: Services, request: Request, form: Mapping[str, str]) -> str:
    window_id = request.path_params["window_id"]
    wanted = form.get("enabled")
    if wanted not in ("true", "false"):
        raise ValidationError("Enabled must be true or false.")
    services.windows.update(window_id, {"enabled": wanted == "true"}, replace=False)
    return f"{PREFIX}/windows/{window_id}"


def cancel(services: Services, request: Request, _form: Mapping[str, str]) -> str:
    execution_id = request.path_params["execution_id"]
    services.history.cancel(execution_id)
    return f"{PREFIX}/executions/{execution_id}"
