"""The activations page: list activations (DescribeActivations), create one
(CreateActivation) and show its code this once with the `transom agent register` line to
paste on a host, and delete one (DeleteActivation); each as the API's operation, so a
refusal shows the API's message.

The line gives the code on standard input (`echo` is a shell builtin, so `ps` never shows
it) and, when the console is served over https, `--ca-file` for the CA the agent verifies
the server's certificate with."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from transom.api.console.api_pages import api_page
from transom.api.console.pages import PREFIX, caller_of
from transom.api.console.window_forms import tags_of
from transom.domain.errors import ValidationError
from transom.protocol.awsjson.invoke import invoke
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services

PAGE = 50
FORM_DEFAULTS = {"iam_role": "transom", "registration_limit": "1"}
CA_FILE = "ca.pem"


def activations(services: Services, request: Request) -> dict[str, Any]:
    """A page of activations (`next`: DescribeActivations' NextToken) and the create form."""
    page = api_page(services, request, "DescribeActivations", "ActivationList", PAGE)
    return {
        **page.context("activations"),
        "form": dict(FORM_DEFAULTS),
        "created": None,
    }


def _expiration(text: str) -> float:
    """A `YYYY-MM-DDTHH:MM` in UTC (a datetime-local field) as Unix seconds."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "Expires must be a date and time in UTC such as 2030-01-31T18:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def register_line(server: str, activation_id: str, code: str, tls: bool) -> str:
    """The shell line that registers a host with this activation."""
    ca = f" --ca-file {CA_FILE}" if tls else ""
    return (
        f"echo {shlex.quote(code)} | transom agent register --server {shlex.quote(server)}"
        f"{ca} --id {shlex.quote(activation_id)}"
    )


def create(services: Services, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    """CreateActivation; answers the page with the new activation's code and register line."""
    params: Params = {"IamRole": form.get("iam_role", "").strip()}
    for field, member in (("description", "Description"), ("default_name", "DefaultInstanceName")):
        if form.get(field, "").strip():
            params[member] = form[field].strip()
    limit = form.get("registration_limit", "").strip()
    if limit:
        params["RegistrationLimit"] = int(limit) if limit.isdigit() else limit
    if form.get("expires", "").strip():
        params["ExpirationDate"] = _expiration(form["expires"])
    tags = tags_of(form.get("tags", ""))
    if tags:
        params["Tags"] = tags
    made = invoke(services, caller_of(request), "CreateActivation", params)
    server = str(request.base_url).rstrip("/")
    tls = request.url.scheme == "https"
    return {
        **activations(services, request),
        "created": {
            "id": made["ActivationId"],
            "code": made["ActivationCode"],
            "line": register_line(server, made["ActivationId"], made["ActivationCode"], tls),
            "tls": tls,
        },
    }


def delete(services: Services, request: Request, form: Mapping[str, str]) -> str:
    invoke(
        services,
        caller_of(request),
        "DeleteActivation",
        {"ActivationId": form.get("activation", "")},
    )
    return f"{PREFIX}/activations"
