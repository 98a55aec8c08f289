"""A maintenance window with one shell task on the nodes of one tag, made through the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.support.window_tasks import run_command_task, tagged_window


def shell_window(
    ssm: Any,
    schedule: str,
    tag: tuple[str, str],
    commands: Sequence[str],
    *,
    name: str = "shell",
    duration: int = 1,
    cutoff: int = 0,
    max_concurrency: str = "1",
    max_errors: str = "0",
) -> str:
    """Create a window on `schedule` whose one target is the nodes tagged `tag` (key, value)
    and whose one task runs `commands` there with AWS-RunShellScript; return its id."""
    window_id, target = tagged_window(ssm, name, schedule, tag, duration=duration, cutoff=cutoff)
    run_command_task(
        ssm,
        window_id,
        target,
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": list(commands)}}},
        MaxConcurrency=max_concurrency,
        MaxErrors=max_errors,
    )
    return window_id
