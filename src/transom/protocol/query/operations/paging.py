"""NextToken of the SNS list actions: where the previous page ended, tied to its action.

Not base64 of JSON: botocore's paginators take such a StartingToken for one of their own."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from transom.domain.errors import InvalidParameterError


def decode_token(action: str, params: Mapping[str, Any]) -> str | None:
    """The key the previous page ended at; None for the first page."""
    token = params.get("NextToken")
    if not token:
        return None
    try:
        named, _, after = base64.urlsafe_b64decode(token.encode()).decode().partition("\n")
        if named == action and after:
            return after
    except (ValueError, binascii.Error):
        pass
    raise InvalidParameterError(
        "Invalid parameter: NextToken: pass the NextToken of the previous page of the same "
        "action unchanged, or leave it out to start from the first page."
    )


def encode_token(action: str, after: str | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(f"{action}\n{after}".encode()).decode()
