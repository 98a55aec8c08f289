"""CreateMaintenanceWindow, Get, Update, Delete and DescribeMaintenanceWindows."""

from __future__ import annotations

from transom.domain.errors import ValidationError
from transom.domain.windows import Tag, Window, WindowQuery, WindowSpec
from transom.protocol.awsjson.members import (
    decode_token,
    encode_token,
    fields_from,
    filter_values,
    to_members,
)
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services

DEFAULT_PAGE = 100


def tags_from(params: Params, member: str = "Tags") -> list[Tag]:
    return [Tag(t["Key"], t["Value"]) for t in params.get(member, [])]


def window_members(services: Services | None, window: Window) -> Params:
    """The window's configuration members, and NextExecutionTime (when there is one) if
    `services` is given to compute it."""
    out = {"WindowId": window.window_id, **to_members(window.spec)}
    if services is None:
        return out
    next_run = services.windows.next_execution_time(window)
    if next_run is not None:
        out["NextExecutionTime"] = next_run
    return out


@operation("CreateMaintenanceWindow")
def create(services: Services, params: Params) -> Params:
    spec = WindowSpec(**fields_from(params, WindowSpec))
    window_id = services.windows.create(spec, tags_from(params), params.get("ClientToken"))
    return {"WindowId": window_id}


@operation("GetMaintenanceWindow")
def get(services: Services, params: Params) -> Params:
    window = services.windows.get(params["WindowId"])
    return {
        **window_members(services, window),
        "CreatedDate": window.created_date,
        "ModifiedDate": window.modified_date,
    }


@operation("UpdateMaintenanceWindow")
def update(services: Services, params: Params) -> Params:
    window = services.windows.update(
        params["WindowId"], fields_from(params, WindowSpec), params.get("Replace", False)
    )
    return window_members(None, window)


@operation("DeleteMaintenanceWindow")
def delete(services: Services, params: Params) -> Params:
    services.windows.delete(params["WindowId"])
    return {"WindowId": params["WindowId"]}


def _enabled(values: list[str]) -> bool | None:
    flags = {v.lower() for v in values}
    if not flags <= {"true", "false"}:
        raise ValidationError("The Enabled filter takes the values true or false.")
    return None if len(flags) != 1 else "true" in flags


@operation("DescribeMaintenanceWindows")
def describe(services: Services, params: Params) -> Params:
    filters = filter_values(params, ("Name", "Enabled"))
    query = WindowQuery(
        name_prefixes=tuple(filters.get("Name", ())), enabled=_enabled(filters.get("Enabled", []))
    )
    page = services.windows.describe(
        query,
        decode_token("DescribeMaintenanceWindows", params),
        params.get("MaxResults", DEFAULT_PAGE),
    )
    out: Params = {
        "WindowIdentities": [
            {
                k: v
                for k, v in window_members(services, w).items()
                if k != "AllowUnassociatedTargets"
            }
            for w in page.items
        ]
    }
    token = encode_token("DescribeMaintenanceWindows", page.next_after)
    if token:
        out["NextToken"] = token
    return out
