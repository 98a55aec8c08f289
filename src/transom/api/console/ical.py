"""The calendar feed: the coming runs as an iCalendar (RFC 5545) document, written with the
`icalendar` library (it folds long lines and escapes text as the RFC says).

One VEVENT per run, in UTC, whose UID stays the same for the same run of the same window,
so a calendar app that reads the feed again updates its events instead of adding them.

Writing thousands of events takes seconds, and calendar apps ask for the same feed again and
again: `FeedCache` keeps each feed for a minute while its windows have not changed."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
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
    explained: dict[str, str] = {}
    for block in blocks:
        window = windows[block.window_id]
        spec = window.spec
        if block.window_id not in explained:
            explained[block.window_id] = explain(window)
        event = icalendar.Event()
        event.add("uid", f"{block.window_id}-{_stamp(block.start)}@transom")
        event.add("dtstamp", now)
        event.add("dtstart", block.start)
        event.add("dtend", block.end)
        event.add("summary", f"Maintenance: {spec.name}")
        cutoff = f"No new task starts after {block.cutoff:%Y-%m-%d %H:%M} UTC"
        lines = [explained[block.window_id] + ".", f"{cutoff} (cutoff {spec.cutoff} h)."]
        if spec.description:
            lines.append(spec.description)
        lines.append(f"Window {block.window_id}.")
        event.add("description", "\n".join(lines))
        event.add("url", f"{base_url}/console/windows/{block.window_id}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


class FeedCache:
    """Feeds made in the last `fresh` seconds, by what was asked (the feed's token, window and
    days, and the windows' version): within a minute a feed may list a run that has just
    begun, never one of a window as it was before a change. At most `size` feeds."""

    def __init__(
        self, fresh: float = 60.0, size: int = 32, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fresh = fresh
        self.size = size
        self._clock = clock
        self._feeds: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        found = self._feeds.get(key)
        if found is None or found[0] + self.fresh <= self._clock():
            return None
        return found[1]

    def put(self, key: Hashable, body: bytes) -> None:
        self._feeds[key] = (self._clock(), body)
        self._feeds.move_to_end(key)
        while len(self._feeds) > self.size:
            self._feeds.popitem(last=False)
