"""The calendar feed: the coming runs as an iCalendar (RFC 5545) document, written with the
`icalendar` library (it folds long lines and escapes text as the RFC says).

One VEVENT per run, in UTC, whose UID stays the same for the same run of the same window,
so a calendar app that reads the feed again updates its events instead of adding them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import icalendar

from transom.domain.windows import Window
from transom.services.calendar import Block
from transom.services.overview import explain

PRODID = "-//Transom//Maintenance windows//EN"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def feed(
    blocks: list[Block], windows: Mapping[str, Window], base_url: str, name: str, now: datetime
) -> bytes:
    """The feed called `name` of `blocks` (runs to come of `windows`, by id); each event links
    to its window's console page under `base_url`."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for block in blocks:
        window = windows[block.window_id]
        spec = window.spec
        event = icalendar.Event()
        event.add("uid", f"{block.window_id}-{_stamp(block.start)}@transom")
        event.add("dtstamp", now)
        event.add("dtstart", block.start)
        event.add("dtend", block.end)
        event.add("summary", f"Maintenance: {spec.name}")
        cutoff = f"No new task starts after {block.cutoff:%Y-%m-%d %H:%M} UTC"
        lines = [explain(window) + ".", f"{cutoff} (cutoff {spec.cutoff} h)."]
        if spec.description:
            lines.append(spec.description)
        lines.append(f"Window {block.window_id}.")
        event.add("description", "\n".join(lines))
        event.add("url", f"{base_url}/console/windows/{block.window_id}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
