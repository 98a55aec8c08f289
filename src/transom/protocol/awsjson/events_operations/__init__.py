"""Handlers of the EventBridge API's implemented operations, registered under `SERVICE`."""

from transom.protocol.awsjson.events_operations import rules, tags, targets
from transom.protocol.awsjson.events_operations.common import SERVICE

__all__ = ["SERVICE", "rules", "tags", "targets"]
