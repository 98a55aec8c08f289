"""Reading the outbox in tests: events in EventBridge's envelope, ids checked."""

from __future__ import annotations

import uuid
from typing import Any

from transom.domain.events import Realm
from transom.events.envelope import envelope
from transom.store.port import Store

REALM = Realm()
"""The realm servers and services use unless told otherwise."""


def last_seq(store: Store) -> int:
    with store.read() as tx:
        return tx.last_event_seq()


def outbox(store: Store, after: int = 0) -> list[dict[str, Any]]:
    """The events appended after `after`, oldest first, as envelopes without their `id`
    (checked to be a random UUID, and unique)."""
    with store.read() as tx:
        stored = tx.events_after(after, 100_000)
    envelopes = [envelope(s.event, REALM) for s in stored]
    ids = [e.pop("id") for e in envelopes]
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert len(set(ids)) == len(ids)
    return envelopes


def expected(
    detail_type: str,
    resources: list[str],
    detail: dict[str, Any],
    time: str,
    source: str = "aws.ssm",
) -> dict[str, Any]:
    """An envelope as `outbox` gives it."""
    return {
        "version": "0",
        "detail-type": detail_type,
        "source": source,
        "account": REALM.account_id,
        "time": time,
        "region": REALM.region,
        "resources": resources,
        "detail": detail,
    }


def window_arn(window_id: str) -> str:
    return f"arn:aws:ssm:{REALM.region}:{REALM.account_id}:maintenancewindow/{window_id}"


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:ec2:{REALM.region}:{REALM.account_id}:instance/{instance_id}"
