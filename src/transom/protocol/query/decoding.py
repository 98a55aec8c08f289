"""Query requests: the form (`Action=Publish&TopicArn=...`) decoded into the members of an
operation's input shape, as botocore's query serializer writes them.

Contract: a structure member is `Prefix.Member` (its `locationName` if the model gives one);
a list is `Prefix.member.N` (flattened: `Prefix.N`), an empty list `Prefix=`; a map is
`Prefix.entry.N.key` and `Prefix.entry.N.value` (or the key and value shapes' location
names, e.g. `MessageAttributes.entry.1.Name`); booleans are `true`/`false`; integers decimal;
timestamps ISO 8601 (become epoch seconds); blobs stay base64 text. List items and map entries
are taken in the order of N. Parameters the shape does not name are ignored. The result has
the JSON types `transom.protocol.awsjson.validation` checks.

Refusals: `MalformedQueryError` for a body that is not a form of UTF-8 text, a parameter given
twice, or parameters nested unlike the shape; `InvalidParameterError` for a value of the wrong
type or one with a character XML 1.0 cannot carry (SNS accepts no others).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import Shape

from transom.domain.errors import ClientError, InvalidParameterError

MAX_FIELDS = 10_000
_XML_CHARS = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
_INTEGER = re.compile(r"-?\d{1,20}")
_INDEX = re.compile(r"[1-9]\d{0,5}")


class MalformedQueryError(ClientError):
    code = "MalformedQueryString"


class _Node:
    """A parameter name's dotted parts as a tree: `Tags.member.1.Key` is
    root -> Tags -> member -> 1 -> Key, whose `value` is the parameter's value."""

    __slots__ = ("children", "name", "value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def parse_form(text: bytes | str) -> dict[str, str]:
    """The parameters of a form; `MalformedQueryError` as the module docstring says."""
    try:
        raw = text.decode() if isinstance(text, bytes) else text
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except ValueError as exc:  # UnicodeDecodeError or too many fields
        raise MalformedQueryError(
            f"The request is not a form of UTF-8 text with at most {MAX_FIELDS} parameters "
            f"({type(exc).__name__})."
        ) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise MalformedQueryError(f"The parameter {key!r} is given more than once.")
        if not _XML_CHARS.fullmatch(value):
            raise InvalidParameterError(
                f"Invalid parameter: {key}: it holds a character that XML 1.0 cannot carry "
                "(control characters other than tab and line breaks, unpaired surrogates)."
            )
        form[key] = value
    return form


def decode(shape: Shape, form: dict[str, str]) -> dict[str, Any]:
    """The members of `shape` (an input structure) that `form` gives."""
    root = _Node("")
    for key, value in form.items():
        node = root
        for part in key.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node(part if node is root else f"{node.name}.{part}")
            node = child
        node.value = value
    decoded: dict[str, Any] = _structure(shape, root)
    return decoded


def _decode(shape: Shape, node: _Node) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, node)
    if kind == "list":
        return _list(shape, node)
    if kind == "map":
        return _map(shape, node)
    return _scalar(shape, node)


def _structure(shape: Any, node: _Node) -> dict[str, Any]:
    if node.value is not None and node.name:
        raise MalformedQueryError(
            f"The parameter {node.name!r} is a structure: give its members as {node.name}.<Member>."
        )
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        child = node.children.get(member.serialization.get("name", name))
        if child is not None:
            out[name] = _decode(member, child)
    return out


def _items(node: _Node, container: _Node | None) -> list[_Node]:
    """The children of `container` named 1, 2, ..., in that order."""
    if container is None or container.value is not None:
        raise MalformedQueryError(
            f"The parameter {node.name!r} is a list: give its items as {node.name}.member.N."
        )
    bad = [part for part in container.children if not _INDEX.fullmatch(part)]
    if bad:
        raise MalformedQueryError(
            f"{container.name}.{bad[0]}: an item index is a whole number from 1."
        )
    return [container.children[part] for part in sorted(container.children, key=int)]


def _list(shape: Any, node: _Node) -> list[Any]:
    if node.value == "" and not node.children:
        return []
    if shape.serialization.get("flattened"):
        container: _Node | None = node
    else:
        container = node.children.get(shape.member.serialization.get("name", "member"))
    return [_decode(shape.member, item) for item in _items(node, container)]


def _map(shape: Any, node: _Node) -> dict[str, Any]:
    if node.value == "" and not node.children:
        return {}
    container = node if shape.serialization.get("flattened") else node.children.get("entry")
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out: dict[str, Any] = {}
    for entry in _items(node, container):
        key, value = entry.children.get(key_name), entry.children.get(value_name)
        if key is None or key.value is None or value is None:
            raise MalformedQueryError(
                f"{entry.name}: a map entry needs {entry.name}.{key_name} and "
                f"{entry.name}.{value_name}."
            )
        if key.value in out:
            raise MalformedQueryError(f"{key.name}: the key {key.value!r} is given twice.")
        out[key.value] = _decode(shape.value, value)
    return out


def _scalar(shape: Any, node: _Node) -> Any:
    value = node.value
    if value is None or node.children:
        raise MalformedQueryError(f"The parameter {node.name!r} takes a single value.")
    kind = shape.type_name
    if kind in ("string", "blob"):
        return value
    if kind == "boolean":
        if value not in ("true", "false"):
            raise InvalidParameterError(
                f"Invalid parameter: {node.name}: use true or false; got {value!r}."
            )
        return value == "true"
    if kind in ("integer", "long"):
        if not _INTEGER.fullmatch(value):
            raise InvalidParameterError(
                f"Invalid parameter: {node.name}: must be a whole number; got {value!r}."
            )
        return int(value)
    if kind in ("float", "double"):
        try:
            return float(value)
        except ValueError:
            raise InvalidParameterError(
                f"Invalid parameter: {node.name}: must be a number; got {value!r}."
            ) from None
    if kind == "timestamp":
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            raise InvalidParameterError(
                f"Invalid parameter: {node.name}: must be an ISO 8601 time; got {value!r}."
            ) from None
    raise ValueError(f"shape {shape.name} has type {kind!r}, which Transom cannot decode")
