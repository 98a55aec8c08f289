"""Waiting for something observable to happen, instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T | None], seconds: float = 30, what: str = "", every: float = 0.1
) -> T:
    """Call `condition` every `every` seconds until it returns a truthy value, and return
    that value; fail the test after `seconds`, saying `what` was awaited."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, (
            f"timed out after {seconds:g} s waiting for {what or condition}"
        )
        time.sleep(every)
