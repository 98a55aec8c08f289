"""The one log line of an engine pass that runs slow: a warning from the loop's own logger
with the pass's duration and what it did (a few counts), for a pass longer than
`SLOW_PASS_SECONDS`."""

from __future__ import annotations

import logging

SLOW_PASS_SECONDS = 1.0


def report_if_slow(log: logging.Logger, loop: str, seconds: float, **did: int | bool) -> None:
    """Log the pass of `loop` that took `seconds` and did `did`, if it was slow."""
    if seconds > SLOW_PASS_SECONDS:
        extra = {"loop": loop, "duration_seconds": round(seconds, 3), **did}
        log.warning("slow %s pass: %.1f s", loop, seconds, extra=extra)
