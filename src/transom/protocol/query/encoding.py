"""Query responses and errors as XML, written from an operation's output shape as botocore's
query parser reads them: `<OpResponse xmlns=...><OpResult>members</OpResult>
<ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></OpResponse>`; lists as
`<List><member>..</member></List>`, maps as `<Map><entry><key>..</key><value>..</value>
</entry></Map>` (or the model's location names), booleans `true`/`false`, timestamps ISO 8601,
blobs base64. Members with no value (None) are left out."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from botocore.model import OperationModel, Shape

from transom.domain.errors import ApiError


def encode_response(
    operation: OperationModel, namespace: str, result: dict[str, Any], request_id: str
) -> bytes:
    parts = [f'<{operation.name}Response xmlns="{namespace}">']
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
        parts.append(f"<{wrapper}>")
        _members(shape, result, parts)
        parts.append(f"</{wrapper}>")
    parts.append(_metadata(request_id))
    parts.append(f"</{operation.name}Response>")
    return "".join(parts).encode()


def encode_error(error: ApiError, code: str, namespace: str, request_id: str) -> bytes:
    """SNS's error document: `Type` is Sender for a fault of the request, else Receiver."""
    kind = "Sender" if error.status < 500 else "Receiver"
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{escape(code)}'
        f"</Code><Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def _metadata(request_id: str) -> str:
    return f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"


def _members(shape: Any, value: dict[str, Any], parts: list[str]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _element(member, member.serialization.get("name", name), item, parts)


def _element(shape: Shape, tag: str, value: Any, parts: list[str]) -> None:
    kind = shape.type_name
    if kind == "list":
        member: Any = shape.member
        if shape.serialization.get("flattened"):
            inner = member.serialization.get("name", tag)
            for item in value:
                _element(member, inner, item, parts)
            return
        inner = member.serialization.get("name", "member")
        parts.append(f"<{tag}>")
        for item in value:
            _element(member, inner, item, parts)
        parts.append(f"</{tag}>")
        return
    parts.append(f"<{tag}>")
    if kind == "structure":
        _members(shape, value, parts)
    elif kind == "map":
        key: Any = shape.key
        entry: Any = shape.value
        key_tag = key.serialization.get("name", "key")
        value_tag = entry.serialization.get("name", "value")
        for k, v in value.items():
            parts.append("<entry>")
            _element(key, key_tag, k, parts)
            _element(entry, value_tag, v, parts)
            parts.append("</entry>")
    else:
        parts.append(escape(_scalar(kind, value)))
    parts.append(f"</{tag}>")


def _scalar(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        assert isinstance(value, datetime)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if kind == "blob":
        return base64.b64encode(value).decode()
    return str(value)
