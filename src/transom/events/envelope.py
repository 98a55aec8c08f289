"""An event as EventBridge writes it: the JSON envelope every rule matches and every target
receives."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from transom.domain.events import Event, Realm


def envelope(event: Event, realm: Realm) -> dict[str, Any]:
    """The envelope's members in EventBridge's order; `time` is UTC to the second."""
    return {
        "version": "0",
        "id": event.event_id,
        "detail-type": event.detail_type,
        "source": event.source,
        "account": realm.account_id,
        "time": event.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": realm.region,
        "resources": list(event.resources),
        "detail": dict(event.detail),
    }
