"""The console's HTML: Jinja2 templates (in `templates/`) with autoescaping always on, so
no value shown (a node's output, a window's name) is ever interpreted as HTML.

Filters: `utc` (an aware datetime as `2024-05-01 12:00:05 UTC`), `iso` (ISO 8601 UTC, for
`<time datetime>`, which the page's script shows in the browser's zone), `status_class` (a
status as a CSS class name)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def status_class(status: object) -> str:
    return _status_class(str(status))


@functools.lru_cache(maxsize=256)
def _status_class(status: str) -> str:
    """Kept: a few statuses, drawn thousands of times on a page."""
    return "status-" + re.sub(r"[^a-z]+", "-", status.lower()).strip("-")


class Templates:
    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(utc=_utc, iso=_iso, status_class=status_class)

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        return self._env.get_template(template).render(context)
