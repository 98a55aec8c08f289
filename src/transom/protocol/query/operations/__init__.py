"""Handlers of the SNS actions. `OPERATIONS` from here has them all registered."""

from transom.protocol.query.operations import subscriptions, topics
from transom.protocol.query.registry import OPERATIONS

__all__ = ["OPERATIONS", "subscriptions", "topics"]
