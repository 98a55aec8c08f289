"""Which resources each AWS JSON operation touches, as the ARNs its caller's policy is asked
about (`services.authorization`): one entry per operation of every API, like AWS's list of
actions and resource types. An operation on no particular resource touches `ANYTHING`.

SendCommand's target nodes are known only once its targets are resolved: `CommandService.send`
asks about them then, before anything is written; RegisterTaskWithMaintenanceWindow and
UpdateMaintenanceWindowTask ask for `iam:PassRole` on their ServiceRoleArn likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from transom.protocol.awsjson.registry import Params
from transom.services.authorization import ANYTHING, Arns

Touches = Callable[[Arns, Params], list[str]]
"""The ARNs a validated request touches."""


def _anything(_arns: Arns, _params: Params) -> list[str]:
    return [ANYTHING]


def _window(arns: Arns, params: Params) -> list[str]:
    return [arns.window(params["WindowId"])]


def _window_if_named(arns: Arns, params: Params) -> list[str]:
    return [arns.window(params["WindowId"])] if "WindowId" in params else [ANYTHING]


def _document(member: str) -> Touches:
    return lambda arns, params: [arns.document(params[member])]


def _node(arns: Arns, params: Params) -> list[str]:
    return [arns.node(params["InstanceId"])]


_TAGGED = {
    "MaintenanceWindow": Arns.window,
    "Document": Arns.document,
    "ManagedInstance": Arns.node,
}


def _tagged(arns: Arns, params: Params) -> list[str]:
    """The resource of the tag operations, by ResourceType (those Transom does not keep tags
    for are refused by the handler, after this check)."""
    kind, resource_id = params["ResourceType"], params["ResourceId"]
    build = _TAGGED.get(kind)
    return [build(arns, resource_id) if build else arns.realm.arn("ssm", f"{kind}/{resource_id}")]


def _rule(member: str) -> Touches:
    return lambda arns, params: [arns.rule(params[member])]


def _arn(member: str) -> Touches:
    return lambda _arns, params: [params[member]]


SSM: Mapping[str, Touches] = {
    "CreateDocument": _document("Name"),
    "GetDocument": _document("Name"),
    "DescribeDocument": _document("Name"),
    "UpdateDocument": _document("Name"),
    "UpdateDocumentDefaultVersion": _document("Name"),
    "DeleteDocument": _document("Name"),
    "ListDocuments": _anything,
    "ListDocumentVersions": _document("Name"),
    "CreateMaintenanceWindow": lambda arns, _params: [arns.window("*")],
    "GetMaintenanceWindow": _window,
    "UpdateMaintenanceWindow": _window,
    "DeleteMaintenanceWindow": _window,
    "DescribeMaintenanceWindows": _anything,
    "CreateActivation": _anything,
    "DescribeActivations": _anything,
    "DeleteActivation": _anything,
    "DescribeInstanceInformation": _anything,
    "DeregisterManagedInstance": _node,
    "UpdateManagedInstanceRole": _node,
    "SendCommand": _document("DocumentName"),
    "ListCommands": _anything,
    "ListCommandInvocations": _anything,
    "GetCommandInvocation": _anything,
    "CancelCommand": _anything,
    "DescribeMaintenanceWindowExecutions": _window,
    "GetMaintenanceWindowExecution": _anything,
    "DescribeMaintenanceWindowExecutionTasks": _anything,
    "GetMaintenanceWindowExecutionTask": _anything,
    "DescribeMaintenanceWindowExecutionTaskInvocations": _anything,
    "GetMaintenanceWindowExecutionTaskInvocation": _anything,
    "CancelMaintenanceWindowExecution": _anything,
    "AddTagsToResource": _tagged,
    "RemoveTagsFromResource": _tagged,
    "ListTagsForResource": _tagged,
    "DescribeMaintenanceWindowSchedule": _window_if_named,
    "DescribeMaintenanceWindowsForTarget": _anything,
    "RegisterTargetWithMaintenanceWindow": _window,
    "UpdateMaintenanceWindowTarget": _window,
    "DeregisterTargetFromMaintenanceWindow": _window,
    "DescribeMaintenanceWindowTargets": _window,
    "RegisterTaskWithMaintenanceWindow": _window,
    "UpdateMaintenanceWindowTask": _window,
    "GetMaintenanceWindowTask": _window,
    "DescribeMaintenanceWindowTasks": _window,
    "DeregisterTaskFromMaintenanceWindow": _window,
}

EVENTS: Mapping[str, Touches] = {
    "PutRule": _rule("Name"),
    "DescribeRule": _rule("Name"),
    "DeleteRule": _rule("Name"),
    "EnableRule": _rule("Name"),
    "DisableRule": _rule("Name"),
    "ListRules": _anything,
    "TestEventPattern": _anything,
    "PutTargets": _rule("Rule"),
    "RemoveTargets": _rule("Rule"),
    "ListTargetsByRule": _rule("Rule"),
    "TagResource": _arn("ResourceARN"),
    "UntagResource": _arn("ResourceARN"),
    "ListTagsForResource": _arn("ResourceARN"),
}
