"""What each console page reads, as the SSM operations that answer the same data
(`authorized.Reads`): the signed-in key's policy must allow them as the API would.

Listings of every window (the overview, the windows list, the calendar) read the windows'
executions as DescribeMaintenanceWindowExecutions on `maintenancewindow/*`, and their
schedules as DescribeMaintenanceWindowSchedule on `*`. The pickers of nodes and documents
on the forms are sections: a key that may not list them still sees the rest of the page.
The window form's live preview and the calendar feed page read nothing stored but the
signed-in key's own feed (`NOTHING`); the feed itself is checked at each fetch
(`feed`, against the feed owner's key)."""

from __future__ import annotations

from starlette.requests import Request

from transom.api.console.authorized import (
    EVERY_WINDOW,
    Reads,
    Section,
    every,
    on_anything,
    on_path,
)
from transom.protocol.awsjson.registry import Params

_NODES = Section(on_anything("DescribeInstanceInformation"), [])
_DOCUMENTS = Section(on_anything("ListDocuments"), [])
_WINDOWS = on_anything("DescribeMaintenanceWindows", "DescribeMaintenanceWindowSchedule")
_EXECUTIONS = on_path("DescribeMaintenanceWindowExecutions", WindowId="=" + EVERY_WINDOW)

OVERVIEW = Reads(
    sections={
        "fleet": Section(on_anything("DescribeInstanceInformation")),
        "executions": Section(every(_WINDOWS, _EXECUTIONS)),
        "schedule": Section(_WINDOWS),
    }
)
"""Sections, so that a key limited to some windows still lands on a page that works."""
WINDOWS = Reads(every(_WINDOWS, _EXECUTIONS))
WINDOW = Reads(
    every(
        on_path(
            "GetMaintenanceWindow",
            "DescribeMaintenanceWindowTargets",
            "DescribeMaintenanceWindowTasks",
            "DescribeMaintenanceWindowExecutions",
            "DescribeMaintenanceWindowSchedule",
            WindowId="window_id",
        ),
        on_path("ListTagsForResource", ResourceType="=MaintenanceWindow", ResourceId="window_id"),
    ),
    {"nodes": _NODES, "documents": _DOCUMENTS},
)
EDIT_WINDOW = Reads(on_path("GetMaintenanceWindow", WindowId="window_id"))
EXECUTION = Reads(
    on_anything(
        "GetMaintenanceWindowExecution",
        "DescribeMaintenanceWindowExecutionTasks",
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        "GetCommandInvocation",
    ),
    {"window_name": Section(on_anything("DescribeMaintenanceWindows"))},
)
NODES = Reads(on_anything("DescribeInstanceInformation"))
NODE = Reads(
    every(
        on_anything("DescribeInstanceInformation", "ListCommands", "ListCommandInvocations"),
        on_path("ListTagsForResource", ResourceType="=ManagedInstance", ResourceId="instance_id"),
    )
)
COMMANDS = Reads(on_anything("ListCommands"), {"nodes": _NODES, "documents": _DOCUMENTS})
COMMAND = Reads(on_anything("ListCommands", "ListCommandInvocations", "GetCommandInvocation"))
ACTIVATIONS = Reads(on_anything("DescribeActivations"))


def _calendar(request: Request) -> list[tuple[str, Params]]:
    """Every window's runs, or those of the `window` asked for."""
    window_id = request.query_params.get("window")
    if not window_id:
        return [*_WINDOWS(request), *_EXECUTIONS(request)]
    named = {"WindowId": window_id}
    return [
        ("GetMaintenanceWindow", named),
        ("DescribeMaintenanceWindowSchedule", named),
        ("DescribeMaintenanceWindowExecutions", named),
    ]


CALENDAR = Reads(_calendar)
NAV = {
    "/console/windows": WINDOWS.page,
    "/console/calendar": every(_WINDOWS, _EXECUTIONS),
    "/console/commands": COMMANDS.page,
    "/console/nodes": NODES.page,
    "/console/activations": ACTIVATIONS.page,
}
"""The pages the navigation links to (but the overview, which any key may open), by path: a
link to one the key may not read is left out."""


def feed(window_id: str | None) -> list[tuple[str, Params]]:
    """What the iCalendar feed of every window, or of `window_id`, reads."""
    if window_id is None:
        return [("DescribeMaintenanceWindows", {}), ("DescribeMaintenanceWindowSchedule", {})]
    named = {"WindowId": window_id}
    return [("GetMaintenanceWindow", named), ("DescribeMaintenanceWindowSchedule", named)]
