"""Events put straight into a server's outbox, as a state change would put them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tests.support.servers import Database
from transom.domain.events import AWS_SSM, Event

WINDOW_EXECUTION = "Maintenance Window Execution State-change Notification"


def window_event(status: str, marker: str, source: str = AWS_SSM) -> Event:
    """A window execution state change with `status`, tagged with `marker` in its detail."""
    return Event(
        event_id=str(uuid.uuid4()),
        time=datetime.now(UTC),
        source=source,
        detail_type=WINDOW_EXECUTION,
        resources=(),
        detail={"status": status, "window-id": "mw-0123456789abcdef0", "marker": marker},
    )


def append(db: Database, *events: Event) -> None:
    """Append `events` to the outbox of `db` in one transaction."""
    store = db.open_store()
    try:
        with store.write() as tx:
            tx.append_events(list(events))
    finally:
        store.close()


def markers(envelopes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(status, marker) of each envelope, in order."""
    return [(e["detail"]["status"], e["detail"]["marker"]) for e in envelopes]
