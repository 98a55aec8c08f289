"""Configurable quotas (SPEC.md Appendix B.9). Exceeding one is a `ResourceLimitExceededError`,
or for rules (EventBridge's quotas) a `LimitExceededError`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quotas:
    windows: int = 1000
    targets_per_window: int = 100
    tasks_per_window: int = 20
    tags_per_resource: int = 50
    documents: int = 500
    """Command documents of the account's own (SSM's DocumentLimitExceeded)."""
    rules: int = 300
    """Rules on the (only) event bus."""
    targets_per_rule: int = 5
