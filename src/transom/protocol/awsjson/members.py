"""Mechanical translation between AWS members (`AllowUnassociatedTargets`) and domain fields
(`allow_unassociated_targets`), and the NextToken codec shared by the paged operations."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from transom.domain.errors import InvalidNextTokenError, ValidationError
from transom.protocol.awsjson.model import error_codes, operation_names
from transom.protocol.edge import decode_json

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")


@cache
def member(field: str) -> str:
    """`window_target_id` -> `WindowTargetId`."""
    return "".join(part.capitalize() for part in field.split("_"))


_NAMES: dict[type[DataclassInstance], tuple[tuple[str, str], ...]] = {}


def _names(cls: type[DataclassInstance]) -> tuple[tuple[str, str], ...]:
    """(field, member) pairs of a dataclass, computed once per class."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple((f.name, member(f.name)) for f in dataclasses.fields(cls))
    return names


def fields_from(params: Mapping[str, Any], cls: type[DataclassInstance]) -> dict[str, Any]:
    """The fields of dataclass `cls` present in the request, keyed by field name."""
    return {name: params[wire] for name, wire in _names(cls) if wire in params}


def to_members(obj: DataclassInstance, omit: Sequence[str] = ()) -> dict[str, Any]:
    """A dataclass as AWS members, leaving out unset (None) fields and `omit`."""
    return {
        wire: value
        for name, wire in _names(type(obj))
        if (value := getattr(obj, name)) is not None and name not in omit
    }


POSITIONS = 2**63
"""Positions a NextToken may stand for are below this (a database's 64-bit integer)."""
_TOKEN_DEPTH = 1


def decode_token(
    operation: str, params: Mapping[str, Any], positions: int = POSITIONS
) -> int | None:
    """The position a NextToken stands for, from 0 up to `positions` (excluded); None for
    the first page. A token this server did not issue for `operation` is refused with
    `InvalidNextToken` if the operation's model lists that error, else `ValidationException`."""
    token = params.get("NextToken")
    if not token:
        return None
    try:
        data = decode_json(base64.urlsafe_b64decode(token.encode()), _TOKEN_DEPTH)
        position = data["a"]
        if data["o"] == operation and type(position) is int and 0 <= position < positions:
            return position
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    service = "ssm" if operation in operation_names("ssm") else "events"
    invalid = (
        InvalidNextTokenError
        if "InvalidNextToken" in error_codes(service, operation)
        else ValidationError
    )
    raise invalid(
        "The NextToken is not valid: pass the NextToken of the previous page of the same "
        "operation unchanged, or leave it out to start from the first page."
    )


def encode_token(operation: str, position: int | None) -> str | None:
    if position is None:
        return None
    raw = json.dumps({"o": operation, "a": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def page_of(
    operation: str, params: Mapping[str, Any], items: Sequence[T], default: int
) -> tuple[Sequence[T], str | None]:
    """Slice an in-memory list for MaxResults/NextToken; return the page and the next token."""
    start = decode_token(operation, params) or 0
    limit = params.get("MaxResults", default)
    end = start + limit
    return items[start:end], encode_token(operation, end if end < len(items) else None)


def filter_values(
    params: Mapping[str, Any], allowed: Sequence[str], key_member: str = "Key"
) -> dict[str, list[str]]:
    """Request filters as {key: values}, refusing keys the operation does not support."""
    out: dict[str, list[str]] = {}
    for item in params.get("Filters", []):
        key = item[key_member]
        if key not in allowed:
            raise ValidationError(
                f"Filter key {key!r} is not supported here; use one of: {', '.join(allowed)}."
            )
        out.setdefault(key, []).extend(item.get("Values", []))
    return out
