"""The parameter rule of `transom.domain.document_parameters`, case by case: each row a
definition, the values given on the wire, and the typed value or the error's words."""

from __future__ import annotations

from typing import Any

import pytest

from transom.domain.document_parameters import Parameter, ParameterType, resolve, substitute
from transom.domain.errors import InvalidParametersError

T = ParameterType

ACCEPTED: list[tuple[Parameter, list[str], Any]] = [
    (Parameter("p", T.STRING), ["x"], "x"),
    (Parameter("p", T.STRING, allowed_values=("a", "b")), ["b"], "b"),
    (Parameter("p", T.STRING, allowed_pattern=r"[a-z]+"), ["abc"], "abc"),
    (Parameter("p", T.STRING, min_chars=2, max_chars=3), ["abc"], "abc"),
    (Parameter("p", T.STRING_LIST), ["a", "b"], ["a", "b"]),
    (Parameter("p", T.STRING_LIST, min_items=1, max_items=2), ["a"], ["a"]),
    (Parameter("p", T.STRING_LIST, allowed_values=("a", "b")), ["a", "b"], ["a", "b"]),
    (Parameter("p", T.INTEGER), ["42"], 42),
    (Parameter("p", T.INTEGER), ["-3"], -3),
    (Parameter("p", T.INTEGER, allowed_values=("1", "2")), ["2"], 2),
    (Parameter("p", T.BOOLEAN), ["true"], True),
    (Parameter("p", T.BOOLEAN), ["False"], False),
    (Parameter("p", T.STRING_MAP), ['{"a": "b"}'], {"a": "b"}),
    (Parameter("p", T.MAP_LIST), ['{"a": 1}', '{"b": 2}'], [{"a": 1}, {"b": 2}]),
    (Parameter("p", T.MAP_LIST), ['[{"a": 1}]'], [{"a": 1}]),
    (Parameter("p", T.MAP_LIST, max_items=1), ['{"a": 1}'], [{"a": 1}]),
]

REFUSED: list[tuple[Parameter, list[str], str]] = [
    (Parameter("p", T.STRING), ["a", "b"], "Parameter 'p' takes one value, not 2."),
    (Parameter("p", T.STRING), [], "Parameter 'p' takes one value, not 0."),
    (
        Parameter("p", T.STRING, allowed_values=("a", "b")),
        ["c"],
        "Parameter 'p' must be one of a, b (allowedValues), not 'c'.",
    ),
    (
        Parameter("p", T.STRING, allowed_pattern=r"[a-z]+"),
        ["abc1"],
        "Parameter 'p' value 'abc1' must match [a-z]+ (allowedPattern).",
    ),
    (
        Parameter("p", T.STRING, min_chars=2),
        ["a"],
        "Parameter 'p' must be at least 2 characters long (minChars).",
    ),
    (
        Parameter("p", T.STRING, max_chars=2),
        ["abc"],
        "Parameter 'p' must be at most 2 characters long (maxChars).",
    ),
    (
        Parameter("p", T.STRING_LIST, min_items=1),
        [],
        "Parameter 'p' must have at least 1 items (minItems), not 0.",
    ),
    (
        Parameter("p", T.STRING_LIST, max_items=1),
        ["a", "b"],
        "Parameter 'p' must have at most 1 items (maxItems), not 2.",
    ),
    (
        Parameter("p", T.STRING_LIST, allowed_pattern="[0-9]+"),
        ["1", "x"],
        "Parameter 'p' value 'x' must match [0-9]+ (allowedPattern).",
    ),
    (Parameter("p", T.INTEGER), ["1.5"], "Parameter 'p' must be a whole number, not '1.5'."),
    (Parameter("p", T.INTEGER), ["1", "2"], "Parameter 'p' takes one value, not 2."),
    (
        Parameter("p", T.INTEGER, allowed_values=("1",)),
        ["2"],
        "Parameter 'p' must be one of 1 (allowedValues), not '2'.",
    ),
    (Parameter("p", T.BOOLEAN), ["yes"], "Parameter 'p' must be true or false, not 'yes'."),
    (Parameter("p", T.STRING_MAP), ["{"], "Parameter 'p' must be JSON, not '{'."),
    (Parameter("p", T.STRING_MAP), ['["a"]'], "Parameter 'p' must be an object, not [\"a\"]."),
    (Parameter("p", T.MAP_LIST), ['"a"'], "Parameter 'p' must be a list of objects, not [\"a\"]."),
    (
        Parameter("p", T.MAP_LIST, max_items=1),
        ['{"a": 1}', "{}"],
        "Parameter 'p' must have at most 1 items (maxItems), not 2.",
    ),
]


@pytest.mark.parametrize(("parameter", "given", "typed"), ACCEPTED)
def test_a_value_that_obeys_its_definition_is_typed(
    parameter: Parameter, given: list[str], typed: Any
) -> None:
    assert resolve("Doc", [parameter], {"p": given}) == {"p": typed}


@pytest.mark.parametrize(("parameter", "given", "words"), REFUSED)
def test_a_value_that_breaks_a_rule_is_refused_naming_parameter_and_rule(
    parameter: Parameter, given: list[str], words: str
) -> None:
    with pytest.raises(InvalidParametersError) as refused:
        resolve("Doc", [parameter], {"p": given})
    assert str(refused.value) == words


def test_defaults_fill_what_is_left_out_and_a_parameter_without_one_is_required() -> None:
    optional = Parameter("level", T.INTEGER, default=3)
    required = Parameter("target", T.STRING, description="Where to go.")
    assert resolve("Doc", [optional, required], {"target": ["x"]}) == {"level": 3, "target": "x"}
    with pytest.raises(InvalidParametersError, match=r"'target' of Doc is required: Where to go\."):
        resolve("Doc", [optional, required], {})
    with pytest.raises(InvalidParametersError, match="Doc has no parameter 'nope'; its param"):
        resolve("Doc", [optional, required], {"target": ["x"], "nope": ["1"]})


VALUES = {"s": "hi", "l": ["a", "b"], "n": 5, "b": True, "m": {"k": "v"}}

SUBSTITUTED: list[tuple[Any, Any]] = [
    ("{{ s }}", "hi"),
    ("{{s}}", "hi"),
    ("{{ l }}", ["a", "b"]),
    ("{{ n }}", 5),
    ("{{ m }}", {"k": "v"}),
    ("echo {{ s }} {{ n }} {{ b }}", "echo hi 5 true"),
    ("echo {{ l }}", 'echo ["a", "b"]'),
    ("{{ ssm:secret }} {{ s }}", "{{ ssm:secret }} hi"),
    (["echo {{ s }}", "{{ l }}"], ["echo hi", ["a", "b"]]),
    (
        {"runCommand": "{{ l }}", "timeoutSeconds": 60},
        {"runCommand": ["a", "b"], "timeoutSeconds": 60},
    ),
]


@pytest.mark.parametrize(("template", "result"), SUBSTITUTED)
def test_placeholders_take_the_value_whole_or_as_text(template: Any, result: Any) -> None:
    assert substitute(template, VALUES) == result


def test_values_known_only_later_count_as_given_and_are_left_for_then() -> None:
    level = Parameter("level", T.INTEGER)
    target = Parameter("target", T.STRING, allowed_pattern="i-[0-9a-f]+")
    given = {"target": ["{{RESOURCE_ID}}"]}
    assert resolve("Doc", [level, target], given, unchecked={"level", "target"}) == {}
    with pytest.raises(InvalidParametersError, match="'level' must be a whole number"):
        resolve("Doc", [level, target], {"level": ["x"]}, unchecked={"target"})
