"""The two log formats of `transom.cli.logs`, record by record."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from transom.cli.logs import JsonFormatter, TextFormatter

WHEN = datetime(2025, 6, 3, 16, 0, 2, 114000, tzinfo=UTC)


def record(message: str, *args: Any, exc: bool = False, **fields: Any) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("broken")
        except ValueError:
            exc_info = sys.exc_info()
    made = logging.LogRecord("transom.x", logging.INFO, __file__, 1, message, args, exc_info)
    made.created = WHEN.timestamp()
    made.__dict__.update(fields)
    return made


@pytest.mark.parametrize(
    ("made", "text"),
    [
        (record("plain"), "2025-06-03T16:00:02.114Z INFO transom.x: plain"),
        (
            record("ended %s", "now", window_id="mw-1", tasks=2, ok=True, gone=None),
            "2025-06-03T16:00:02.114Z INFO transom.x: ended now window_id=mw-1 tasks=2 ok=true "
            "gone=null",
        ),
        (
            record("f", details="2 of 3 failed.", empty="", quote='a"b', eq="a=b"),
            'f details="2 of 3 failed." empty="" quote="a\\"b" eq="a=b"',
        ),
        (
            record("f", statuses={"SUCCESS": 1}, at=WHEN),
            'f statuses={"SUCCESS":1} at=2025-06-03T16:00:02.114000+00:00',
        ),
        (
            record("internal error", traceback="Traceback:\n  frame\nKeyError\n"),
            "internal error\nTraceback:\n  frame\nKeyError",
        ),
    ],
)
def test_text_is_one_line_with_its_fields_and_what_spans_lines_below(
    made: logging.LogRecord, text: str
) -> None:
    assert TextFormatter().format(made).endswith(text)


def test_text_puts_an_exception_s_traceback_below_its_line() -> None:
    first, *rest = TextFormatter().format(record("failed", exc=True, n=1)).split("\n")
    assert first.endswith("INFO transom.x: failed n=1")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: broken"


def test_json_is_one_object_per_line_with_the_fields_and_any_traceback() -> None:
    line = JsonFormatter().format(record("failed %d", 2, exc=True, at=WHEN, ids=("a", "b")))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed.pop("traceback").endswith("ValueError: broken")
    assert parsed == {
        "time": "2025-06-03T16:00:02.114Z",
        "level": "INFO",
        "logger": "transom.x",
        "message": "failed 2",
        "at": "2025-06-03T16:00:02.114000+00:00",
        "ids": ["a", "b"],
    }
