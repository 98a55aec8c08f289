"""Log lines on stderr for the long-running commands (`server`, `up`, `agent run`), set by
`--log-level` and `--log-format` (standard library only, so the agent stays light).

`--log-level` is the least severe level of Transom's own loggers (`transom.*`) that is
written. Other libraries write warnings and errors only (more severe ones at `error`).
uvicorn's own lines (startup, shutdown) and its access log, one line per request naming the
path without its query (subscription tokens ride in queries), are written at `debug` only.

Formats, each record one line:

- `text`: `TIME LEVEL LOGGER: MESSAGE key=value ...` with the record's structured fields
  (those passed with `extra=`); a value with spaces or quotes is written as a JSON string,
  a list or mapping as compact JSON. An exception's traceback, and any field whose value
  spans lines, follow on lines of their own.
- `json`: one object per line: `time` (ISO 8601 UTC, milliseconds), `level`, `logger`,
  `message`, the structured fields, and `traceback` for an exception.

The process's own lines (where the server listens, which node an agent serves, that it
stopped) come from the logger `transom.process` and are written at every level.

Warnings and uncaught exceptions (in any thread) are written as log records too, so with
`json` every line on stderr is JSON.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, TextIO, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}
log = logging.getLogger(__name__)
process_log = logging.getLogger("transom.process")
"""The lines saying that a process started (and where) and stopped, written at every level."""


def log_options(command: F) -> F:
    """--log-level and --log-format, with their TRANSOM_* twins."""
    for name, env, choices, default, text in (
        (
            "--log-format",
            "TRANSOM_LOG_FORMAT",
            FORMATS,
            "text",
            "Log lines as readable text or as one JSON object each.",
        ),
        (
            "--log-level",
            "TRANSOM_LOG_LEVEL",
            LEVELS,
            "info",
            "The least severe log lines written (debug adds uvicorn's and the access log).",
        ),
    ):
        command = click.option(
            name,
            envvar=env,
            type=click.Choice(choices, case_sensitive=False),
            default=default,
            show_default=True,
            help=text,
        )(command)
    return command


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every log record to `stream` (stderr) as `level` and `log_format` say (see the
    module docstring); replaces any handler the root logger had."""
    threshold = logging.getLevelNamesMapping()[level.upper()]
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format.lower() == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(threshold, logging.WARNING))
    logging.getLogger("transom").setLevel(threshold)
    process_log.setLevel(min(threshold, logging.INFO))
    debug = threshold <= logging.DEBUG
    logging.getLogger("uvicorn").setLevel(logging.INFO if debug else root.level)
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO if debug else logging.CRITICAL + 1)
    access.filters = [_PathWithoutQuery()]
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
    else:
        log.critical("uncaught exception", exc_info=(kind, value, traceback))


def _log_uncaught_in_thread(hook: threading.ExceptHookArgs) -> None:
    if hook.exc_value is not None and not isinstance(hook.exc_value, SystemExit):
        log.critical("uncaught exception", exc_info=hook.exc_value)


class _PathWithoutQuery(logging.Filter):
    """Cuts the query off the path of uvicorn's access lines (args: client, method, path,
    HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's structured fields: what was passed with `extra=`."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


def _plain(value: Any) -> Any:
    """`value` as JSON can hold it (times in ISO 8601; what JSON has no type for as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((k, _plain(v)) for k, v in fields(record).items() if k not in line)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, f"{record.name}:", record.getMessage()]
        below: list[str] = []
        for key, value in fields(record).items():
            plain = _plain(value)
            if isinstance(plain, str) and "\n" in plain:
                below.append(plain.rstrip("\n"))
            else:
                parts.append(f"{key}={_text_value(plain)}")
        if record.exc_info:
            below.append(self.formatException(record.exc_info))
        if record.stack_info:
            below.append(self.formatStack(record.stack_info))
        return "\n".join([" ".join(parts), *below])


def _text_value(value: Any) -> str:
    if isinstance(value, str):
        plain = value and not any(c.isspace() or c in "\"'=" for c in value)
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
