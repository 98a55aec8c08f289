"""Topics, their subscriptions, and the messages published to them with one delivery per
subscription."""

from __future__ import annotations

from typing import Protocol


class TopicPort(Protocol):
    """(Being written: issue 11, the SNS API and delivery.)"""
