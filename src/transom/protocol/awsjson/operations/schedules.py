"""DescribeMaintenanceWindowSchedule and DescribeMaintenanceWindowsForTarget."""

from __future__ import annotations

from transom.domain.windows import ResourceType
from transom.protocol.awsjson.members import decode_token, encode_token, filter_values, page_of
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services
from transom.services.schedules import (
    MAX_SCHEDULE_PAGE,
    SCHEDULE_FILTERS,
    SCHEDULE_POSITIONS,
    schedule_span,
)

_SCHEDULE = "DescribeMaintenanceWindowSchedule"
_FOR_TARGET = "DescribeMaintenanceWindowsForTarget"
_DEFAULT_PAGE = 100


def _resource_type(params: Params) -> ResourceType | None:
    value = params.get("ResourceType")
    return None if value is None else ResourceType(value)


@operation(_SCHEDULE)
def describe_schedule(services: Services, params: Params) -> Params:
    page = services.schedules.schedule(
        params.get("WindowId"),
        _resource_type(params),
        params.get("Targets"),
        schedule_span(filter_values(params, SCHEDULE_FILTERS)),
        decode_token(_SCHEDULE, params, SCHEDULE_POSITIONS),
        params.get("MaxResults", MAX_SCHEDULE_PAGE),
    )
    out: Params = {
        "ScheduledWindowExecutions": [
            {"WindowId": r.window_id, "Name": r.name, "ExecutionTime": r.execution_time}
            for r in page.items
        ]
    }
    token = encode_token(_SCHEDULE, page.next_after)
    if token:
        out["NextToken"] = token
    return out


@operation(_FOR_TARGET)
def describe_for_target(services: Services, params: Params) -> Params:
    windows = services.schedules.windows_for_target(
        ResourceType(params["ResourceType"]), params["Targets"]
    )
    identities = [{"WindowId": w.window_id, "Name": w.spec.name} for w in windows]
    page, token = page_of(_FOR_TARGET, params, identities, _DEFAULT_PAGE)
    return {"WindowIdentities": list(page), **({"NextToken": token} if token else {})}
