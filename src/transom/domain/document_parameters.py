"""A Command document's parameters: the values a caller gives checked against their
definitions, and substituted into the steps' `{{ name }}` placeholders.

The rule, as SSM applies it:

- Values travel as lists of strings (`{"commands": ["df -h"]}`). A String, Integer, Boolean
  or StringMap takes exactly one: an Integer a whole number (`"5"`), a Boolean `true` or
  `false`, a StringMap a JSON object. A StringList takes any number of strings, a MapList
  any number of JSON objects (or one JSON list of them).
- A name the document does not declare is refused; a declared parameter left out takes its
  default, and one without a default is required.
- Each value then obeys its definition: `allowedValues` (each string, or each item of a
  list, is one of them), `allowedPattern` (each string matches the whole expression),
  `minChars`/`maxChars` (the length of each string), `minItems`/`maxItems` (the number of
  items of a list or map).
- Substitution: a string that is one placeholder and nothing else (`"{{ commands }}"`)
  becomes the value itself (a list for a StringList, a number for an Integer, ...); a
  placeholder inside longer text becomes the value's text (a String as it is, anything else
  as JSON). Placeholders naming no parameter (`{{ ssm:name }}`) stay as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from transom.domain.errors import InvalidParametersError

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_:./-]+)\s*\}\}")
"""A `{{ name }}` reference; names with a `:` (`{{ ssm:name }}`) are not parameters."""


class ParameterType(StrEnum):
    STRING = "String"
    STRING_LIST = "StringList"
    INTEGER = "Integer"
    BOOLEAN = "Boolean"
    STRING_MAP = "StringMap"
    MAP_LIST = "MapList"


@dataclass(frozen=True)
class Parameter:
    """One declared parameter. `default` is a typed value (a list for a StringList, ...),
    or `None` when the parameter is required."""

    name: str
    type: ParameterType
    description: str = ""
    default: Any = None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_chars: int | None = None
    max_chars: int | None = None

    @property
    def required(self) -> bool:
        return self.default is None


_SHAPES: dict[ParameterType, tuple[type | tuple[type, ...], str]] = {
    ParameterType.STRING: (str, "a string"),
    ParameterType.STRING_LIST: (list, "a list of strings"),
    ParameterType.INTEGER: (int, "a whole number"),
    ParameterType.BOOLEAN: (bool, "true or false"),
    ParameterType.STRING_MAP: (dict, "an object"),
    ParameterType.MAP_LIST: (list, "a list of objects"),
}


def check_value(parameter: Parameter, value: Any) -> str | None:
    """What is wrong with the typed `value` for `parameter` ("must be ..."), or None."""
    kind, shape = _SHAPES[parameter.type]
    item_type = {ParameterType.STRING_LIST: str, ParameterType.MAP_LIST: dict}.get(parameter.type)
    items: list[Any] = value if isinstance(value, list) else []
    if (
        not isinstance(value, kind)
        or (parameter.type is ParameterType.INTEGER and isinstance(value, bool))
        or (item_type is not None and not all(isinstance(v, item_type) for v in items))
    ):
        return f"must be {shape}, not {json.dumps(value)}."
    if isinstance(value, list | dict):
        count = len(value)
        if parameter.min_items is not None and count < parameter.min_items:
            return f"must have at least {parameter.min_items} items (minItems), not {count}."
        if parameter.max_items is not None and count > parameter.max_items:
            return f"must have at most {parameter.max_items} items (maxItems), not {count}."
    strings: list[Any] = items if parameter.type is ParameterType.STRING_LIST else [value]
    if parameter.type in (ParameterType.INTEGER, ParameterType.BOOLEAN):
        strings = [json.dumps(value)]
    elif parameter.type not in (ParameterType.STRING, ParameterType.STRING_LIST):
        return None
    for text in strings:
        if parameter.allowed_values is not None and text not in parameter.allowed_values:
            return (
                f"must be one of {', '.join(parameter.allowed_values)} (allowedValues), "
                f"not {text!r}."
            )
        if parameter.allowed_pattern is not None and not re.fullmatch(
            parameter.allowed_pattern, text
        ):
            return f"value {text!r} must match {parameter.allowed_pattern} (allowedPattern)."
        if parameter.min_chars is not None and len(text) < parameter.min_chars:
            return f"must be at least {parameter.min_chars} characters long (minChars)."
        if parameter.max_chars is not None and len(text) > parameter.max_chars:
            return f"must be at most {parameter.max_chars} characters long (maxChars)."
    return None


def _typed(parameter: Parameter, values: Sequence[str]) -> Any:
    """The typed value of the wire strings `values`; `ValueError` saying what is wrong."""
    kind = parameter.type
    if kind is ParameterType.STRING_LIST:
        return list(values)
    if kind is ParameterType.MAP_LIST:
        items = [_json(v) for v in values]
        return items[0] if len(items) == 1 and isinstance(items[0], list) else items
    if len(values) != 1:
        raise ValueError(f"takes one value, not {len(values)}.")
    text = values[0]
    if kind is ParameterType.INTEGER:
        if not _WHOLE_NUMBER.fullmatch(text.strip()):
            raise ValueError(f"must be a whole number, not {text!r}.")
        return int(text)
    if kind is ParameterType.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"must be true or false, not {text!r}.")
        return text.lower() == "true"
    if kind is ParameterType.STRING_MAP:
        return _json(text)
    return text


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"must be JSON, not {text!r}.") from None


def resolve(
    document_name: str,
    parameters: Sequence[Parameter],
    given: Mapping[str, Sequence[str]],
    unchecked: Collection[str] = (),
) -> dict[str, Any]:
    """Every declared parameter's typed value (given, or its default), by the rule above;
    `InvalidParametersError` naming the parameter and the rule it breaks. The values of the
    `unchecked` names are only known later (they hold a window's pseudo-parameters): they
    count as given and are left out of the result."""
    known = {p.name: p for p in parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidParametersError(
            f"Document {document_name} has no parameter {unknown[0]!r}; "
            f"its parameters are: {', '.join(known) or 'none'}."
        )
    resolved: dict[str, Any] = {}
    for name, parameter in known.items():
        if name in unchecked:
            continue
        if name not in given:
            if parameter.required:
                raise InvalidParametersError(
                    f"Parameter {name!r} of {document_name} is required: {parameter.description}"
                )
            resolved[name] = parameter.default
            continue
        try:
            value = _typed(parameter, given[name])
        except ValueError as error:
            raise InvalidParametersError(f"Parameter {name!r} {error}") from None
        problem = check_value(parameter, value)
        if problem:
            raise InvalidParametersError(f"Parameter {name!r} {problem}")
        resolved[name] = value
    return resolved


def substitute(value: Any, values: Mapping[str, Any]) -> Any:
    """`value` (a step's inputs) with the placeholders of `values` replaced, by the rule."""
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value.strip())
    if whole and whole[1] in values:
        return values[whole[1]]

    def text(match: re.Match[str]) -> str:
        if match[1] not in values:
            return match[0]
        found = values[match[1]]
        return found if isinstance(found, str) else json.dumps(found)

    return PLACEHOLDER.sub(text, value)
