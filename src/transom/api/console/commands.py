"""The Run Command pages: send a command (SendCommand) to nodes picked from the fleet or to a
tag's nodes, follow one command's invocations and output live, cancel it (CancelCommand),
and page through the history of commands (ListCommands, newest first).

Forms become the operation's request as a client would send it and are `invoke`d, so a
refusal carries the API's message and sends nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from transom.api.console.api_pages import api_page
from transom.api.console.pages import PREFIX, caller_of
from transom.api.console.registrations import picked, values_of
from transom.domain.commands import FINAL_STATUSES
from transom.domain.document_parameters import Parameter, ParameterType
from transom.domain.documents import COMMAND
from transom.protocol.awsjson.invoke import invoke
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services
from transom.services.documents import Resolved

HISTORY_PAGE = 25
DEFAULT_DOCUMENT = "AWS-RunShellScript"
FORM_DEFAULTS = {
    "document": DEFAULT_DOCUMENT,
    "by": "tag",
    "max_concurrency": "50",
    "max_errors": "0",
    "timeout": "3600",
}
_LISTED = (ParameterType.STRING_LIST,)
_SINGLE = (ParameterType.STRING, ParameterType.INTEGER, ParameterType.BOOLEAN)
SHOWN_TYPES = (*_LISTED, *_SINGLE)
"""The parameter types the form has a field for; others are set through the API."""


def documents(services: Services) -> list[Resolved]:
    """The Command documents a command can run, at their default versions."""
    listed = services.documents.listing([])
    return [d.resolved for d in listed if d.resolved.document.document_type == COMMAND]


def field_name(document: str, parameter: Parameter) -> str:
    return f"param:{document}:{parameter.name}"


def parameters_of(document: Resolved, form: Mapping[str, str]) -> dict[str, list[str]]:
    """The document's Parameters the form fills: a StringList from its lines (blanks
    dropped), any other simple type as one value; empty fields left out (their defaults)."""
    out: dict[str, list[str]] = {}
    for parameter in document.content.parameters:
        text = form.get(field_name(document.name, parameter), "")
        if parameter.type in _LISTED:
            lines = [line for line in text.splitlines() if line.strip()]
            if lines:
                out[parameter.name] = lines
        elif parameter.type in _SINGLE and text.strip():
            out[parameter.name] = [text.strip()]
    return out


def history(services: Services, request: Request) -> dict[str, Any]:
    """The send form and a page of the command history (`next`: ListCommands' NextToken)."""
    page = api_page(services, request, "ListCommands", "Commands", HISTORY_PAGE)
    return {
        **page.context("commands"),
        "documents": documents(services),
        "nodes": services.nodes.options(),
        "field_name": field_name,
        "shown_types": SHOWN_TYPES,
        "form": _preset(request),
    }


def _preset(request: Request) -> dict[str, str]:
    """The form's first values: the defaults, with the node in `node` picked."""
    form = dict(FORM_DEFAULTS)
    picked_node = request.query_params.get("node")
    if picked_node:
        form |= {"by": "nodes", f"node:{picked_node}": "on"}
    return form


def send(services: Services, request: Request, form: Mapping[str, str]) -> str:
    """SendCommand with the form's document, parameters, targets and limits."""
    name = form.get("document", "")
    chosen = next((d for d in documents(services) if d.name == name), None)
    params: Params = {"DocumentName": name}
    if chosen is not None:
        params["Parameters"] = parameters_of(chosen, form)
    if form.get("by") == "nodes":
        if nodes := picked(form):
            params["InstanceIds"] = nodes
    elif form.get("tag_key", "").strip() or form.get("tag_values", "").strip():
        key = form.get("tag_key", "").strip()
        params["Targets"] = [{"Key": f"tag:{key}", "Values": values_of(form.get("tag_values", ""))}]
    for field, member in (
        ("max_concurrency", "MaxConcurrency"),
        ("max_errors", "MaxErrors"),
        ("comment", "Comment"),
    ):
        if form.get(field, "").strip():
            params[member] = form[field].strip()
    timeout = form.get("timeout", "").strip()
    if timeout:
        params["TimeoutSeconds"] = int(timeout) if timeout.isdigit() else timeout
    command_id = invoke(services, caller_of(request), "SendCommand", params)["Command"]["CommandId"]
    return f"{PREFIX}/commands/{command_id}"


def command(services: Services, request: Request) -> dict[str, Any]:
    """One command: its counts, and each node's invocation with its whole output."""
    command_id = request.path_params["command_id"]
    view = services.commands.view(command_id)
    invocations = [i for i, _ in services.commands.invocations(command_id, None)]
    found = view.command
    return {
        "view": view,
        "command": found,
        "parameters": json.dumps(found.parameters, indent=2) if found.parameters else "",
        "invocations": invocations,
        "active": found.status not in FINAL_STATUSES,
    }


def cancel(services: Services, request: Request, _form: Mapping[str, str]) -> str:
    command_id = request.path_params["command_id"]
    invoke(services, caller_of(request), "CancelCommand", {"CommandId": command_id})
    return f"{PREFIX}/commands/{command_id}"
