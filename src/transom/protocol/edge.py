"""The framework-free half of the HTTP edge, shared by every protocol (the ASGI half is
`transom.api.edge`): JSON decoding with a nesting limit, and the one answer to an exception
that no layer expected.

- `decode_json(body, max_depth)` returns the JSON value of `body`, or raises `JsonBodyError`
  (a `ValueError` whose message says what is wrong, ready for a protocol's 400) when it is not
  JSON or nests arrays and objects more than `max_depth` deep. Code walking a decoded value
  recursively (validation, error texts) may rely on that depth.
- `internal_error(exc)` logs `exc` once: its class, and its traceback (the record's field
  `traceback`) with every exception's class but none of their messages (a sqlalchemy
  error's message carries the statement's parameters, a database error's the offending
  values, either may be request data), and returns the
  generic `ApiError` (500) every protocol answers with. `as_api_error` maps any exception to
  the `ApiError` to answer.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from transom.domain.errors import ApiError

log = logging.getLogger(__name__)


class JsonBodyError(ValueError):
    """A request body that `decode_json` refuses; the message says why."""


def decode_json(body: bytes, max_depth: int) -> Any:
    """The JSON value of `body` (UTF-8, -16 or -32), at most `max_depth` containers deep."""
    try:
        value = json.loads(body)
    except RecursionError:
        # Python's decoder recurses once per level and gives up near the recursion limit.
        raise JsonBodyError(_too_deep(max_depth)) from None
    except ValueError as exc:  # JSONDecodeError or UnicodeDecodeError
        raise JsonBodyError(f"not valid JSON ({exc})") from None
    # A body with no more brackets than the limit cannot nest deeper: small bodies skip the walk.
    if body.count(b"[") + body.count(b"{") > max_depth and not _depth_within(value, max_depth):
        raise JsonBodyError(_too_deep(max_depth))
    return value


def _too_deep(max_depth: int) -> str:
    return f"nested more than {max_depth} arrays or objects deep"


def _depth_within(value: Any, max_depth: int) -> bool:
    """Whether `value` nests no more than `max_depth` containers deep (without recursing)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return False
        below = []
        for container in level:
            for item in container.values() if isinstance(container, dict) else container:
                if isinstance(item, dict | list):
                    below.append(item)
        level = below
    return True


def internal_error(exc: BaseException) -> ApiError:
    """Log `exc` without its messages (see the module docstring); the generic 500 error."""
    traceback_text = _traceback_without_messages(exc)
    log.error("internal error: %s", _class_name(exc), extra={"traceback": traceback_text})
    return ApiError("The server hit an unexpected error; it has been logged.")


def as_api_error(exc: Exception) -> ApiError:
    """`exc` itself if it is an `ApiError` (an answer meant for the caller), else
    `internal_error(exc)`."""
    return exc if isinstance(exc, ApiError) else internal_error(exc)


def _class_name(exc: BaseException) -> str:
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _traceback_without_messages(exc: BaseException) -> str:
    """The chain of `exc` as Python prints it, each exception's line naming only its class."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{_class_name(current)}\n")
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__
    return "\nThe above exception led to the following one:\n\n".join(reversed(parts))
