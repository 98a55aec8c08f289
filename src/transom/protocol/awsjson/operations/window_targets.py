"""RegisterTargetWithMaintenanceWindow, UpdateMaintenanceWindowTarget, Deregister..., Describe..."""

from __future__ import annotations

from transom.domain.windows import ResourceType, TargetSpec, WindowTarget
from transom.protocol.awsjson.members import fields_from, filter_values, page_of, to_members
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services

_FILTERS = ("Type", "WindowTargetId", "OwnerInformation")
_MEMBER = {"Type": "ResourceType"}


def _members(target: WindowTarget) -> Params:
    return {
        "WindowId": target.window_id,
        "WindowTargetId": target.window_target_id,
        **to_members(target.spec),
    }


@operation("RegisterTargetWithMaintenanceWindow")
def register(services: Services, params: Params) -> Params:
    fields = fields_from(params, TargetSpec)
    spec = TargetSpec(**{**fields, "resource_type": ResourceType(params["ResourceType"])})
    target_id = services.targets.register(params["WindowId"], spec, params.get("ClientToken"))
    return {"WindowTargetId": target_id}


@operation("UpdateMaintenanceWindowTarget")
def update(services: Services, params: Params) -> Params:
    changes = fields_from(params, TargetSpec)
    target = services.targets.update(
        params["WindowId"], params["WindowTargetId"], changes, params.get("Replace", False)
    )
    return {k: v for k, v in _members(target).items() if k != "ResourceType"}


@operation("DeregisterTargetFromMaintenanceWindow")
def deregister(services: Services, params: Params) -> Params:
    services.targets.deregister(
        params["WindowId"], params["WindowTargetId"], params.get("Safe", False)
    )
    return {"WindowId": params["WindowId"], "WindowTargetId": params["WindowTargetId"]}


@operation("DescribeMaintenanceWindowTargets")
def describe(services: Services, params: Params) -> Params:
    filters = filter_values(params, _FILTERS)
    listed = [_members(t) for t in services.targets.list(params["WindowId"])]
    matching = [
        m
        for m in listed
        if all(m.get(_MEMBER.get(key, key)) in values for key, values in filters.items())
    ]
    page, token = page_of("DescribeMaintenanceWindowTargets", params, matching, 100)
    return {"Targets": list(page), **({"NextToken": token} if token else {})}
