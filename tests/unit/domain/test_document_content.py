"""The content rule of `transom.domain.document_content`: documents that parse (in JSON and
YAML, schema 2.2 and 1.2) and what each says; and a table of malformed ones with the error
code and words each gets."""

from __future__ import annotations

import json

import pytest

from transom.domain.document_content import DocumentFormat, parse, step_runs
from transom.domain.document_parameters import ParameterType, resolve
from transom.domain.documents import BUILT_IN, check_name, check_size
from transom.domain.errors import ApiError

RUNBOOK_YAML = """\
schemaVersion: '2.2'
description: Rotate the logs
parameters:
  keep:
    type: Integer
    default: 7
    allowedValues: ['7', '14']
  paths:
    type: StringList
    minItems: 1
  dry:
    type: Boolean
    default: false
mainSteps:
  - action: aws:runShellScript
    name: rotate
    precondition:
      StringEquals: [platformType, Linux]
    inputs:
      timeoutSeconds: 60
      workingDirectory: /tmp
      runCommand:
        - echo keep {{ keep }} dry {{ dry }}
        - '{{ paths }}'
  - action: aws:runPowerShellScript
    name: windows
    inputs:
      runCommand: ['Write-Output {{ keep }}']
"""


def test_a_yaml_runbook_says_its_parameters_steps_and_platforms() -> None:
    content = parse(RUNBOOK_YAML, DocumentFormat.YAML)
    assert content.schema_version == "2.2"
    assert content.description == "Rotate the logs"
    assert [(p.name, p.type, p.default) for p in content.parameters] == [
        ("keep", ParameterType.INTEGER, 7),
        ("paths", ParameterType.STRING_LIST, None),
        ("dry", ParameterType.BOOLEAN, False),
    ]
    assert [(s.name, s.action) for s in content.steps] == [
        ("rotate", "aws:runShellScript"),
        ("windows", "aws:runPowerShellScript"),
    ]
    assert content.platform_types == ("Linux", "MacOS", "Windows")
    values = resolve("Runbook", content.parameters, {"paths": ["/var/log/a", "/var/log/b"]})
    first, second = step_runs(content, values)
    assert (first.platform_type, second.platform_type) == ("Linux", None)
    assert first.commands == ["echo keep 7 dry false", "/var/log/a", "/var/log/b"]
    assert (first.working_directory, first.timeout_seconds) == ("/tmp", 60)
    assert (second.commands, second.timeout_seconds) == (["Write-Output 7"], 3600)


def test_the_same_document_in_json_says_the_same() -> None:
    import yaml

    as_json = json.dumps(yaml.safe_load(RUNBOOK_YAML))
    assert parse(as_json, DocumentFormat.JSON) == parse(RUNBOOK_YAML, DocumentFormat.YAML)


def test_the_built_ins_are_schema_1_2_documents_of_one_plugin() -> None:
    for name, (document, version) in BUILT_IN.items():
        content = version.parsed
        assert (document.name, document.owner, content.schema_version) == (name, "Amazon", "1.2")
        (step,) = content.steps
        assert step.name == step.action
        values = resolve(name, content.parameters, {"commands": ["uptime"]})
        (run,) = step_runs(content, values)
        assert (run.commands, run.working_directory, run.timeout_seconds) == (["uptime"], "", 3600)


def _doc(**changes: object) -> str:
    base: dict[str, object] = {
        "schemaVersion": "2.2",
        "parameters": {"p": {"type": "String", "default": "x"}},
        "mainSteps": [
            {"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["{{ p }}"]}}
        ],
    }
    return json.dumps({**base, **changes})


def _step(**changes: object) -> list[object]:
    step = {"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["x"]}}
    return [{**step, **changes}]


MALFORMED: list[tuple[str, DocumentFormat, str, str]] = [
    ("{", DocumentFormat.JSON, "InvalidDocumentContent", "The content is not valid JSON"),
    ("a: [", DocumentFormat.YAML, "InvalidDocumentContent", "The content is not valid YAML"),
    ("[1]", DocumentFormat.JSON, "InvalidDocumentContent", "must be a JSON object"),
    (_doc(schemaVersion="0.3"), DocumentFormat.JSON, "InvalidDocumentSchemaVersion", "'0.3'"),
    (_doc(schemaVersion=None), DocumentFormat.JSON, "InvalidDocumentSchemaVersion", "2.2 or 1.2"),
    (_doc(mainSteps=[]), DocumentFormat.JSON, "InvalidDocumentContent", "needs mainSteps"),
    (
        _doc(mainSteps=_step(action="aws:runDocument")),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "action 'aws:runDocument' is not one Transom runs",
    ),
    (
        _doc(mainSteps=_step(name="bad name")),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "needs a name",
    ),
    (
        _doc(mainSteps=_step() + _step()),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "Two steps are named s",
    ),
    (
        _doc(mainSteps=_step(inputs={"runCommand": 3})),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "inputs.runCommand must be a list of lines",
    ),
    (
        _doc(mainSteps=_step(inputs={"runCommand": ["{{ nope }}"]})),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "uses {{ nope }}, which is not a declared parameter",
    ),
    (
        _doc(parameters={"p": {"type": "Float"}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "Parameter p: type 'Float' is not one of",
    ),
    (
        _doc(parameters={"p-q": {"type": "String"}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "may hold only letters",
    ),
    (
        _doc(parameters={"p": {"type": "String", "allowedPattern": "("}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "allowedPattern is not a regular expression",
    ),
    (
        _doc(parameters={"p": {"type": "String", "default": "c", "allowedValues": ["a"]}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "Parameter p: its default must be one of a (allowedValues)",
    ),
    (
        _doc(parameters={"p": {"type": "Integer", "default": "7"}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        'its default must be a whole number, not "7"',
    ),
    (
        _doc(parameters={"p": {"type": "String", "maxChars": -1}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "maxChars must be a whole number",
    ),
    (
        _doc(mainSteps=_step(precondition={"StringEquals": ["platformType", "Solaris"]})),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "precondition must be StringEquals: [platformType, P]",
    ),
    (
        _doc(mainSteps=_step(inputs={"runCommand": ["x"], "onFailure": "retry"})),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "onFailure must be one of exit, successAndExit, continue, not 'retry'",
    ),
    (
        _doc(mainSteps=_step(inputs={"runCommand": ["x"], "onSuccess": "continue"})),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "onSuccess may only be exit",
    ),
    (
        _doc(mainSteps=_step(inputs={"runCommand": ["x"], "finallyStep": True}) + _step(name="t")),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "Step s has finallyStep; only the last step may have it",
    ),
    (
        json.dumps({"schemaVersion": "1.2", "runtimeConfig": {}}),
        DocumentFormat.JSON,
        "InvalidDocumentContent",
        "needs runtimeConfig",
    ),
]


@pytest.mark.parametrize(("text", "document_format", "code", "words"), MALFORMED)
def test_malformed_content_is_refused_saying_what_to_fix(
    text: str, document_format: DocumentFormat, code: str, words: str
) -> None:
    with pytest.raises(ApiError) as refused:
        parse(text, document_format)
    assert refused.value.code == code
    assert words in str(refused.value)


@pytest.mark.parametrize(
    ("name", "refused"),
    [("AWS-Mine", True), ("aws_x", True), ("AmazonThing", True), ("amzn.x", True), ("Mine", False)],
)
def test_the_aws_prefixes_are_reserved(name: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ApiError, match="reserved for AWS documents"):
            check_name(name)
    else:
        check_name(name)


def test_content_may_be_64_kb_and_no_more() -> None:
    check_size("x" * 65536)
    with pytest.raises(ApiError, match="65537 bytes; a document may hold at most 65536") as big:
        check_size("x" * 65537)
    assert big.value.code == "MaxDocumentSizeExceeded"
