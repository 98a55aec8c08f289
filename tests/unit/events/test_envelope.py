"""The EventBridge envelope."""

from __future__ import annotations

from datetime import UTC, datetime

from transom.domain.events import AWS_SSM, Event, Realm
from transom.events.envelope import envelope


def test_an_event_is_written_in_eventbridges_envelope() -> None:
    event = Event(
        event_id="01234567-0123-0123-0123-0123456789ab",
        time=datetime(2016, 11, 16, 0, 58, 37, 512000, tzinfo=UTC),
        source=AWS_SSM,
        detail_type="Maintenance Window State-change Notification",
        resources=("arn:aws:ssm:us-east-2:123456789012:maintenancewindow/mw-123456789012345678",),
        detail={"window-id": "mw-123456789012345678", "status": "DISABLED"},
    )
    assert envelope(event, Realm("123456789012", "us-east-2")) == {
        "version": "0",
        "id": "01234567-0123-0123-0123-0123456789ab",
        "detail-type": "Maintenance Window State-change Notification",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2016-11-16T00:58:37Z",
        "region": "us-east-2",
        "resources": ["arn:aws:ssm:us-east-2:123456789012:maintenancewindow/mw-123456789012345678"],
        "detail": {"window-id": "mw-123456789012345678", "status": "DISABLED"},
    }
