"""Server-side validation of a decoded AWS JSON 1.1 request body against its API's model.

botocore checks only `required`, types and `min` on the client (SPEC.md §0); this module
checks every constraint of the operation's input shape as AWS does: required members, JSON
types, length `min`/`max` (strings in code points, blobs in decoded bytes, lists and maps in
entries), value `min`/`max` of integers, `pattern` and `enum`. Members the shape does not
declare are ignored and a member whose value is JSON `null` counts as absent, as on AWS.

Outcomes:
- `SerializationError`, at the first of them: a body that is not a JSON object, a value of
  the wrong JSON type, an integer outside its Java range, a timestamp that is not a number
  of epoch seconds within the years 1 to 9999, a blob that is not strict base64, a union
  without exactly one member set, nesting too deep to check (recursive shapes only).
- Otherwise one `ValidationError` listing every violation in AWS's Coral wording:
  `2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: Member
  must ...; Value null at 'windowId' failed to satisfy constraint: Member must not be null`.
  Violations follow the request's member order, each structure's missing required members
  after its present ones. Values are shown as Java prints them (`[a, b]`, `{k=v}`), cut
  after 256 characters with `...`; values of sensitive shapes are never shown
  (`Value at 'description' failed ...`).

Paths: each member name with its first letter lower-cased, joined by dots; the N-th element
(from 1) of a list is `<list>.N.member`; the value under map key K is `<map>.K`; for example
`targets.1.member.values.2.member`. A map key that breaks its constraints is reported at the
map: `Value 'k' at 'parameters' failed to satisfy constraint: Map keys must satisfy
constraint: [Member must ...]`.

Patterns are Java regular expressions applied with search semantics, as Coral applies them: a
pattern is anchored only where it says `^` or `$`. Before compiling them with `regex`, what
Java reads differently is translated: `\\d`, `\\w`, `\\s` and their negations are ASCII
classes, `.` matches no line terminator and `$` also matches before a final line terminator.

A validator is built once per operation from the shape tree, then cached; there is one
`RequestValidator` per service model (`validator(service)`).
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import regex  # type: ignore[import-untyped]
from botocore.model import StructureShape

from transom.domain.errors import SerializationError, ValidationError
from transom.protocol.awsjson.model import input_shape

_Check = Callable[[object, str, list[str]], None]
"""Validate a non-null value found at a path: append Coral violation texts, or raise."""

_NOT_NULL = "Member must not be null"
_SHOWN_CHARS = 256
_JAVA_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_EPOCH_BOUNDS = (-62135596800, 253402300799)
_JSON_TYPE_NAMES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
}
_LINE_TERMINATORS = "\\n\\r\\x85\\u2028\\u2029"
# Java's predefined character classes, ASCII-only, as bodies of a character class.
_JAVA_CLASS_BODIES = {
    "d": "0-9",
    "D": "\\x00-/:-\\U0010ffff",
    "w": "0-9A-Za-z_",
    "W": "\\x00-/:-@\\[-\\^`{-\\U0010ffff",
    "s": " \\t\\n\\x0b\\f\\r",
    "S": "\\x00-\\x08\\x0e-\\x1f!-\\U0010ffff",
}
_JAVA_DOT = f"[^{_LINE_TERMINATORS}]"
_JAVA_DOLLAR = f"(?=(?:\\r\\n|[{_LINE_TERMINATORS}])?\\Z)"


class RequestValidator:
    """Validates requests of one service model (botocore's name, e.g. `ssm`)."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __call__(self, operation: str, params: object) -> None:
        """Check a decoded request body against `operation`'s input shape.

        Returns None when the body is valid; raises SerializationError or ValidationError as
        the module docstring describes, and KeyError if the model has no such operation.
        """
        validate_input(input_shape(self._service, operation), params)


@cache
def validator(service: str) -> RequestValidator:
    """The process's one validator of `service`'s requests."""
    return RequestValidator(service)


def validate_input(shape: StructureShape, params: object) -> None:
    """Check `params` against the input shape of any service model's operation, as
    `RequestValidator` does; the shape must live as long as the process (a cached model's)."""
    if not isinstance(params, dict):
        raise SerializationError("The request body must be a JSON object.")
    check = _VALIDATORS.get(shape)
    if check is None:
        check = _VALIDATORS[shape] = _Compiler().compile(shape, False)
    errors: list[str] = []
    try:
        check(params, "", errors)
    except RecursionError:
        raise SerializationError("The request body is nested too deeply.") from None
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ValidationError(f"{len(errors)} validation {noun} detected: " + "; ".join(errors))


_VALIDATORS: dict[StructureShape, _Check] = {}
"""Keyed by shape identity: one validator per operation of each loaded model."""


class _Compiler:
    """Builds one `_Check` per (shape, sensitive) pair, reusing it wherever the shape recurs."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, bool], _Check] = {}

    def compile(self, shape: Any, sensitive: bool) -> _Check:
        sensitive = sensitive or bool(shape.metadata.get("sensitive"))
        key = (shape.name, sensitive)
        if key in self._built:
            return self._built[key]
        # A recursive shape reaches itself while it is being built: point it at the result.
        later: list[_Check] = []

        def forward(value: object, path: str, errors: list[str]) -> None:
            later[0](value, path, errors)

        self._built[key] = forward
        check = self._build(shape, sensitive)
        later.append(check)
        self._built[key] = check
        return check

    def _build(self, shape: Any, sensitive: bool) -> _Check:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, sensitive)
        if kind == "list":
            return _list_check(self.compile(shape.member, sensitive), shape, sensitive)
        if kind == "map":
            entry = self.compile(shape.value, sensitive)
            return _map_check(_string_rules(shape.key), entry, shape, sensitive)
        if kind == "string":
            return _string_check(_string_rules(shape), sensitive)
        if kind in _JAVA_INT_BOUNDS:
            return _integer_check(_JAVA_INT_BOUNDS[kind], shape, sensitive)
        if kind == "boolean":
            return _boolean_check
        if kind == "timestamp":
            return _timestamp_check
        if kind == "blob":
            return _blob_check(shape, sensitive)
        raise ValueError(f"shape {shape.name} has type {kind!r}, which Transom cannot validate")

    def _structure(self, shape: Any, sensitive: bool) -> _Check:
        members = {
            key: (_path_name(key), self.compile(member, sensitive))
            for key, member in shape.members.items()
        }
        required = tuple((key, _path_name(key)) for key in shape.required_members)
        union = tuple(shape.members) if shape.is_tagged_union else ()

        def check(value: object, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                raise _type_error(path, "an object", value)
            if union and sum(value.get(key) is not None for key in union) != 1:
                raise SerializationError(
                    f"Value at '{path}' must set exactly one of: {', '.join(union)}"
                )
            prefix = f"{path}." if path else ""
            for key, item in value.items():
                member = members.get(key)
                if member is not None and item is not None:
                    member[1](item, prefix + member[0], errors)
            for key, name in required:
                if value.get(key) is None:
                    errors.append(_violation(prefix + name, None, _NOT_NULL, sensitive))

        return check


def _path_name(member: str) -> str:
    return member[:1].lower() + member[1:]


def _list_check(element: _Check, shape: Any, sensitive: bool) -> _Check:
    low, high = _bounds(shape)

    def check(value: object, path: str, errors: list[str]) -> None:
        if not isinstance(value, list):
            raise _type_error(path, "an array", value)
        if not low <= len(value) <= high:
            errors.append(_violation(path, value, _bound_failure(len(value), shape), sensitive))
        for index, item in enumerate(value, 1):
            where = f"{path}.{index}.member"
            if item is None:
                errors.append(_violation(where, None, _NOT_NULL, sensitive))
            else:
                element(item, where, errors)

    return check


def _map_check(
    key_rules: Callable[[str], Sequence[str]], entry: _Check, shape: Any, sensitive: bool
) -> _Check:
    low, high = _bounds(shape)

    def check(value: object, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        if not low <= len(value) <= high:
            errors.append(_violation(path, value, _bound_failure(len(value), shape), sensitive))
        for key, item in value.items():
            if not isinstance(key, str):
                raise _type_error(path, "an object with string keys", key)
            failures = key_rules(key)
            if failures:
                constraint = f"Map keys must satisfy constraint: [{', '.join(failures)}]"
                errors.append(_violation(path, key, constraint, sensitive))
            where = f"{path}.{key}"
            if item is None:
                errors.append(_violation(where, None, _NOT_NULL, sensitive))
            else:
                entry(item, where, errors)

    return check


def _string_rules(shape: Any) -> Callable[[str], Sequence[str]]:
    """The constraints of a string shape: a function from a value to what it breaks."""
    low, high = _bounds(shape)
    pattern = shape.metadata.get("pattern")
    search = _java_search(pattern) if pattern is not None else None
    enum = frozenset(shape.enum)

    def failures(value: str) -> Sequence[str]:
        size = len(value)
        if (
            low <= size <= high
            and (search is None or search(value) is not None)
            and (not enum or value in enum)
        ):
            return ()
        found = [] if low <= size <= high else [_bound_failure(size, shape)]
        if search is not None and search(value) is None:
            found.append(f"Member must satisfy regular expression pattern: {pattern}")
        if enum and value not in enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        return found

    return failures


def _string_check(rules: Callable[[str], Sequence[str]], sensitive: bool) -> _Check:
    def check(value: object, path: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            raise _type_error(path, "a string", value)
        for failure in rules(value):
            errors.append(_violation(path, value, failure, sensitive))

    return check


def _integer_check(java: tuple[int, int], shape: Any, sensitive: bool) -> _Check:
    low, high = _bounds(shape)

    def check(value: object, path: str, errors: list[str]) -> None:
        if type(value) is not int:
            raise _type_error(path, "an integer", value)
        if not java[0] <= value <= java[1]:
            raise SerializationError(
                f"Value at '{path}' must be an integer from {java[0]} to {java[1]}, got {value}"
            )
        if not low <= value <= high:
            errors.append(_violation(path, value, _bound_failure(value, shape), sensitive))

    return check


def _boolean_check(value: object, path: str, _errors: list[str]) -> None:
    if type(value) is not bool:
        raise _type_error(path, "a boolean", value)


def _timestamp_check(value: object, path: str, _errors: list[str]) -> None:
    """Accept epoch seconds of the years 1 to 9999 (what `datetime` holds); NaN fails too."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(path, "a number of epoch seconds", value)
    if not _EPOCH_BOUNDS[0] <= value <= _EPOCH_BOUNDS[1]:
        raise SerializationError(
            f"Value at '{path}' must be epoch seconds within the years 1 to 9999, got {value}"
        )


def _blob_check(shape: Any, sensitive: bool) -> _Check:
    low, high = _bounds(shape)

    def check(value: object, path: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            raise _type_error(path, "a base64-encoded string", value)
        try:
            size = len(binascii.a2b_base64(value, strict_mode=True))
        except ValueError:
            raise SerializationError(
                f"Value at '{path}' must be a base64-encoded string, got a string that is not"
            ) from None
        if not low <= size <= high:
            errors.append(_violation(path, value, _bound_failure(size, shape), sensitive))

    return check


def _bounds(shape: Any) -> tuple[float, float]:
    """The shape's `min` and `max` (a length, or an integer's value), unbounded if absent."""
    return shape.metadata.get("min", -math.inf), shape.metadata.get("max", math.inf)


def _bound_failure(amount: int, shape: Any) -> str:
    """The Coral text for `amount` outside the shape's bounds (it must be outside them)."""
    measure = "value" if shape.type_name in _JAVA_INT_BOUNDS else "length"
    low = shape.metadata.get("min")
    if low is not None and amount < low:
        return f"Member must have {measure} greater than or equal to {low}"
    return f"Member must have {measure} less than or equal to {shape.metadata['max']}"


@cache
def _java_search(pattern: str) -> Callable[[str], object]:
    """`search` of the Java regular expression `pattern`, translated and compiled once."""
    out: list[str] = []
    in_class = follows_class_escape = False
    chars = iter(pattern)
    for char in chars:
        # Java reads `[\w-/]` as `\w`, `-`, `/`: a dash after a class escape is no range.
        literal_dash, follows_class_escape = follows_class_escape, False
        if char == "\\":
            escaped = next(chars, "")
            body = _JAVA_CLASS_BODIES.get(escaped)
            if body is None:
                out.append(char + escaped)
            elif in_class:
                out.append(body)
                follows_class_escape = True
            else:
                out.append(f"[{body}]")
        elif in_class:
            in_class = char != "]"
            out.append("\\-" if char == "-" and literal_dash else char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == ".":
            out.append(_JAVA_DOT)
        elif char == "$":
            out.append(_JAVA_DOLLAR)
        else:
            out.append(char)
    search: Callable[[str], object] = regex.compile("".join(out)).search
    return search


def _violation(path: str, value: object, constraint: str, sensitive: bool) -> str:
    if value is None:
        shown = "Value null"
    elif sensitive:
        shown = "Value"
    else:
        text = _java_text(value)
        if len(text) > _SHOWN_CHARS:
            text = text[:_SHOWN_CHARS] + "..."
        shown = f"Value '{text}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _java_text(value: object) -> str:
    """`value` as Java's toString would print the deserialized value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(_java_text, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    return "null" if value is None else str(value)


def _type_error(path: str, expected: str, value: object) -> SerializationError:
    got = _JSON_TYPE_NAMES.get(type(value), "null" if value is None else type(value).__name__)
    return SerializationError(f"Value at '{path}' must be {expected}, got {got}")
