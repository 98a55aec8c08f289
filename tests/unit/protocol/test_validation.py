"""Request validation against the botocore SSM model, checked on real operations."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import pytest
from botocore.serialize import create_serializer

from transom.domain.errors import SerializationError, ValidationError
from transom.protocol.awsjson.framing import MAX_DEPTH, decode_request
from transom.protocol.awsjson.model import (
    input_shape,
    operation_names,
    output_shape,
    service_model,
)
from transom.protocol.awsjson.validation import validator

WINDOW_ID = "mw-0123456789abcdef0"
TASK_ID = "8a3bc1d2-0e4f-4a5b-9c6d-7e8f90a1b2c3"
CREATE = {
    "Name": "nightly-patching",
    "Schedule": "cron(0 2 ? * SUN *)",
    "Duration": 3,
    "Cutoff": 1,
    "AllowUnassociatedTargets": False,
}
INSTANCES = {"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}
REGISTER_TARGET = {"WindowId": WINDOW_ID, "ResourceType": "INSTANCE", "Targets": [INSTANCES]}
REGISTER_TASK = {
    "WindowId": WINDOW_ID,
    "TaskArn": "AWS-RunShellScript",
    "TaskType": "RUN_COMMAND",
    "Targets": [{"Key": "WindowTargetIds", "Values": [TASK_ID]}],
}
validate_request = validator("ssm")
UPDATE_TASK = {"WindowId": WINDOW_ID, "WindowTaskId": TASK_ID}


def wire(operation: str, params: dict[str, Any]) -> Any:
    """The decoded JSON body boto3 sends for `params` (blobs become base64, and so on)."""
    model = service_model("ssm").operation_model(operation)
    body = create_serializer("json").serialize_to_request(params, model)["body"]
    return json.loads(body)


def invocation(**members: Any) -> dict[str, Any]:
    """UpdateMaintenanceWindowTask with these TaskInvocationParameters."""
    return {**UPDATE_TASK, "TaskInvocationParameters": members}


def validation_message(operation: str, params: object) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_request(operation, params)
    return caught.value.message


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param("CreateMaintenanceWindow", CREATE, id="create-minimal"),
        pytest.param(
            "CreateMaintenanceWindow",
            {
                **CREATE,
                "Name": "a.b_c-D9",
                "Description": "Patch the web fleet",
                "StartDate": "2025-01-01T00:00:00Z",
                "ScheduleTimezone": "Europe/Berlin",
                "ScheduleOffset": 6,
                "Duration": 24,
                "Cutoff": 0,
                "ClientToken": "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                "Tags": [
                    {"Key": "Équipe", "Value": "Plateforme Ünïcode"},
                    {"Key": "名前", "Value": "値 ١٢٣"},
                    {"Key": "aws:cost/center=+-@", "Value": ""},
                ],
            },
            id="create-every-member-with-unicode-tags",
        ),
        pytest.param("RegisterTargetWithMaintenanceWindow", REGISTER_TARGET, id="target-ids"),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {
                **REGISTER_TARGET,
                "ResourceType": "RESOURCE_GROUP",
                "Targets": [
                    {"Key": "resource-groups:Name", "Values": ["web"]},
                    {"Key": "resource-groups:ResourceTypeFilters", "Values": []},
                    {"Key": "tag:Umgebung Größe", "Values": ["prod"]},
                ],
                "OwnerInformation": "ops team",
                "Name": "web.servers_1",
            },
            id="target-resource-groups-and-tags",
        ),
        pytest.param("RegisterTaskWithMaintenanceWindow", REGISTER_TASK, id="task-minimal"),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {
                **REGISTER_TASK,
                "ServiceRoleArn": "arn:aws:iam::123456789012:role/MaintenanceWindows",
                "TaskParameters": {"commands": {"Values": ["uptime"]}},
                "TaskInvocationParameters": {
                    "RunCommand": {
                        "Comment": "patch",
                        "DocumentVersion": "$LATEST",
                        "NotificationConfig": {
                            "NotificationEvents": ["Success", "Failed"],
                            "NotificationType": "Command",
                        },
                        "Parameters": {"commands": ["yum -y update"]},
                        "TimeoutSeconds": 30,
                    }
                },
                "Priority": 0,
                "MaxConcurrency": "10%",
                "MaxErrors": "0",
                "CutoffBehavior": "CANCEL_TASK",
                "AlarmConfiguration": {"Alarms": [{"Name": "high-cpu"}]},
            },
            id="task-run-command-in-full",
        ),
        pytest.param("DescribeMaintenanceWindows", {}, id="describe-empty-body"),
        pytest.param(
            "DescribeMaintenanceWindows",
            {"Filters": [{"Key": "Name", "Values": ["nightly"]}], "MaxResults": 100},
            id="describe-filters",
        ),
        pytest.param(
            "AddTagsToResource",
            {
                "ResourceType": "MaintenanceWindow",
                "ResourceId": WINDOW_ID,
                "Tags": [{"Key": "Env", "Value": "prod"}],
            },
            id="add-tags",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Lambda={"Payload": b'{"action": "drain"}', "Qualifier": "$LATEST"}),
            id="update-task-lambda-payload-blob",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": {"InstanceId": ["{{ TARGET_ID }}"]}}),
            id="update-task-automation-parameters-map",
        ),
    ],
)
def test_it_accepts_what_boto3_sends_for_valid_requests(
    operation: str, params: dict[str, Any]
) -> None:
    validate_request(operation, wire(operation, params))


@pytest.mark.parametrize(
    ("operation", "params", "violation"),
    [
        pytest.param(
            "CreateMaintenanceWindow",
            {key: value for key, value in CREATE.items() if key != "Duration"},
            "Value null at 'duration' failed to satisfy constraint: Member must not be null",
            id="required-member-missing",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Cutoff": None},
            "Value null at 'cutoff' failed to satisfy constraint: Member must not be null",
            id="required-member-null",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Tags": [{"Key": "Env"}]},
            "Value null at 'tags.1.member.value' failed to satisfy constraint: "
            "Member must not be null",
            id="required-member-of-a-list-element",
        ),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {**REGISTER_TARGET, "Targets": [None]},
            "Value null at 'targets.1.member' failed to satisfy constraint: "
            "Member must not be null",
            id="null-list-element",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Name": "ab"},
            "Value 'ab' at 'name' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3; "
            "Value 'ab' at 'name' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\-.]{3,128}$",
            id="string-too-short-and-off-pattern",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Schedule": "x" * 300},
            f"Value '{'x' * 256}...' at 'schedule' failed to satisfy constraint: "
            "Member must have length less than or equal to 256",
            id="string-too-long-shown-truncated",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Description": ""},
            "Value at 'description' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
            id="sensitive-value-not-shown",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Duration": 25},
            "Value '25' at 'duration' failed to satisfy constraint: "
            "Member must have value less than or equal to 24",
            id="integer-above-max",
        ),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {**REGISTER_TASK, "Priority": -1},
            "Value '-1' at 'priority' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
            id="integer-below-min",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Name": "nightly patching!"},
            "Value 'nightly patching!' at 'name' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\-.]{3,128}$",
            id="pattern",
        ),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {**REGISTER_TARGET, "WindowId": "mw-0123456789ABCDEF0"},
            "Value 'mw-0123456789ABCDEF0' at 'windowId' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^mw-[0-9a-f]{17}$",
            id="window-id-pattern-is-case-sensitive",
        ),
        pytest.param(
            "AddTagsToResource",
            {
                "ResourceType": "MaintenanceWindow",
                "ResourceId": WINDOW_ID,
                "Tags": [{"Key": "Env", "Value": "prod"}, {"Key": "Env!", "Value": "prod"}],
            },
            "Value 'Env!' at 'tags.2.member.key' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
            id="unicode-property-pattern",
        ),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {**REGISTER_TARGET, "Targets": [INSTANCES, {"Key": "tag:a|b", "Values": ["x"]}]},
            "Value 'tag:a|b' at 'targets.2.member.key' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ^[\p{L}\p{Z}\p{N}_.:/=\-@]*$"
            "|resource-groups:ResourceTypeFilters|resource-groups:Name",
            id="target-key-pattern",
        ),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {**REGISTER_TASK, "MaxConcurrency": "0", "MaxErrors": "101%"},
            "Value '0' at 'maxConcurrency' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$; "
            "Value '101%' at 'maxErrors' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$",
            id="max-concurrency-and-max-errors",
        ),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {**REGISTER_TARGET, "ResourceType": "instance"},
            "Value 'instance' at 'resourceType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INSTANCE, RESOURCE_GROUP]",
            id="enum",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(RunCommand={"NotificationConfig": {"NotificationEvents": ["Done"]}}),
            "Value 'Done' at 'taskInvocationParameters.runCommand.notificationConfig"
            ".notificationEvents.1.member' failed to satisfy constraint: Member must satisfy "
            "enum value set: [All, InProgress, Success, TimedOut, Cancelled, Failed]",
            id="enum-deep-in-a-list",
        ),
        pytest.param(
            "RegisterTargetWithMaintenanceWindow",
            {**REGISTER_TARGET, "Targets": [{"Key": "InstanceIds", "Values": ["i-1"]}] * 6},
            "Value '[" + ", ".join(["{Key=InstanceIds, Values=[i-1]}"] * 6) + "]' at "
            "'targets' failed to satisfy constraint: "
            "Member must have length less than or equal to 5",
            id="list-too-long",
        ),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {**REGISTER_TASK, "AlarmConfiguration": {"Alarms": []}},
            "Value '[]' at 'alarmConfiguration.alarms' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
            id="list-too-short",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": {}}),
            "Value '{}' at 'taskInvocationParameters.automation.parameters' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1",
            id="map-too-small",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": {"k" * 51: ["v"]}}),
            f"Value '{'k' * 51}' at 'taskInvocationParameters.automation.parameters' failed "
            "to satisfy constraint: Map keys must satisfy constraint: "
            "[Member must have length less than or equal to 50]",
            id="map-key",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": {"InstanceId": ["i-1", ""]}}),
            "Value '' at 'taskInvocationParameters.automation.parameters.InstanceId.2.member' "
            "failed to satisfy constraint: Member must have length greater than or equal to 1",
            id="map-value",
        ),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {**REGISTER_TASK, "TaskParameters": {"": {"Values": ["secret"]}}},
            "Value at 'taskParameters' failed to satisfy constraint: Map keys must satisfy "
            "constraint: [Member must have length greater than or equal to 1]",
            id="sensitive-map-key",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Lambda={"Payload": base64.b64encode(b"x" * 4097).decode()}),
            "Value at 'taskInvocationParameters.lambda.payload' failed to satisfy constraint: "
            "Member must have length less than or equal to 4096",
            id="blob-too-long-in-decoded-bytes",
        ),
        pytest.param(
            "GetCommandInvocation",
            {"CommandId": TASK_ID, "InstanceId": "i-éééééééé"},
            "Value 'i-éééééééé' at 'instanceId' failed to satisfy constraint: Member must "
            r"satisfy regular expression pattern: (^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)",
            id="java-word-class-is-ascii",
        ),
        pytest.param(
            "RegisterTaskWithMaintenanceWindow",
            {**REGISTER_TASK, "AlarmConfiguration": {"Alarms": [{"Name": " \t "}]}},
            "Value ' \t ' at 'alarmConfiguration.alarms.1.member.name' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern: ^(?!\s*$).+",
            id="blank-alarm-name",
        ),
    ],
)
def test_it_reports_a_violation_in_aws_wording(
    operation: str, params: dict[str, Any], violation: str
) -> None:
    count = violation.count("; Value ") + 1
    noun = "error" if count == 1 else "errors"
    expected = f"{count} validation {noun} detected: {violation}"
    assert validation_message(operation, params) == expected


def test_it_reports_every_violation_in_request_order_then_missing_members() -> None:
    params = {"Cutoff": 24, "Name": "x", "Duration": 0}
    assert validation_message("CreateMaintenanceWindow", params) == (
        "6 validation errors detected: "
        "Value '24' at 'cutoff' failed to satisfy constraint: "
        "Member must have value less than or equal to 23; "
        "Value 'x' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3; "
        "Value 'x' at 'name' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\-.]{3,128}$; "
        "Value '0' at 'duration' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value null at 'schedule' failed to satisfy constraint: Member must not be null; "
        "Value null at 'allowUnassociatedTargets' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_it_collects_violations_from_nested_structures_lists_and_maps() -> None:
    params = {
        **REGISTER_TASK,
        "Targets": [{"Key": "", "Values": ["x"] * 51}],
        "TaskInvocationParameters": {
            "RunCommand": {"TimeoutSeconds": 29, "DocumentHashType": "md5"},
            "Automation": {"Parameters": {"p": ["v"] * 51}},
        },
        "LoggingInfo": {"S3BucketName": "b"},
    }
    message = validation_message("RegisterTaskWithMaintenanceWindow", params)
    assert message.startswith("7 validation errors detected: ")
    paths = [part.split(" at '")[1].split("'")[0] for part in message.split("; ")]
    assert paths == [
        "targets.1.member.key",
        "targets.1.member.values",
        "taskInvocationParameters.runCommand.timeoutSeconds",
        "taskInvocationParameters.runCommand.documentHashType",
        "taskInvocationParameters.automation.parameters.p",
        "loggingInfo.s3BucketName",
        "loggingInfo.s3Region",
    ]


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Duration": "3"},
            "Value at 'duration' must be an integer, got string",
            id="integer-as-string",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Duration": True},
            "Value at 'duration' must be an integer, got boolean",
            id="integer-as-boolean",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Duration": 3.0},
            "Value at 'duration' must be an integer, got number",
            id="integer-as-float",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Duration": 2**31},
            "Value at 'duration' must be an integer from -2147483648 to 2147483647, got 2147483648",
            id="integer-beyond-java-int",
        ),
        pytest.param(
            "LabelParameterVersion",
            {"Name": "p", "Labels": ["l"], "ParameterVersion": 2**63},
            "Value at 'parameterVersion' must be an integer from -9223372036854775808 to "
            "9223372036854775807, got 9223372036854775808",
            id="long-beyond-java-long",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "AllowUnassociatedTargets": "false"},
            "Value at 'allowUnassociatedTargets' must be a boolean, got string",
            id="boolean-as-string",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Name": 12345},
            "Value at 'name' must be a string, got number",
            id="string-as-number",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Tags": {"Key": "Env", "Value": "prod"}},
            "Value at 'tags' must be an array, got object",
            id="list-as-object",
        ),
        pytest.param(
            "CreateMaintenanceWindow",
            {**CREATE, "Tags": ["Env=prod"]},
            "Value at 'tags.1.member' must be an object, got string",
            id="structure-as-string",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": [["InstanceId", "i-1"]]}),
            "Value at 'taskInvocationParameters.automation.parameters' must be an object, "
            "got array",
            id="map-as-array",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Automation={"Parameters": {1: ["v"]}}),
            "Value at 'taskInvocationParameters.automation.parameters' must be an object "
            "with string keys, got number",
            id="map-with-a-non-string-key",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Lambda={"Payload": "not base64!"}),
            "Value at 'taskInvocationParameters.lambda.payload' must be a base64-encoded "
            "string, got a string that is not",
            id="blob-not-base64",
        ),
        pytest.param(
            "UpdateMaintenanceWindowTask",
            invocation(Lambda={"Payload": [1, 2]}),
            "Value at 'taskInvocationParameters.lambda.payload' must be a base64-encoded "
            "string, got array",
            id="blob-as-array",
        ),
        pytest.param(
            "CreateActivation",
            {"IamRole": "role", "ExpirationDate": "2030-01-01"},
            "Value at 'expirationDate' must be a number of epoch seconds, got string",
            id="timestamp-as-string",
        ),
        pytest.param(
            "CreateActivation",
            {"IamRole": "role", "ExpirationDate": float("nan")},
            "Value at 'expirationDate' must be epoch seconds within the years 1 to 9999, got nan",
            id="timestamp-not-a-number",
        ),
        pytest.param(
            "StartExecutionPreview",
            {"DocumentName": "AWS-RunPatchBaseline", "ExecutionInputs": {}},
            "Value at 'executionInputs' must set exactly one of: Automation",
            id="union-without-a-member",
        ),
        pytest.param(
            "GetMaintenanceWindow",
            [WINDOW_ID],
            "The request body must be a JSON object.",
            id="body-not-an-object",
        ),
    ],
)
def test_it_raises_a_serialization_error_for_a_wrong_type(
    operation: str, params: object, message: str
) -> None:
    with pytest.raises(SerializationError) as caught:
        validate_request(operation, params)
    assert caught.value.message == message


def test_it_refuses_a_recursive_shape_nested_beyond_the_stack() -> None:
    aggregator: dict[str, Any] = {"AggregatorType": "count"}
    for _ in range(1000):
        aggregator = {"AggregatorType": "count", "Aggregators": [aggregator]}
    with pytest.raises(SerializationError, match="nested too deeply"):
        validate_request("GetOpsSummary", {"Aggregators": [aggregator]})


def test_the_deepest_body_the_framing_accepts_validates_far_from_the_stack_limit() -> None:
    """A body nested about as deep as the framing accepts (each aggregator nests an object
    and an array) is validated in full, even with half the recursion limit already used."""
    aggregator: dict[str, Any] = {"AggregatorType": "count"}
    for _ in range(MAX_DEPTH // 2 - 2):
        aggregator = {"AggregatorType": "count", "Aggregators": [aggregator]}
    params = decode_request(json.dumps({"Aggregators": [aggregator]}).encode())

    def deep(frames: int) -> None:
        if frames:
            deep(frames - 1)
        else:
            validate_request("GetOpsSummary", params)

    deep(sys.getrecursionlimit() // 2)


def test_a_type_error_wins_over_constraint_violations() -> None:
    with pytest.raises(SerializationError):
        validate_request("CreateMaintenanceWindow", {"Name": "x", "Duration": "3"})


def test_it_ignores_unknown_members_and_null_optional_members() -> None:
    params = {
        **REGISTER_TARGET,
        "Targets": [{**INSTANCES, "Operator": "AND"}],
        "name": "lower-case twin of a member",
        "Bogus": {"nested": [1, 2, 3]},
        "OwnerInformation": None,
    }
    validate_request("RegisterTargetWithMaintenanceWindow", params)


def test_it_accepts_timestamps_as_epoch_seconds() -> None:
    validate_request("CreateActivation", {"IamRole": "role", "ExpirationDate": 1557593493.096})
    validate_request("CreateActivation", {"IamRole": "role", "ExpirationDate": 1557593493})


def test_every_operation_of_the_model_has_a_validator() -> None:
    for operation in sorted(operation_names("ssm")):
        try:
            validate_request(operation, {})
        except ValidationError as error:
            violations = error.message.split(": ", 1)[1].split("; ")
            assert all(v.endswith("Member must not be null") for v in violations), operation


def test_the_model_is_loaded_once_and_knows_the_maintenance_window_operations() -> None:
    assert service_model("ssm") is service_model("ssm")
    assert {"CreateMaintenanceWindow", "GetMaintenanceWindow"} <= operation_names("ssm")
    assert input_shape("ssm", "GetMaintenanceWindow").required_members == ["WindowId"]
    assert "WindowId" in output_shape("ssm", "CreateMaintenanceWindow").members
    with pytest.raises(KeyError):
        input_shape("ssm", "NoSuchOperation")
