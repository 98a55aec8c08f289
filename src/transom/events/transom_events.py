"""The `transom` events: what Transom knows beyond the events AWS documents. Their detail
fields are spelt as AWS spells its own (lower-case, hyphenated)."""

from __future__ import annotations

from datetime import datetime

from transom.domain.events import TRANSOM, Event, Realm
from transom.domain.executions import WindowExecution
from transom.events.systems_manager import instant, new_event, window_arn

OCCURRENCE_MISSED = "Maintenance Window Occurrence Missed"
PING_STATUS = "Managed Node Ping Status-change Notification"
ONLINE = "Online"
CONNECTION_LOST = "ConnectionLost"


def occurrence_missed(realm: Realm, execution: WindowExecution, at: datetime) -> Event:
    """Transom was not running from the occurrence's scheduled time until its cutoff, so it
    is recorded as a TIMED_OUT execution that ran nothing. Only for scheduled runs."""
    assert execution.scheduled_time is not None
    return new_event(
        at,
        TRANSOM,
        OCCURRENCE_MISSED,
        [window_arn(realm, execution.window_id)],
        {
            "window-id": execution.window_id,
            "window-execution-id": execution.window_execution_id,
            "scheduled-time": instant(execution.scheduled_time),
            "cutoff-time": instant(execution.cutoff_at),
        },
    )


def ping_status(realm: Realm, instance_id: str, status: str, at: datetime) -> Event:
    """The node's PingStatus is now `status`: `ONLINE` (registered, or heard from again) or
    `CONNECTION_LOST` (not heard from within the ping timeout)."""
    return new_event(
        at,
        TRANSOM,
        PING_STATUS,
        [realm.arn("ssm", f"managed-instance/{instance_id}")],
        {"instance-id": instance_id, "ping-status": status},
    )
