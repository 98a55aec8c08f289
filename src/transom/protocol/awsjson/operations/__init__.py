"""Handlers for the implemented operations. `OPERATIONS` from here has them all registered."""

from transom.protocol.awsjson.operations import (
    commands,
    executions,
    nodes,
    schedules,
    tags,
    tasks,
    window_targets,
    windows,
)
from transom.protocol.awsjson.registry import OPERATIONS

__all__ = [
    "OPERATIONS",
    "commands",
    "executions",
    "nodes",
    "schedules",
    "tags",
    "tasks",
    "window_targets",
    "windows",
]
