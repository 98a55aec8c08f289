"""Run Command: SendCommand, ListCommands, ListCommandInvocations, GetCommandInvocation,
CancelCommand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from transom.domain.commands import FINAL_STATUSES, Command, Invocation, PluginRun
from transom.domain.errors import InvalidFilterKeyError, InvalidPluginNameError
from transom.protocol.awsjson.members import page_of
from transom.protocol.awsjson.registry import Params, operation
from transom.schedule import parse_iso_datetime
from transom.services.commands import CommandView
from transom.services.container import Services
from transom.services.output_links import OutputStream

STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
PLUGIN_OUTPUT_LIMIT = 2_500
_ECHOED = ("OutputS3Region", "OutputS3BucketName", "OutputS3KeyPrefix")
_EMPTY_NOTIFICATION = {"NotificationArn": "", "NotificationEvents": [], "NotificationType": ""}
_EMPTY_CLOUDWATCH = {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False}


def command_members(view: CommandView) -> Params:
    """The Command shape, with the empty strings and structures AWS returns for unset members."""
    command = view.command
    request = command.request or {}
    return {
        "CommandId": command.command_id,
        "DocumentName": command.document_name,
        "DocumentVersion": request.get("DocumentVersion", ""),
        "Comment": command.comment,
        "ExpiresAfter": command.expires_after,
        "Parameters": command.parameters,
        "InstanceIds": command.instance_ids,
        "Targets": command.targets,
        "RequestedDateTime": command.requested_date,
        "Status": command.status,
        "StatusDetails": command.status_details,
        **{member: request.get(member, "") for member in _ECHOED},
        "MaxConcurrency": command.max_concurrency,
        "MaxErrors": command.max_errors,
        "TargetCount": view.target_count,
        "CompletedCount": view.completed_count,
        "ErrorCount": view.error_count,
        "DeliveryTimedOutCount": view.delivery_timed_out_count,
        **_notification_members(command),
        "TimeoutSeconds": command.timeout_seconds,
    }


def _notification_members(command: Command) -> Params:
    """ServiceRole, NotificationConfig and CloudWatchOutputConfig as SendCommand set them."""
    request = command.request or {}
    return {
        "ServiceRole": request.get("ServiceRoleArn", ""),
        "NotificationConfig": request.get("NotificationConfig", _EMPTY_NOTIFICATION),
        "CloudWatchOutputConfig": request.get("CloudWatchOutputConfig", _EMPTY_CLOUDWATCH),
    }


@operation("SendCommand")
def send_command(services: Services, params: Params) -> Params:
    authorizer = services.authorizer
    echoed = (
        *_ECHOED,
        "DocumentVersion",
        "ServiceRoleArn",
        "NotificationConfig",
        "CloudWatchOutputConfig",
    )
    command = services.commands.send(
        document_name=params["DocumentName"],
        document_version=params.get("DocumentVersion"),
        document_hash=params.get("DocumentHash"),
        document_hash_type=params.get("DocumentHashType"),
        parameters=params.get("Parameters", {}),
        instance_ids=params.get("InstanceIds", []),
        targets=params.get("Targets", []),
        timeout_seconds=params.get("TimeoutSeconds", 3600),
        max_concurrency=params.get("MaxConcurrency", "50"),
        max_errors=params.get("MaxErrors", "0"),
        comment=params.get("Comment", ""),
        request={k: params[k] for k in echoed if k in params},
        authorize=lambda ids, node_tags: authorizer.check_caller(
            "ssm:SendCommand", map(authorizer.arns.node, ids), authorizer.node_tags_of(node_tags)
        ),
    )
    return {"Command": command_members(services.commands.view(command.command_id))}


_COMMAND_FILTERS = ("InvokedAfter", "InvokedBefore", "Status", "ExecutionStage", "DocumentName")


def _iso(value: str) -> datetime:
    return parse_iso_datetime(value, "Filter value")


def _matches(command: Command, key: str, value: str) -> bool:
    if key == "InvokedAfter":
        return command.requested_date >= _iso(value)
    if key == "InvokedBefore":
        return command.requested_date <= _iso(value)
    if key == "Status":
        return value in (command.status, command.status_details.replace(" ", ""))
    if key == "ExecutionStage":
        final = command.status in FINAL_STATUSES
        return value == ("Complete" if final else "Executing")
    return command.document_name == value


def _filters(params: Params, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = [(f["key"], f["value"]) for f in params.get("Filters", [])]
    bad = [k for k, _ in pairs if k not in allowed]
    if bad:
        raise InvalidFilterKeyError(
            f"Filter key {bad[0]!r} is not supported here; use one of: {', '.join(allowed)}."
        )
    return pairs


@operation("ListCommands")
def list_commands(services: Services, params: Params) -> Params:
    filters = _filters(params, _COMMAND_FILTERS)
    if "CommandId" in params:
        commands = [services.commands.view(params["CommandId"]).command]
    else:
        commands = services.commands.commands()
    instance_id = params.get("InstanceId")
    chosen = [
        c
        for c in commands
        if (instance_id is None or instance_id in c.instance_ids)
        and all(_matches(c, k, v) for k, v in filters)
    ]
    page, token = page_of("ListCommands", params, chosen, 50)
    return {
        "Commands": [command_members(v) for v in services.commands.views(page)],
        **({"NextToken": token} if token else {}),
    }


def _output_urls(services: Services, invocation: Invocation, plugin: str) -> Params:
    """StandardOutputUrl and StandardErrorUrl: links to `plugin`'s whole output."""
    links = services.output_links
    ids = (invocation.command_id, invocation.instance_id, plugin)
    return {
        "StandardOutputUrl": links.url(*ids, OutputStream.STDOUT),
        "StandardErrorUrl": links.url(*ids, OutputStream.STDERR),
    }


class _Plugin(NamedTuple):
    """One plugin (step) of an invocation as the API shows it."""

    name: str
    status: str
    details: str
    response_code: int
    stdout: str
    stderr: str
    started: datetime | None
    finished: datetime | None


def _plugins(invocation: Invocation, steps: list[str], reported: list[PluginRun]) -> list[_Plugin]:
    """The invocation's plugins: the steps' results its agent reported, or else each step
    as the invocation stands (Pending, In Progress, or ended as a whole: by the server, or
    reported by an agent of wire version 1, whose one step has the invocation's output)."""
    if reported:
        return [
            _Plugin(
                p.name,
                p.status,
                p.details,
                p.response_code,
                p.stdout,
                p.stderr,
                p.started_date,
                p.finished_date,
            )
            for p in reported
        ]
    one = len(steps) <= 1
    return [
        _Plugin(
            name,
            invocation.status,
            invocation.details,
            invocation.response_code,
            invocation.stdout if one else "",
            invocation.stderr if one else "",
            invocation.started_date,
            invocation.finished_date,
        )
        for name in steps or [""]
    ]


def _plugin_members(services: Services, invocation: Invocation, plugin: _Plugin) -> Params:
    return {
        "Name": plugin.name,
        "Status": plugin.status,
        "StatusDetails": plugin.details,
        "ResponseCode": plugin.response_code,
        **({"ResponseStartDateTime": plugin.started} if plugin.started else {}),
        **({"ResponseFinishDateTime": plugin.finished} if plugin.finished else {}),
        "Output": (plugin.stdout + plugin.stderr)[:PLUGIN_OUTPUT_LIMIT],
        **_output_urls(services, invocation, plugin.name),
        "OutputS3Region": "",
        "OutputS3BucketName": "",
        "OutputS3KeyPrefix": "",
    }


@operation("ListCommandInvocations")
def list_command_invocations(services: Services, params: Params) -> Params:
    filters = _filters(params, ("InvokedAfter", "InvokedBefore", "Status", "DocumentName"))
    found = services.commands.invocations(params.get("CommandId"), params.get("InstanceId"))
    chosen = [
        (i, c)
        for i, c in found
        if all(
            i.status == v or i.details.replace(" ", "") == v if k == "Status" else _matches(c, k, v)
            for k, v in filters
        )
    ]
    page, token = page_of("ListCommandInvocations", params, chosen, 50)
    out = []
    steps_of: dict[str, list[str]] = {}  # the page's invocations share few commands
    reported: dict[str, dict[str, list[PluginRun]]] = {}
    for invocation, command in page:
        if command.command_id not in steps_of:
            steps_of[command.command_id] = services.documents.step_names(command)
        steps = steps_of[command.command_id]
        item: Params = {
            "CommandId": command.command_id,
            "InstanceId": invocation.instance_id,
            "InstanceName": invocation.instance_name,
            "Comment": command.comment,
            "DocumentName": command.document_name,
            "DocumentVersion": "",
            "RequestedDateTime": command.requested_date,
            "Status": invocation.status,
            "StatusDetails": invocation.details,
            # as AWS: the invocation's own links when the document has one step
            **(
                _output_urls(services, invocation, steps[0])
                if len(steps) == 1
                else {"StandardOutputUrl": "", "StandardErrorUrl": ""}
            ),
            "CommandPlugins": [],
            **_notification_members(command),
        }
        if params.get("Details"):
            if command.command_id not in reported:
                reported[command.command_id] = services.commands.plugins(command.command_id)
            plugins = _plugins(
                invocation, steps, reported[command.command_id].get(invocation.instance_id, [])
            )
            item["CommandPlugins"] = [_plugin_members(services, invocation, p) for p in plugins]
        out.append(item)
    return {"CommandInvocations": out, **({"NextToken": token} if token else {})}


def _iso_string(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _duration(span: timedelta | None) -> str:
    return "" if span is None else f"PT{span.total_seconds():.3f}S"


@operation("GetCommandInvocation")
def get_command_invocation(services: Services, params: Params) -> Params:
    invocation, command = services.commands.invocation(params["CommandId"], params["InstanceId"])
    steps = services.documents.step_names(command)
    reported = services.commands.plugins(command.command_id, invocation.instance_id)
    plugins = _plugins(invocation, steps, reported.get(invocation.instance_id, []))
    wanted = params.get("PluginName")
    if wanted is None:
        # the invocation as a whole; its one plugin's name when it has one
        shown = _Plugin(
            plugins[0].name if len(plugins) == 1 else "",
            invocation.status,
            invocation.details,
            invocation.response_code,
            invocation.stdout,
            invocation.stderr,
            invocation.started_date,
            invocation.finished_date,
        )
    else:
        found = [p for p in plugins if p.name == wanted]
        if not found:
            raise InvalidPluginNameError(
                f"{command.document_name} has no step {wanted}; its steps are "
                f"{', '.join(p.name for p in plugins)}."
            )
        shown = found[0]
    span = shown.finished - shown.started if shown.finished and shown.started else None
    return {
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "Comment": command.comment,
        "DocumentName": command.document_name,
        "DocumentVersion": "",
        "PluginName": shown.name,
        "ResponseCode": shown.response_code,
        "ExecutionStartDateTime": _iso_string(shown.started),
        "ExecutionElapsedTime": _duration(span),
        "ExecutionEndDateTime": _iso_string(shown.finished),
        "Status": shown.status,
        "StatusDetails": shown.details,
        "StandardOutputContent": shown.stdout[:STDOUT_LIMIT],
        "StandardErrorContent": shown.stderr[:STDERR_LIMIT],
        **_output_urls(services, invocation, shown.name),
        "CloudWatchOutputConfig": _notification_members(command)["CloudWatchOutputConfig"],
    }


@operation("CancelCommand")
def cancel_command(services: Services, params: Params) -> Params:
    services.commands.cancel(params["CommandId"], params.get("InstanceIds", []))
    return {}
