"""Handlers of the SSM API's implemented operations, registered under `SERVICE`."""

from transom.protocol.awsjson.operations import (
    commands,
    documents,
    executions,
    nodes,
    schedules,
    tags,
    tasks,
    window_targets,
    windows,
)

SERVICE = "ssm"

__all__ = [
    "SERVICE",
    "commands",
    "documents",
    "executions",
    "nodes",
    "schedules",
    "tags",
    "tasks",
    "window_targets",
    "windows",
]
