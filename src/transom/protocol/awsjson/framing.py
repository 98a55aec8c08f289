"""AWS JSON 1.1 bodies: request decoding, response and error encoding (SPEC.md §0)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from transom.domain.errors import ApiError, SerializationError
from transom.protocol.edge import JsonBodyError, as_api_error, decode_json

CONTENT_TYPE = "application/x-amz-json-1.1"
ACCEPTED_CONTENT_TYPES = frozenset({CONTENT_TYPE, "application/x-amz-json-1.0", "application/json"})
MAX_BODY_BYTES = 1 << 20
MAX_DEPTH = 64
"""Arrays and objects a request may nest: the SSM model's deepest input is 9 levels deep,
apart from its recursive shapes (ops and inventory aggregators)."""


def decode_request(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; an empty body is `{}`. `SerializationError` for a
    body that is not a JSON object or nests deeper than `MAX_DEPTH`."""
    if not body.strip():
        return {}
    try:
        params = decode_json(body, MAX_DEPTH)
    except JsonBodyError as exc:
        raise SerializationError(f"The request body is {exc}. Send a JSON object.") from None
    if not isinstance(params, dict):
        raise SerializationError("The request body must be a JSON object.")
    return params


def _default(value: object) -> float:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_response(result: dict[str, Any]) -> bytes:
    """Response members as JSON; instants become epoch seconds with milliseconds."""
    return json.dumps(result, default=_default, separators=(",", ":")).encode()


def encode_error(error: ApiError) -> bytes:
    return json.dumps({"__type": error.code, "message": error.message}).encode()


def error_reply(exc: Exception) -> tuple[int, bytes, str]:
    """The answer to any exception, in the AWS shape, and its error code: an `ApiError` as it
    says, anything else the logged internal error (`transom.protocol.edge.internal_error`)."""
    error = as_api_error(exc)
    return error.status, encode_error(error), error.code
