"""The window page's forms: register and deregister targets (by tag, or nodes picked from
the fleet) and RUN_COMMAND tasks, each as the API's operation with the same validation
(`invoke`), so a refusal shows the API's message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from transom.api.console.pages import PREFIX
from transom.domain.errors import ValidationError
from transom.protocol.awsjson.invoke import invoke
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services


def _values(text: str) -> list[str]:
    """Comma-separated values, blanks dropped."""
    return [v.strip() for v in text.split(",") if v.strip()]


def _picked(form: Mapping[str, str]) -> list[str]:
    """The node IDs ticked in the form (fields `node:<id>`), in order."""
    return [name.removeprefix("node:") for name in form if name.startswith("node:")]


def _optional(form: Mapping[str, str], fields: Mapping[str, str]) -> Params:
    return {wire: form[f].strip() for f, wire in fields.items() if form.get(f, "").strip()}


def parameters_of(text: str) -> dict[str, Any]:
    """The task's Parameters from a JSON object such as {"commands": ["uptime"]};
    `ValidationError` when it is not one."""
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f'Parameters must be a JSON object such as {{"commands": ["uptime"]}}: {exc.msg} '
            f"at line {exc.lineno}, column {exc.colno}."
        ) from None
    if not isinstance(parsed, dict):
        raise ValidationError('Parameters must be a JSON object such as {"commands": ["uptime"]}.')
    return parsed


def register_target(services: Services, request: Request, form: Mapping[str, str]) -> str:
    """RegisterTargetWithMaintenanceWindow: the nodes picked, or the tag's values."""
    window_id = request.path_params["window_id"]
    if form.get("by") == "nodes":
        targets = [{"Key": "InstanceIds", "Values": _picked(form)}]
    else:
        key = form.get("tag_key", "").strip()
        targets = [{"Key": f"tag:{key}", "Values": _values(form.get("tag_values", ""))}]
    params = {
        "WindowId": window_id,
        "ResourceType": "INSTANCE",
        "Targets": targets,
        **_optional(form, {"name": "Name", "owner_information": "OwnerInformation"}),
    }
    invoke(
        services, request.state.session.access_key_id, "RegisterTargetWithMaintenanceWindow", params
    )
    return f"{PREFIX}/windows/{window_id}#targets-h"


def deregister_target(services: Services, request: Request, form: Mapping[str, str]) -> str:
    window_id = request.path_params["window_id"]
    params = {"WindowId": window_id, "WindowTargetId": form.get("target", ""), "Safe": True}
    invoke(
        services,
        request.state.session.access_key_id,
        "DeregisterTargetFromMaintenanceWindow",
        params,
    )
    return f"{PREFIX}/windows/{window_id}#targets-h"


def register_task(services: Services, request: Request, form: Mapping[str, str]) -> str:
    """RegisterTaskWithMaintenanceWindow of a RUN_COMMAND task on the targets ticked
    (fields `target:<id>`)."""
    window_id = request.path_params["window_id"]
    targets = [name.removeprefix("target:") for name in form if name.startswith("target:")]
    run_command: Params = {"Parameters": parameters_of(form.get("parameters", ""))}
    if form.get("timeout", "").strip():
        timeout = form["timeout"].strip()
        run_command["TimeoutSeconds"] = int(timeout) if timeout.isdigit() else timeout
    priority = form.get("priority", "").strip()
    params = {
        "WindowId": window_id,
        "TaskType": "RUN_COMMAND",
        "TaskArn": form.get("document", ""),
        "Targets": [{"Key": "WindowTargetIds", "Values": targets}],
        "TaskInvocationParameters": {"RunCommand": run_command},
        **_optional(
            form,
            {
                "name": "Name",
                "max_concurrency": "MaxConcurrency",
                "max_errors": "MaxErrors",
                "cutoff_behavior": "CutoffBehavior",
            },
        ),
    }
    if priority:
        params["Priority"] = int(priority) if priority.isdigit() else priority
    invoke(
        services, request.state.session.access_key_id, "RegisterTaskWithMaintenanceWindow", params
    )
    return f"{PREFIX}/windows/{window_id}#tasks-h"


def deregister_task(services: Services, request: Request, form: Mapping[str, str]) -> str:
    window_id = request.path_params["window_id"]
    params = {"WindowId": window_id, "WindowTaskId": form.get("task", "")}
    invoke(
        services, request.state.session.access_key_id, "DeregisterTaskFromMaintenanceWindow", params
    )
    return f"{PREFIX}/windows/{window_id}#tasks-h"
