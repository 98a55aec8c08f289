"""What the HTTP edge records in the audit trail (`transom.services.audit`), the same way for
every protocol: each, once it has its answer, asks `audited(api, operation, outcome)` and,
when so, hands `record` an `AuditedCall`.

- **Which calls**: every call of an operation that changes something (`CHANGES`), whatever
  its outcome, and every call refused for who made it (`DENIED`: authentication failed, or
  access denied), whatever its operation. Never a successful read (`READS`): `audited` is a
  set lookup, so reads cost nothing more. Every registered operation is in exactly one of
  `CHANGES` and `READS` (a test checks it).
- **Parameters**: the request's members as decoded, each value the model marks `sensitive`
  (SSM's command and task `Parameters`, a window's `Description`, ...) and each member
  named in `SECRET_MEMBERS` replaced by `REDACTED`, and so is any member the model does not
  have or whose value is not of its shape; strings are cut to `MAX_CHARS`, lists to
  `MAX_ITEMS`.
- **Resources**: the ids the request names and the ones its answer returns (a create's new
  id), by the members in `ID_MEMBERS`, as the API spells them: ids for SSM, ARNs for SNS
  and EventBridge (a rule's name is recorded as its ARN).

`record` never raises: a record that cannot be written is logged and the call answered as
it would have been.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from transom.domain.audit import REDACTED, SUCCESS, AuditRecord
from transom.protocol.awsjson.model import input_shape, operation_names
from transom.protocol.edge import as_api_error
from transom.services.container import Services

log = logging.getLogger(__name__)

MAX_CHARS = 256
MAX_ITEMS = 100

CHANGES: Mapping[str, frozenset[str]] = {
    "ssm": frozenset(
        {
            "AddTagsToResource",
            "CancelCommand",
            "CancelMaintenanceWindowExecution",
            "CreateActivation",
            "CreateDocument",
            "CreateMaintenanceWindow",
            "DeleteActivation",
            "DeleteDocument",
            "DeleteMaintenanceWindow",
            "DeregisterManagedInstance",
            "DeregisterTargetFromMaintenanceWindow",
            "DeregisterTaskFromMaintenanceWindow",
            "RegisterTargetWithMaintenanceWindow",
            "RegisterTaskWithMaintenanceWindow",
            "RemoveTagsFromResource",
            "SendCommand",
            "UpdateDocument",
            "UpdateDocumentDefaultVersion",
            "UpdateMaintenanceWindow",
            "UpdateMaintenanceWindowTarget",
            "UpdateMaintenanceWindowTask",
            "UpdateManagedInstanceRole",
        }
    ),
    "events": frozenset(
        {
            "DeleteRule",
            "DisableRule",
            "EnableRule",
            "PutRule",
            "PutTargets",
            "RemoveTargets",
            "TagResource",
            "UntagResource",
        }
    ),
    "sns": frozenset(
        {
            "ConfirmSubscription",
            "CreateTopic",
            "DeleteTopic",
            "Publish",
            "SetSubscriptionAttributes",
            "SetTopicAttributes",
            "Subscribe",
            "TagResource",
            "Unsubscribe",
            "UntagResource",
        }
    ),
    "rest": frozenset({"StartWindowExecution"}),
}
"""The operations that change something, by API."""

READS: Mapping[str, frozenset[str]] = {
    "ssm": frozenset(
        {
            "DescribeActivations",
            "DescribeDocument",
            "DescribeInstanceInformation",
            "DescribeMaintenanceWindowExecutionTaskInvocations",
            "DescribeMaintenanceWindowExecutionTasks",
            "DescribeMaintenanceWindowExecutions",
            "DescribeMaintenanceWindowSchedule",
            "DescribeMaintenanceWindowTargets",
            "DescribeMaintenanceWindowTasks",
            "DescribeMaintenanceWindows",
            "DescribeMaintenanceWindowsForTarget",
            "GetCommandInvocation",
            "GetDocument",
            "GetMaintenanceWindow",
            "GetMaintenanceWindowExecution",
            "GetMaintenanceWindowExecutionTask",
            "GetMaintenanceWindowExecutionTaskInvocation",
            "GetMaintenanceWindowTask",
            "ListCommandInvocations",
            "ListCommands",
            "ListDocumentVersions",
            "ListDocuments",
            "ListTagsForResource",
        }
    ),
    "events": frozenset(
        {
            "DescribeRule",
            "ListRules",
            "ListTagsForResource",
            "ListTargetsByRule",
            "TestEventPattern",
        }
    ),
    "sns": frozenset(
        {
            "GetSubscriptionAttributes",
            "GetTopicAttributes",
            "ListSubscriptions",
            "ListSubscriptionsByTopic",
            "ListTagsForResource",
            "ListTopics",
        }
    ),
    "rest": frozenset({"GetCommandOutput", "GetEvents", "ListDeliveries", "GetAuditRecords"}),
}
"""The operations that change nothing, by API."""

DENIED = frozenset(
    {
        # AWS JSON (and REST) codes
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        # the same refusals in the Query protocol (SNS)
        "MissingAuthenticationToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AuthorizationError",
    }
)
"""Error codes of calls refused for who made them: recorded whatever the operation."""

SECRET_MEMBERS = frozenset(
    {
        "Content",  # a document's content: its scripts may hold secrets
        "Endpoint",  # an SNS endpoint URL may carry credentials or a webhook's token
        "Input",  # what an EventBridge target is sent
        "Message",  # what SNS publishes
        "Token",  # an SNS subscription's token authorizes confirming or unsubscribing it
    }
)
"""Members recorded as `REDACTED` although the model does not mark them sensitive."""

ID_MEMBERS = (
    "WindowId",
    "WindowTargetId",
    "WindowTaskId",
    "WindowExecutionId",
    "InstanceId",
    "InstanceIds",
    "DocumentName",
    "CommandId",
    "ActivationId",
    "ResourceId",
    "TopicArn",
    "SubscriptionArn",
    "ResourceArn",
    "ResourceARN",
    "RuleArn",
)
"""Members whose values are resources, in the request or (one level deep) in its answer."""


@dataclass(frozen=True)
class Caller:
    access_key_id: str | None
    """The key that signed the call, or claimed to; None when none did."""
    source: str
    """The client's address (`transom.api.edge.source_of`)."""


@dataclass(frozen=True)
class AuditedCall:
    caller: Caller
    api: str
    """`ssm`, `events`, `sns` (their botocore models redact parameters), `rest`, or
    `unknown` (a refused call naming no API the server has)."""
    operation: str
    outcome: str
    """`SUCCESS` or the error code answered."""
    params: Mapping[str, Any] | None
    """The request's members as decoded; None when they could not be."""
    result: Mapping[str, Any] | None = None
    """The answer's members, for the ids a create returns."""
    resources: Sequence[str] = ()
    """Resources the protocol names itself (a REST path's id)."""


def audited(api: str | None, operation: str | None, outcome: str | None) -> bool:
    """Whether a call of `operation` of `api` answered with `outcome` (None: success) is
    recorded."""
    return outcome in DENIED or operation in CHANGES.get(api or "", ())


def record(services: Services, call: AuditedCall) -> None:
    """Write `call`'s record, stamped by the trail's clock; logs, never raises, when it
    cannot be written."""
    try:
        services.audit.record(
            AuditRecord(
                at=datetime.now(UTC),  # the trail stamps it with its clock
                access_key_id=call.caller.access_key_id,
                source=call.caller.source,
                api=call.api,
                operation=call.operation,
                resources=_resources(services, call),
                outcome=call.outcome,
                parameters=kept_parameters(call),
            )
        )
    except Exception as exc:  # its message may hold request data: only its class is logged
        log.error(
            "the audit record of a %s call was not written: %s",
            call.operation[:128],
            type(exc).__name__,
        )


def audit_call(
    services: Services,
    caller: Caller,
    api: str,
    operation: str,
    params: Mapping[str, Any],
    act: Callable[[], Mapping[str, Any]],
    resources: Sequence[str] = (),
) -> Mapping[str, Any]:
    """`act()`'s answer (or its exception, raised again), the call recorded when audited:
    for callers inside the server (the console's forms)."""
    result = None
    error = None
    try:
        result = act()
    except Exception as exc:
        error = as_api_error(exc).code
        raise
    finally:
        if audited(api, operation, error):
            outcome = error or SUCCESS
            call = AuditedCall(caller, api, operation, outcome, params, result, resources)
            record(services, call)
    return result


def _shape(api: str, operation: str) -> StructureShape | None:
    if api in ("ssm", "events", "sns") and operation in operation_names(api):
        return input_shape(api, operation)
    return None


def kept_parameters(call: AuditedCall) -> dict[str, Any]:
    """What the record of `call` keeps of its request: its members, secrets redacted."""
    if not isinstance(call.params, Mapping):
        return {}
    shape = _shape(call.api, call.operation)
    if shape is None:
        return dict.fromkeys(call.params, REDACTED) if call.api != "rest" else {}
    redacted = _redacted(shape, call.params)
    return redacted if isinstance(redacted, dict) else {}


def _sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive") or shape.serialization.get("sensitive"))


def _redacted(shape: Shape | None, value: Any) -> Any:
    """`value` with its secrets replaced, as `shape` describes it (None: not in the model)."""
    if shape is None or _sensitive(shape):
        return REDACTED
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            return REDACTED
        return {
            str(name): REDACTED
            if name in SECRET_MEMBERS
            else _redacted(shape.members.get(name), member)
            for name, member in value.items()
        }
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return REDACTED
        return [_redacted(shape.member, item) for item in value[:MAX_ITEMS]]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return REDACTED
        items = list(value.items())[:MAX_ITEMS]
        return {str(key)[:MAX_CHARS]: _redacted(shape.value, item) for key, item in items}
    if isinstance(value, str):
        return value[:MAX_CHARS]
    if value is None or isinstance(value, bool | int | float):
        return value
    return REDACTED


def _resources(services: Services, call: AuditedCall) -> tuple[str, ...]:
    found: list[str] = list(call.resources)
    names: tuple[str, ...] = ()
    if call.api == "events":
        names = ("Name", "Rule")  # rules, by name
    elif call.api == "ssm" and "Document" in call.operation:
        names = ("Name",)  # documents, by name
    for members in (call.params, call.result):
        if not isinstance(members, Mapping):
            continue
        nested = [v for v in members.values() if isinstance(v, Mapping)]
        for level in (members, *nested):
            for name in (*ID_MEMBERS, *names):
                value = level.get(name)
                values = value if isinstance(value, list) else [value]
                for item in values[:MAX_ITEMS]:
                    if isinstance(item, str) and item:
                        named = call.api == "events" and name in names
                        found.append((services.rules.rule_arn(item) if named else item)[:MAX_CHARS])
    return tuple(dict.fromkeys(found))
