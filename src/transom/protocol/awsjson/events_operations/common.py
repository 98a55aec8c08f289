"""What the EventBridge operations share: their registry name, the event bus check, tags and
the Limit/NextToken paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from transom.protocol.awsjson.registry import Handler, Params, operation
from transom.services.container import Services

SERVICE = "events"
DEFAULT_LIMIT = 100


def events_operation(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated handler as the EventBridge operation `name`."""
    return operation(name, SERVICE)


def on_default_bus(services: Services, params: Params) -> None:
    """Refuse an EventBusName other than the default bus (ResourceNotFoundException)."""
    services.rules.require_default_bus(params.get("EventBusName"))


def tags_from(params: Params) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}


def tag_members(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
