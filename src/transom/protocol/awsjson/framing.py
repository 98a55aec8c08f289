"""AWS JSON 1.1 bodies: request decoding, response and error encoding (SPEC.md §0)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from transom.domain.errors import ApiError, SerializationError

CONTENT_TYPE = "application/x-amz-json-1.1"
ACCEPTED_CONTENT_TYPES = frozenset({CONTENT_TYPE, "application/x-amz-json-1.0", "application/json"})


def decode_request(body: bytes) -> Any:
    """The JSON value of a request body; an empty body is `{}`."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationError(
            f"The request body is not valid JSON ({exc}). Send a JSON object."
        ) from exc


def _default(value: object) -> float:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_response(result: dict[str, Any]) -> bytes:
    """Response members as JSON; instants become epoch seconds with milliseconds."""
    return json.dumps(result, default=_default, separators=(",", ":")).encode()


def encode_error(error: ApiError) -> bytes:
    return json.dumps({"__type": error.code, "message": error.message}).encode()
