"""The calendar feed: the coming runs as an iCalendar (RFC 5545) document, with the
`icalendar` library's escaping and folding of lines (as the RFC says).

One VEVENT per run, in UTC, whose UID stays the same for the same run of the same window,
so a calendar app that reads the feed again updates its events instead of adding them.

Calendar apps ask for the same feed again and again: `FeedCache` keeps each feed for a
minute while its windows have not changed."""

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
    to its window's console page under `base_url`. The calendar's properties are written by
    the library; each event's lines are put together here, in the order the library writes
    them, with its escaping and folding (the library's own events cost 0.25 ms each)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    head, end = calendar.to_ical().decode().rsplit("END:VCALENDAR", 1)
    stamp = _stamp(now)
    kept: dict[str, tuple[str, str, int, str, str]] = {}  # by window: what its events share
    lines = [head.removesuffix("\r\n")]
    for block in blocks:
        shared = kept.get(block.window_id)
        if shared is None:
            spec = windows[block.window_id].spec
            shared = kept[block.window_id] = (
                _line("SUMMARY", _text(f"Maintenance: {spec.name}")),
                explain(windows[block.window_id]) + ".",
                spec.cutoff,
                (f"{spec.description}\n" if spec.description else "")
                + f"Window {block.window_id}.",
                _line("URL", f"{base_url}/console/windows/{block.window_id}"),
            )
        summary, schedule, hours, closing, url = shared
        cutoff = f"No new task starts after {block.cutoff:%Y-%m-%d %H:%M} UTC (cutoff {hours} h)."
        description = f"{schedule}\n{cutoff}\n{closing}"
        lines += (
            "BEGIN:VEVENT",
            summary,
            f"DTSTART:{_stamp(block.start)}",
            f"DTEND:{_stamp(block.end)}",
            f"DTSTAMP:{stamp}",
            _line("UID", _text(f"{block.window_id}-{_stamp(block.start)}@transom")),
            _line("DESCRIPTION", _text(description)),
            "TRANSP:TRANSPARENT",
            url,
            "END:VEVENT",
        )
    lines.append("END:VCALENDAR" + end)
    return "\r\n".join(lines).encode()


def _text(value: str) -> str:
    """A TEXT value escaped as the library escapes it."""
    return icalendar.vText(value).to_ical().decode()


def _line(name: str, value: str) -> str:
    """A content line, folded as the library folds it (not at all when it is short)."""
    line = f"{name}:{value}"
    if len(line) < 75 and line.isascii():
        return line
    folded: bytes = icalendar.parser.Contentline(line).to_ical()  # type: ignore[no-untyped-call]
    return folded.decode()


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
