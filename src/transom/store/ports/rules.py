"""Event rules: the patterns that pick events and the targets they send them to."""

from __future__ import annotations

from typing import Protocol


class RulePort(Protocol):
    """(Being written: issue 11, the EventBridge API.)"""
