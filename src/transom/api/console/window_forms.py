"""The window form: create a window (CreateMaintenanceWindow) or edit one
(UpdateMaintenanceWindow with Replace), and the live preview of its schedule.

A form's fields are turned into the operation's request as a client would send it, then
`invoke`d: validated against the model and handled as the API handles it, so a refusal
carries the API's message. Empty fields are left out; a number field that is not a whole
number is sent as text, which the API refuses as it would refuse that JSON."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from transom.api.console.calendar import zone_names
from transom.api.console.pages import PREFIX, signed_in
from transom.domain.errors import ClientError, ValidationError
from transom.domain.windows import WindowSpec
from transom.protocol.awsjson.apis import SSM
from transom.protocol.awsjson.invoke import invoke
from transom.protocol.awsjson.members import fields_from
from transom.protocol.awsjson.registry import Params
from transom.protocol.awsjson.validation import validator
from transom.services.container import Services

PREVIEW_RUNS = 5
_TEXT = {
    "name": "Name",
    "description": "Description",
    "schedule": "Schedule",
    "schedule_timezone": "ScheduleTimezone",
    "start_date": "StartDate",
    "end_date": "EndDate",
}
_NUMBERS = {"duration": "Duration", "cutoff": "Cutoff", "schedule_offset": "ScheduleOffset"}


def _number(text: str) -> int | str:
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else stripped


def tags_of(text: str) -> list[dict[str, str]]:
    """`Key=Value` lines as Tags; `ValidationError` for a line without `=`."""
    tags = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        if not equals:
            raise ValidationError(f"Tags: write one Key=Value a line; line {n} has no '='.")
        tags.append({"Key": key.strip(), "Value": value.strip()})
    return tags


def window_params(form: Mapping[str, str]) -> Params:
    """The CreateMaintenanceWindow members the form's fields give."""
    params: Params = {wire: form[f].strip() for f, wire in _TEXT.items() if form.get(f, "").strip()}
    params |= {wire: _number(form[f]) for f, wire in _NUMBERS.items() if form.get(f, "").strip()}
    params["AllowUnassociatedTargets"] = form.get("allow_unassociated_targets") == "on"
    return params


def _fields(spec: WindowSpec | None) -> dict[str, str]:
    if spec is None:
        return {"duration": "2", "cutoff": "1"}
    values = {**{f: getattr(spec, f) for f in _TEXT}, **{f: getattr(spec, f) for f in _NUMBERS}}
    fields = {name: "" if value is None else str(value) for name, value in values.items()}
    if spec.allow_unassociated_targets:
        fields["allow_unassociated_targets"] = "on"
    return fields


def new_window(_services: Services, _request: Request) -> dict[str, Any]:
    return {
        "form": {**_fields(None), "client_token": secrets.token_hex(16)},
        "zones": zone_names(),
        "window": None,
    }


def edit_window(services: Services, request: Request) -> dict[str, Any]:
    window = services.windows.get(request.path_params["window_id"])
    return {"form": _fields(window.spec), "zones": zone_names(), "window": window}


def create(services: Services, request: Request, form: Mapping[str, str]) -> str:
    params = window_params(form)
    tags = tags_of(form.get("tags", ""))
    if tags:
        params["Tags"] = tags
    if form.get("client_token"):
        params["ClientToken"] = form["client_token"]
    window_id = invoke(services, signed_in(request), "CreateMaintenanceWindow", params)["WindowId"]
    return f"{PREFIX}/windows/{window_id}"


def update(services: Services, request: Request, form: Mapping[str, str]) -> str:
    window_id = request.path_params["window_id"]
    params = {"WindowId": window_id, **window_params(form), "Replace": True}
    invoke(services, signed_in(request), "UpdateMaintenanceWindow", params)
    return f"{PREFIX}/windows/{window_id}"


def preview(services: Services, request: Request) -> dict[str, Any]:
    """The schedule the form's fields (in the query) describe: its plain words and next
    runs, or the API's message refusing it. Name is not previewed."""
    params = {"Name": "preview", **window_params(request.query_params)}
    try:
        validator(SSM.model)("CreateMaintenanceWindow", params)
        spec = WindowSpec(**fields_from(params, WindowSpec))
        text, runs = services.windows.preview(spec, PREVIEW_RUNS)
    except ClientError as refused:
        return {"error": refused.message}
    return {
        "explained": text,
        "runs": [{"at": run.isoformat().replace("+00:00", "Z"), "aws": aws} for run, aws in runs],
    }
