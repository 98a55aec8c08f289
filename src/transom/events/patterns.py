"""Event patterns: which events a rule picks.

A minimal matcher of exact values only, with the interface the full matcher keeps: a pattern
is a JSON object whose leaves are arrays of allowed values; an event matches when, for every
leaf, the event's value at that path (or one element of it, if it is an array) equals one of
them, and every nested object matches likewise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from transom.domain.errors import InvalidEventPatternError


class EventPattern:
    """A compiled pattern; immutable."""

    def __init__(self, tree: Mapping[str, Any]) -> None:
        self._tree = tree

    def matches(self, envelope: Mapping[str, Any]) -> bool:
        """Whether the event (its envelope, as `transom.events.envelope` builds it) matches."""
        return _matches(self._tree, envelope)


def compile_pattern(text: str) -> EventPattern:
    """The pattern written in `text`; InvalidEventPatternError saying what is wrong."""
    try:
        tree = json.loads(text)
    except ValueError:
        raise InvalidEventPatternError("Event pattern is not valid JSON.") from None
    _check(tree, "")
    return EventPattern(tree)


def _check(tree: object, path: str) -> None:
    if not isinstance(tree, dict):
        where = f" at {path}" if path else ""
        raise InvalidEventPatternError(f"Event pattern must be a JSON object{where}.")
    for key, value in tree.items():
        inner = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            _check(value, inner)
        elif not isinstance(value, list) or not value:
            raise InvalidEventPatternError(
                f"Match value for {inner} must be a non-empty array of allowed values."
            )


def _matches(tree: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    for key, allowed in tree.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(allowed, dict):
            if not isinstance(value, Mapping) or not _matches(allowed, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(v == a and type(v) is type(a) for v in values for a in allowed):
            return False
    return True
