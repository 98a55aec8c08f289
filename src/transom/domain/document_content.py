"""What a Command document can say: its content parsed from JSON or YAML into parameters and
steps.

The rule, as SSM applies it to Command documents:

- The content is one JSON or YAML mapping with a `schemaVersion` of "2.2" (steps under
  `mainSteps`) or "1.2" (plugins under `runtimeConfig`); any other schema version is
  `InvalidDocumentSchemaVersion`, anything else malformed is `InvalidDocumentContent` with
  what to fix.
- `parameters` maps a name (letters, digits, `_`) to a definition: a `type` of String,
  StringList, Integer, Boolean, StringMap or MapList; optional `description`, `default`,
  `allowedValues`, `allowedPattern` (a regular expression a whole value must match),
  `minItems`/`maxItems` (of a list) and `minChars`/`maxChars` (of each string). A parameter
  without `default` is required. A default must itself obey its definition.
- Each step has an `action` Transom runs (`aws:runShellScript`, `aws:runPowerShellScript`), a
  unique `name` (in schema 1.2, the plugin's name) and `inputs` with `runCommand` (a list of
  lines, or one `{{ placeholder }}`) and optional `workingDirectory` and `timeoutSeconds`.
  Every `{{ name }}` in the inputs names a declared parameter (`{{ ssm:... }}` references
  are left as they are).
- A schema 2.2 step may have a `precondition` of `StringEquals: [platformType, <platform>]`
  (either order; a node of another platform type skips the step), and in its inputs the
  controls of what runs next: `onFailure` (`exit`: the steps after a failed one are skipped;
  `successAndExit`: the same, and the step counts as a success; `continue`, the default:
  the next steps run), `onSuccess: exit` (the steps after a successful one are skipped) and
  `finallyStep: true` (only on the last step: it runs even when an earlier step exited).
- A document's platform types are those of its steps' actions, in order of first use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import yaml

from transom.domain.document_parameters import (
    PLACEHOLDER,
    Parameter,
    ParameterType,
    check_value,
    substitute,
)
from transom.domain.errors import (
    InvalidDocumentContentError,
    InvalidDocumentSchemaVersionError,
    InvalidParametersError,
)

_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_]+")
_STEP_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class DocumentFormat(StrEnum):
    JSON = "JSON"
    YAML = "YAML"


ACTION_PLATFORMS = {
    "aws:runShellScript": ("Linux", "MacOS"),
    "aws:runPowerShellScript": ("Windows", "Linux"),
}
"""The actions Transom runs, with the platform types each runs on."""
SCHEMA_VERSIONS = ("2.2", "1.2")
PLATFORM_TYPES = ("Linux", "MacOS", "Windows")
"""The platform types a precondition may name."""


class OnFailure(StrEnum):
    """What a failed step's `onFailure` makes of the steps after it (CONTINUE by default)."""

    EXIT = "exit"
    SUCCESS_AND_EXIT = "successAndExit"
    CONTINUE = "continue"


_NO_DEFAULT = object()


@dataclass(frozen=True)
class Step:
    """One step (a plugin run): its `inputs` as written, placeholders still in them."""

    name: str
    action: str
    inputs: dict[str, Any]
    precondition: dict[str, Any] | None = None


@dataclass(frozen=True)
class DocumentContent:
    schema_version: str
    description: str
    parameters: tuple[Parameter, ...]
    steps: tuple[Step, ...]

    @property
    def platform_types(self) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for step in self.steps:
            found.update(dict.fromkeys(ACTION_PLATFORMS[step.action]))
        return tuple(found)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def load(text: str, document_format: DocumentFormat) -> dict[str, Any]:
    """The content's top-level mapping; `InvalidDocumentContentError` when it is not one."""
    try:
        data = json.loads(text) if document_format is DocumentFormat.JSON else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise InvalidDocumentContentError(
            f"The content is not valid {document_format}: {error}".replace("\n", " ")
        ) from None
    if not isinstance(data, dict):
        raise InvalidDocumentContentError(
            f"The content must be a {document_format} object with a schemaVersion."
        )
    return data


def dump(data: Mapping[str, Any], document_format: DocumentFormat) -> str:
    """`data` written in `document_format` (for GetDocument asked for the other format)."""
    if document_format is DocumentFormat.JSON:
        return json.dumps(data, indent=2)
    return str(yaml.safe_dump(dict(data), sort_keys=False))


def parse(text: str, document_format: DocumentFormat) -> DocumentContent:
    """The Command document `text` says, by the rule above."""
    data = load(text, document_format)
    raw_version = data.get("schemaVersion")
    schema_version = str(raw_version) if isinstance(raw_version, str | float) else None
    if schema_version not in SCHEMA_VERSIONS:
        raise InvalidDocumentSchemaVersionError(
            f"schemaVersion {raw_version!r} is not one Transom runs for Command documents; "
            f"use {' or '.join(SCHEMA_VERSIONS)}."
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidDocumentContentError("The document's description must be a string.")
    parameters = _parameters(data.get("parameters", {}))
    steps = _main_steps(data) if schema_version == "2.2" else _runtime_config(data)
    declared = {p.name for p in parameters}
    for step in steps:
        for name in placeholders(step.inputs):
            if ":" not in name and name not in declared:
                raise InvalidDocumentContentError(
                    f"Step {step.name} uses {{{{ {name} }}}}, which is not a declared parameter."
                )
    return DocumentContent(schema_version, description, parameters, steps)


def placeholders(value: Any) -> set[str]:
    """The names of the `{{ name }}` references anywhere in `value`."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value))
    return set()


def _parameters(raw: Any) -> tuple[Parameter, ...]:
    if not isinstance(raw, dict):
        raise InvalidDocumentContentError("parameters must map each name to its definition.")
    parameters = []
    for name, spec in raw.items():
        if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
            raise InvalidDocumentContentError(
                f"Parameter name {name!r} may hold only letters, digits and _."
            )
        if not isinstance(spec, dict):
            raise InvalidDocumentContentError(f"Parameter {name} must be an object with a type.")
        parameters.append(_parameter(name, spec))
    return tuple(parameters)


def _parameter(name: str, spec: dict[str, Any]) -> Parameter:
    def fail(rule: str) -> InvalidDocumentContentError:
        return InvalidDocumentContentError(f"Parameter {name}: {rule}")

    try:
        kind = ParameterType(str(spec.get("type")))
    except ValueError:
        kinds = ", ".join(ParameterType)
        raise fail(f"type {spec.get('type')!r} is not one of {kinds}.") from None
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise fail("description must be a string.")
    allowed = spec.get("allowedValues")
    if allowed is not None and (
        not isinstance(allowed, list) or not all(isinstance(v, str) for v in allowed)
    ):
        raise fail("allowedValues must be a list of strings.")
    pattern = spec.get("allowedPattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            raise fail("allowedPattern must be a string.")
        try:
            re.compile(pattern)
        except re.error as error:
            raise fail(f"allowedPattern is not a regular expression: {error}.") from None
    bounds: dict[str, int | None] = {}
    for key in ("minItems", "maxItems", "minChars", "maxChars"):
        bound = spec.get(key)
        if bound is not None and (
            not isinstance(bound, int) or isinstance(bound, bool) or bound < 0
        ):
            raise fail(f"{key} must be a whole number of at least 0.")
        bounds[key] = bound
    parameter = Parameter(
        name=name,
        type=kind,
        description=description,
        allowed_values=None if allowed is None else tuple(allowed),
        allowed_pattern=pattern,
        min_items=bounds["minItems"],
        max_items=bounds["maxItems"],
        min_chars=bounds["minChars"],
        max_chars=bounds["maxChars"],
    )
    default = spec.get("default", _NO_DEFAULT)
    if default is _NO_DEFAULT:
        return parameter
    problem = check_value(parameter, default)
    if problem:
        raise fail(f"its default {problem}")
    return replace(parameter, default=default)


def _main_steps(data: dict[str, Any]) -> tuple[Step, ...]:
    raw = data.get("mainSteps")
    if not isinstance(raw, list) or not raw:
        raise InvalidDocumentContentError("A schema 2.2 document needs mainSteps, a list of steps.")
    steps: list[Step] = []
    for index, step in enumerate(raw):
        if not isinstance(step, dict):
            raise InvalidDocumentContentError(f"mainSteps[{index}] must be an object.")
        name = step.get("name")
        if not isinstance(name, str) or not _STEP_NAME.fullmatch(name):
            raise InvalidDocumentContentError(
                f"mainSteps[{index}] needs a name of letters, digits and _ . : - (1-100)."
            )
        if any(s.name == name for s in steps):
            raise InvalidDocumentContentError(f"Two steps are named {name}; names must differ.")
        precondition = step.get("precondition")
        if precondition is not None:
            _precondition_platform(name, precondition)
        steps.append(_step(name, step.get("action"), step.get("inputs"), precondition))
    finals = [s.name for s in steps[:-1] if s.inputs.get("finallyStep") is True]
    if finals:
        raise InvalidDocumentContentError(
            f"Step {finals[0]} has finallyStep; only the last step may have it."
        )
    return tuple(steps)


def _precondition_platform(name: str, precondition: Any) -> str:
    """The platform type a step's precondition names; `InvalidDocumentContentError` unless
    it is `{"StringEquals": ["platformType", <platform>]}` (either order)."""
    operands = precondition.get("StringEquals") if isinstance(precondition, dict) else None
    if (
        isinstance(operands, list)
        and len(precondition) == 1
        and len(operands) == 2
        and operands.count("platformType") == 1
    ):
        (platform,) = [o for o in operands if o != "platformType"]
        if platform in PLATFORM_TYPES:
            return str(platform)
    raise InvalidDocumentContentError(
        f"Step {name}: precondition must be StringEquals: [platformType, P] with P one of "
        f"{', '.join(PLATFORM_TYPES)}."
    )


def _runtime_config(data: dict[str, Any]) -> tuple[Step, ...]:
    raw = data.get("runtimeConfig")
    if not isinstance(raw, dict) or not raw:
        raise InvalidDocumentContentError(
            "A schema 1.2 document needs runtimeConfig, an object of plugins."
        )
    steps = []
    for plugin, config in raw.items():
        properties = config.get("properties") if isinstance(config, dict) else None
        if isinstance(properties, dict):
            properties = [properties]
        if not isinstance(properties, list) or len(properties) != 1:
            raise InvalidDocumentContentError(
                f"runtimeConfig.{plugin} needs properties: one object of inputs."
            )
        steps.append(_step(str(plugin), plugin, properties[0]))
    return tuple(steps)


def _step(name: str, action: Any, inputs: Any, precondition: Any = None) -> Step:
    if action not in ACTION_PLATFORMS:
        raise InvalidDocumentContentError(
            f"Step {name}: action {action!r} is not one Transom runs; "
            f"use {' or '.join(ACTION_PLATFORMS)}."
        )
    if not isinstance(inputs, dict):
        raise InvalidDocumentContentError(f"Step {name}: inputs must be an object.")
    commands = inputs.get("runCommand")
    if not (
        (isinstance(commands, list) and all(isinstance(c, str) for c in commands))
        or (isinstance(commands, str) and PLACEHOLDER.fullmatch(commands.strip()))
    ):
        raise InvalidDocumentContentError(
            f"Step {name}: inputs.runCommand must be a list of lines or one {{{{ parameter }}}}."
        )
    on_failure = inputs.get("onFailure", OnFailure.CONTINUE)
    if on_failure not in tuple(OnFailure):
        raise InvalidDocumentContentError(
            f"Step {name}: onFailure must be one of {', '.join(OnFailure)}, not {on_failure!r}."
        )
    if inputs.get("onSuccess", "exit") != "exit":
        raise InvalidDocumentContentError(
            f"Step {name}: onSuccess may only be exit, not {inputs['onSuccess']!r}."
        )
    if not isinstance(inputs.get("finallyStep", False), bool):
        raise InvalidDocumentContentError(f"Step {name}: finallyStep must be true or false.")
    return Step(name, str(action), dict(inputs), precondition)


MAX_TIMEOUT_SECONDS = 172_800
DEFAULT_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class StepRun:
    """A step with the parameters substituted: what a node runs for it. `platform_type` is
    the one its precondition names (None: any); `exit_on_success`, `on_failure` and
    `finally_step` are its controls (see the rule above)."""

    name: str
    action: str
    commands: list[str]
    working_directory: str
    timeout_seconds: int
    platform_type: str | None = None
    on_failure: OnFailure = OnFailure.CONTINUE
    exit_on_success: bool = False
    finally_step: bool = False


def step_runs(content: DocumentContent, values: Mapping[str, Any]) -> tuple[StepRun, ...]:
    """Each step with `values` (from `document_parameters.resolve`) substituted;
    `InvalidParametersError` when what they make is not something a node can run."""
    runs = []
    for step in content.steps:
        inputs = substitute(step.inputs, values)
        commands = inputs["runCommand"]
        lines = [commands] if isinstance(commands, str) else commands
        flat = [line for item in lines for line in (item if isinstance(item, list) else [item])]
        if not all(isinstance(line, str) for line in flat):
            raise InvalidParametersError(
                f"Step {step.name}: runCommand must be lines of text after substitution."
            )
        directory = inputs.get("workingDirectory", "")
        if not isinstance(directory, str):
            raise InvalidParametersError(f"Step {step.name}: workingDirectory must be text.")
        timeout = inputs.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        text = str(timeout).strip()
        if (
            isinstance(timeout, bool)
            or not text.isdigit()
            or not 1 <= int(text) <= MAX_TIMEOUT_SECONDS
        ):
            raise InvalidParametersError(
                f"Step {step.name}: timeoutSeconds must be 1 to {MAX_TIMEOUT_SECONDS}, "
                f"not {timeout!r}."
            )
        runs.append(
            StepRun(
                step.name,
                step.action,
                flat,
                directory,
                int(text),
                platform_type=(
                    None
                    if step.precondition is None
                    else _precondition_platform(step.name, step.precondition)
                ),
                on_failure=OnFailure(inputs.get("onFailure", OnFailure.CONTINUE)),
                exit_on_success=inputs.get("onSuccess") == "exit",
                finally_step=inputs.get("finallyStep") is True,
            )
        )
    return tuple(runs)
