"""RegisterTaskWithMaintenanceWindow, UpdateMaintenanceWindowTask, Get..., Deregister...,
DescribeMaintenanceWindowTasks. Get says `TaskType` where Describe says `Type` (SPEC.md §b.13)."""

from __future__ import annotations

from transom.domain.windows import TaskSpec, TaskType, WindowTask
from transom.protocol.awsjson.members import fields_from, filter_values, page_of, to_members
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services

TARGETLESS_PLACEHOLDER = "1"
"""What AWS reports as MaxConcurrency/MaxErrors of a task without targets (SPEC.md §b.10)."""


def _members(task: WindowTask) -> Params:
    out: Params = {
        "WindowId": task.window_id,
        "WindowTaskId": task.window_task_id,
        "TaskParameters": {},
        **to_members(task.spec),
    }
    if not task.spec.targets:
        out["MaxConcurrency"] = out["MaxErrors"] = TARGETLESS_PLACEHOLDER
    return out


def _check_role(services: Services, params: Params) -> None:
    """A ServiceRoleArn must name a known role (`RoleService.require`) the caller may pass."""
    role_arn = params.get("ServiceRoleArn")
    if role_arn:
        services.roles.require(role_arn)
        services.authorizer.check_caller("iam:PassRole", [role_arn])


@operation("RegisterTaskWithMaintenanceWindow")
def register(services: Services, params: Params) -> Params:
    _check_role(services, params)
    fields = fields_from(params, TaskSpec)
    spec = TaskSpec(
        **{
            **fields,
            "targets": params.get("Targets", []),
            "task_type": TaskType(params["TaskType"]),
        }
    )
    task_id = services.tasks.register(params["WindowId"], spec, params.get("ClientToken"))
    return {"WindowTaskId": task_id}


@operation("UpdateMaintenanceWindowTask")
def update(services: Services, params: Params) -> Params:
    _check_role(services, params)
    changes = fields_from(params, TaskSpec)
    changes.pop("task_type", None)
    task = services.tasks.update(
        params["WindowId"], params["WindowTaskId"], changes, params.get("Replace", False)
    )
    out = _members(task)
    del out["TaskType"]
    return out


@operation("GetMaintenanceWindowTask")
def get(services: Services, params: Params) -> Params:
    return _members(services.tasks.get(params["WindowId"], params["WindowTaskId"]))


_FILTERS = ("WindowTaskId", "TaskArn", "Priority", "TaskType")


@operation("DescribeMaintenanceWindowTasks")
def describe(services: Services, params: Params) -> Params:
    filters = filter_values(params, _FILTERS)
    listed = [_members(t) for t in services.tasks.list(params["WindowId"])]
    matching = [
        m for m in listed if all(str(m.get(key)) in values for key, values in filters.items())
    ]
    page, token = page_of("DescribeMaintenanceWindowTasks", params, matching, 100)
    tasks = []
    for members in page:
        listed_task = {k: v for k, v in members.items() if k != "TaskInvocationParameters"}
        listed_task["Type"] = listed_task.pop("TaskType")
        tasks.append(listed_task)
    return {"Tasks": tasks, **({"NextToken": token} if token else {})}


@operation("DeregisterTaskFromMaintenanceWindow")
def deregister(services: Services, params: Params) -> Params:
    services.tasks.deregister(params["WindowId"], params["WindowTaskId"])
    return {"WindowId": params["WindowId"], "WindowTaskId": params["WindowTaskId"]}
