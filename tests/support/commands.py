"""Run Command as the API shows it, for tests that wait for a command to end."""

from __future__ import annotations

from typing import Any

FINAL = ("Success", "Failed", "TimedOut", "Cancelled")
"""The command statuses that do not change again."""


def command_done(ssm: Any, command_id: str) -> dict[str, Any] | None:
    """The command as ListCommands shows it once its status is final; None before."""
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    return dict(command) if command["Status"] in FINAL else None
