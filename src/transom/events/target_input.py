"""What a rule target sends for a matching event: the whole event, a fixed `Input`, the part
an `InputPath` picks, or an `InputTransformer`'s template filled from the event."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from transom.domain.rules import RuleTarget

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_QUOTE = re.compile(r'(?<!\\)"')
_MISSING = object()


def pick(document: Any, path: str) -> Any:
    """The value at a JSON path of dotted names and `[index]` steps (`$`, `$.detail.status`,
    `$.resources[0]`); `_MISSING` (a private marker) when the document has no such value."""
    rest = path.removeprefix("$")
    at = 0
    value = document
    while at < len(rest):
        step = _STEP.match(rest, at)
        if step is None:
            return _MISSING
        name, index = step.groups()
        if name is not None and isinstance(value, Mapping) and name in value:
            value = value[name]
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
        at = step.end()
    return value


def render(target: RuleTarget, event: Mapping[str, Any]) -> str:
    """The message text `target` sends for `event` (an envelope). A path that picks nothing
    sends nothing in its place: an empty text for InputPath, `null` or an empty string in a
    template (inside or outside a JSON string). A string value is JSON-escaped inside a JSON
    string of the template and inserted as it is elsewhere."""
    if target.input is not None:
        return target.input
    if target.input_path is not None:
        picked = pick(event, target.input_path)
        return "" if picked is _MISSING else json.dumps(picked)
    transformer = target.input_transformer
    if transformer is None:
        return json.dumps(event)
    values = {name: pick(event, path) for name, path in transformer.paths.items()}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        quoted = len(_QUOTE.findall(match.string, 0, match.start())) % 2 == 1
        if value is _MISSING:
            return "" if quoted else "null"
        if isinstance(value, str):
            return json.dumps(value)[1:-1] if quoted else value
        return json.dumps(value)

    return _PLACEHOLDER.sub(fill, transformer.template)
