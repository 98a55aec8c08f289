"""MaxConcurrency and MaxErrors as counts (SPEC.md Appendix B.2)."""

from __future__ import annotations

import math


def concurrency_limit(max_concurrency: str, targets: int) -> int:
    """`N` -> N; `p%` -> max(1, ceil(p * targets / 100))."""
    if max_concurrency.endswith("%"):
        return max(1, math.ceil(int(max_concurrency[:-1]) * targets / 100))
    return int(max_concurrency)


def error_threshold(max_errors: str, targets: int) -> int:
    """How many errors are allowed: `N` -> N; `p%` -> floor(p * targets / 100). One more
    error than this stops the command."""
    if max_errors.endswith("%"):
        return math.floor(int(max_errors[:-1]) * targets / 100)
    return int(max_errors)
