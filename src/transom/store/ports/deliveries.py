"""Deliveries: claiming due ones, recording each attempt's outcome, reporting them."""

from __future__ import annotations

from typing import Protocol


class DeliveryPort(Protocol):
    """(Being written: issue 11, delivery.)"""
