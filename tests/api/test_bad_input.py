"""Bad input to every operation: a 4xx in the AWS shape that says what to fix, and no change
to anything stored. Requests go over raw signed HTTP so botocore's own checks don't interfere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.servers import Database, ServerProcess, boto3_client, key_service
from tests.support.signing import signed_post
from transom.protocol.awsjson.members import encode_token
from transom.services.keys import READ_ONLY_POLICY
from transom.store.engine import create_engine

UNKNOWN_WINDOW = "mw-0123456789abcdef0"
UNKNOWN_UUID = "01234567-89ab-cdef-0123-456789abcdef"
UNKNOWN_NODE = "mi-0123456789abcdef0"
V = "ValidationException"
S = "SerializationException"
D = "DoesNotExistException"
WINDOW = {
    "Name": "bad-input",
    "Schedule": "cron(0 16 ? * TUE *)",
    "Duration": 4,
    "Cutoff": 1,
    "AllowUnassociatedTargets": False,
}
TASK = {
    "WindowId": "{window}",
    "TaskArn": "AWS-RunShellScript",
    "TaskType": "RUN_COMMAND",
    "Targets": [{"Key": "WindowTargetIds", "Values": ["{target}"]}],
    "MaxConcurrency": "1",
    "MaxErrors": "0",
}
TARGET = {
    "WindowId": "{window}",
    "ResourceType": "INSTANCE",
    "Targets": [{"Key": "tag:Role", "Values": ["web"]}],
}
IDS = {"WindowId": "{window}", "WindowTargetId": "{target}"}
TASK_IDS = {"WindowId": "{window}", "WindowTaskId": "{task}"}
TAGS = {"ResourceType": "MaintenanceWindow", "ResourceId": "{window}"}
RUNBOOK = {
    "schemaVersion": "2.2",
    "parameters": {"who": {"type": "String", "default": "world"}},
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "hello",
            "inputs": {"runCommand": ["echo hello {{ who }}"]},
        }
    ],
}
RUNBOOK_TEXT = json.dumps(RUNBOOK)
NEW_DOCUMENT = {"Name": "bad-input-new", "Content": RUNBOOK_TEXT}
PAST_YEAR_9999 = encode_token("DescribeMaintenanceWindowSchedule", 2**200)
"""A well-formed token of the operation whose position names no representable instant."""

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # CreateMaintenanceWindow: the model's constraints
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Name": None},
        V,
        "at 'name' failed to satisfy constraint: Member must not be null",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "Name": "no spaces!"}, V, "regular expression pattern"),
    ("CreateMaintenanceWindow", {**WINDOW, "Name": "ab"}, V, "length greater than or equal to 3"),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Description": ""},
        V,
        "length greater than or equal to 1",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "Duration": 25}, V, "value less than or equal to 24"),
    ("CreateMaintenanceWindow", {**WINDOW, "Cutoff": -1}, V, "value greater than or equal to 0"),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "ScheduleOffset": 7},
        V,
        "value less than or equal to 6",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "Duration": "4"}, S, "duration"),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "AllowUnassociatedTargets": "yes"},
        S,
        "allowUnassociatedTargets",
    ),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "ClientToken": "x" * 65},
        V,
        "length less than or equal to 64",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "Tags": [{"Key": "k"}]}, V, "must not be null"),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Schedule": "x" * 257},
        V,
        "length less than or equal to 256",
    ),
    # CreateMaintenanceWindow: semantic rules
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Cutoff": 4},
        V,
        "Cutoff was 4 but must be smaller than Duration",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "Schedule": "every tuesday"}, V, "cron("),
    ("CreateMaintenanceWindow", {**WINDOW, "Schedule": "cron(0 25 ? * TUE *)"}, V, "25"),
    ("CreateMaintenanceWindow", {**WINDOW, "Schedule": "cron(0 16 * * TUE *)"}, V, "?"),
    ("CreateMaintenanceWindow", {**WINDOW, "Schedule": "rate(1 hours)"}, V, "hour"),
    ("CreateMaintenanceWindow", {**WINDOW, "Schedule": "at(2030-02-30T00:00:00)"}, V, "at("),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "ScheduleTimezone": "Mars/Olympus_Mons"},
        V,
        "Mars/Olympus_Mons",
    ),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Schedule": "rate(2 days)", "ScheduleOffset": 2},
        V,
        "ScheduleOffset",
    ),
    ("CreateMaintenanceWindow", {**WINDOW, "StartDate": "next tuesday"}, V, "StartDate"),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "StartDate": "2031-01-01T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"},
        V,
        "EndDate",
    ),
    (
        "CreateMaintenanceWindow",
        {**WINDOW, "Tags": [{"Key": "aws:owner", "Value": "x"}]},
        V,
        "aws:",
    ),
    # Get / Update / Delete / Describe windows
    ("GetMaintenanceWindow", {"WindowId": "mw-XYZ"}, V, "regular expression pattern"),
    ("GetMaintenanceWindow", {"WindowId": UNKNOWN_WINDOW}, D, UNKNOWN_WINDOW),
    ("UpdateMaintenanceWindow", {"WindowId": UNKNOWN_WINDOW, "Duration": 5}, D, UNKNOWN_WINDOW),
    ("UpdateMaintenanceWindow", {"WindowId": "{window}", "Cutoff": 9}, V, "Cutoff"),
    (
        "UpdateMaintenanceWindow",
        {"WindowId": "{window}", "Schedule": "cron(0 16 ? * TUE#6 *)"},
        V,
        "#",
    ),
    (
        "UpdateMaintenanceWindow",
        {"WindowId": "{window}", "Replace": True, "Name": "abc"},
        V,
        "Replace",
    ),
    ("UpdateMaintenanceWindow", {"WindowId": "{window}", "Enabled": "no"}, S, "enabled"),
    ("DeleteMaintenanceWindow", {"WindowId": "not-a-window"}, V, "windowId"),
    ("DescribeMaintenanceWindows", {"MaxResults": 5}, V, "value greater than or equal to 10"),
    ("DescribeMaintenanceWindows", {"MaxResults": 101}, V, "value less than or equal to 100"),
    ("DescribeMaintenanceWindows", {"Filters": [{"Key": "Owner", "Values": ["x"]}]}, V, "Owner"),
    (
        "DescribeMaintenanceWindows",
        {"Filters": [{"Key": "Enabled", "Values": ["maybe"]}]},
        V,
        "true or false",
    ),
    (
        "DescribeMaintenanceWindows",
        {"Filters": [{"Key": "Name", "Values": ["a"]}] * 6},
        V,
        "length less than or equal to 5",
    ),
    ("DescribeMaintenanceWindows", {"NextToken": "eyJvIjoiWCIsImEiOjF9"}, V, "NextToken"),
    # targets
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "WindowId": UNKNOWN_WINDOW},
        D,
        UNKNOWN_WINDOW,
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "ResourceType": "HOST"},
        V,
        "enum value set: [INSTANCE, RESOURCE_GROUP]",
    ),
    ("RegisterTargetWithMaintenanceWindow", {**TARGET, "Targets": []}, V, "at least one target"),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "Targets": [{"Key": "Hostname", "Values": ["a"]}]},
        V,
        "Hostname",
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {
            **TARGET,
            "Targets": [{"Key": "InstanceIds", "Values": [f"i-{n:08d}" for n in range(51)]}],
        },
        V,
        "less than or equal to 50",
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "Targets": [{"Key": "InstanceIds", "Values": ["host-1"]}]},
        V,
        "host-1",
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "ResourceType": "RESOURCE_GROUP"},
        V,
        "RESOURCE_GROUP is not supported",
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "OwnerInformation": "o" * 129},
        V,
        "length less than or equal to 128",
    ),
    (
        "RegisterTargetWithMaintenanceWindow",
        {**TARGET, "Targets": [{"Key": "tag:a", "Values": ["b"]}] * 6},
        V,
        "length less than or equal to 5",
    ),
    ("UpdateMaintenanceWindowTarget", {**IDS, "WindowTargetId": UNKNOWN_UUID}, D, UNKNOWN_UUID),
    ("UpdateMaintenanceWindowTarget", {**IDS, "Replace": True, "Name": "new-name"}, V, "Targets"),
    (
        "UpdateMaintenanceWindowTarget",
        {**IDS, "Targets": [{"Key": "tag-key", "Values": []}]},
        V,
        "at least one value",
    ),
    (
        "DeregisterTargetFromMaintenanceWindow",
        {**IDS, "WindowTargetId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    (
        "DeregisterTargetFromMaintenanceWindow",
        {**IDS, "Safe": True},
        "TargetInUseException",
        "{task}",
    ),
    ("DescribeMaintenanceWindowTargets", {"WindowId": UNKNOWN_WINDOW}, D, UNKNOWN_WINDOW),
    (
        "DescribeMaintenanceWindowTargets",
        {"WindowId": "{window}", "Filters": [{"Key": "Name", "Values": ["x"]}]},
        V,
        "Name",
    ),
    # tasks
    ("RegisterTaskWithMaintenanceWindow", {**TASK, "TaskType": "SHELL"}, V, "enum value set"),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "TaskArn": "bad-input-nope"},
        "InvalidDocument",
        "bad-input-nope",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {
            **TASK,
            "TaskArn": "{document}",
            "TaskInvocationParameters": {"RunCommand": {"Parameters": {"who": ["a", "b"]}}},
        },
        "InvalidParameters",
        "Parameter 'who' takes one value, not 2.",
    ),
    (
        "UpdateMaintenanceWindowTask",
        {
            **TASK_IDS,
            "TaskInvocationParameters": {"RunCommand": {"Parameters": {"commands": []}}},
        },
        "InvalidParameters",
        "Parameter 'commands' must have at least 1 items (minItems), not 0.",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "TaskType": "LAMBDA", "TaskArn": "my-function"},
        V,
        "TaskType LAMBDA is not supported",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "Priority": -1},
        V,
        "value greater than or equal to 0",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "MaxConcurrency": "0"},
        V,
        "regular expression pattern",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "MaxErrors": "101%"},
        V,
        "regular expression pattern",
    ),
    ("RegisterTaskWithMaintenanceWindow", {**TASK, "CutoffBehavior": "STOP"}, V, "CONTINUE_TASK"),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "TaskInvocationParameters": {"RunCommand": {"TimeoutSeconds": 10}}},
        V,
        "value greater than or equal to 30",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "TaskArn": ""},
        V,
        "length greater than or equal to 1",
    ),
    (
        "RegisterTaskWithMaintenanceWindow",
        {**TASK, "Targets": None},
        V,
        "RUN_COMMAND tasks need Targets",
    ),
    ("UpdateMaintenanceWindowTask", {**TASK_IDS, "WindowTaskId": UNKNOWN_UUID}, D, UNKNOWN_UUID),
    ("UpdateMaintenanceWindowTask", {**TASK_IDS, "Replace": True, "Priority": 2}, V, "TaskArn"),
    (
        "UpdateMaintenanceWindowTask",
        {**TASK_IDS, "MaxErrors": "lots"},
        V,
        "regular expression pattern",
    ),
    (
        "UpdateMaintenanceWindowTask",
        {**TASK_IDS, "Targets": []},
        V,
        "RUN_COMMAND tasks need Targets",
    ),
    (
        "UpdateMaintenanceWindowTask",
        {**TASK_IDS, "TaskInvocationParameters": {"Automation": {}}},
        V,
        "does not match TaskType",
    ),
    ("GetMaintenanceWindowTask", {**TASK_IDS, "WindowTaskId": UNKNOWN_UUID}, D, UNKNOWN_UUID),
    (
        "GetMaintenanceWindowTask",
        {**TASK_IDS, "WindowTaskId": "task-1"},
        V,
        "regular expression pattern",
    ),
    (
        "DeregisterTaskFromMaintenanceWindow",
        {**TASK_IDS, "WindowTaskId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    ("DeregisterTaskFromMaintenanceWindow", {"WindowId": "{window}"}, V, "windowTaskId"),
    ("DescribeMaintenanceWindowTasks", {"WindowId": UNKNOWN_WINDOW}, D, UNKNOWN_WINDOW),
    (
        "DescribeMaintenanceWindowTasks",
        {"WindowId": "{window}", "Filters": [{"Key": "Name", "Values": ["x"]}]},
        V,
        "Name",
    ),
    # schedules
    ("DescribeMaintenanceWindowSchedule", {"WindowId": UNKNOWN_WINDOW}, D, UNKNOWN_WINDOW),
    ("DescribeMaintenanceWindowSchedule", {}, V, "Give WindowId, or Targets with ResourceType"),
    ("DescribeMaintenanceWindowSchedule", TARGET, V, "not both"),
    (
        "DescribeMaintenanceWindowSchedule",
        {"Targets": [{"Key": "tag:Role", "Values": ["web"]}]},
        V,
        "Targets with ResourceType",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"ResourceType": "INSTANCE", "Targets": [{"Key": "Hostname", "Values": ["a"]}]},
        V,
        "Hostname",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"WindowId": "{window}", "Filters": [{"Key": "ExecutedAfter", "Values": ["x"]}]},
        V,
        "ScheduledAfter, ScheduledBefore",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"WindowId": "{window}", "Filters": [{"Key": "ScheduledBefore", "Values": ["soon"]}]},
        V,
        "ScheduledBefore 'soon' is not a valid ISO-8601 date and time",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"WindowId": "{window}", "MaxResults": 0},
        V,
        "value greater than or equal to 1",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"WindowId": "{window}", "NextToken": "eyJvIjoiWCIsImEiOjF9"},
        V,
        "NextToken",
    ),
    (
        "DescribeMaintenanceWindowSchedule",
        {"WindowId": "{window}", "NextToken": PAST_YEAR_9999},
        V,
        "NextToken",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {"ResourceType": "INSTANCE"},
        V,
        "at 'targets' failed to satisfy constraint: Member must not be null",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {"ResourceType": "HOST", "Targets": [{"Key": "tag:Role", "Values": ["web"]}]},
        V,
        "enum value set: [INSTANCE, RESOURCE_GROUP]",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {"ResourceType": "INSTANCE", "Targets": []},
        V,
        "at least one target",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {"ResourceType": "INSTANCE", "Targets": [{"Key": "InstanceIds", "Values": ["host-1"]}]},
        V,
        "host-1",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {"ResourceType": "RESOURCE_GROUP", "Targets": [{"Key": "tag:Role", "Values": ["web"]}]},
        V,
        "RESOURCE_GROUP",
    ),
    (
        "DescribeMaintenanceWindowsForTarget",
        {**TARGET, "WindowId": None, "NextToken": "not-a-token"},
        V,
        "NextToken",
    ),
    # tags
    (
        "AddTagsToResource",
        {**TAGS, "ResourceType": "Banana", "Tags": [{"Key": "a", "Value": "b"}]},
        V,
        "enum value set",
    ),
    (
        "AddTagsToResource",
        {**TAGS, "ResourceId": UNKNOWN_WINDOW, "Tags": [{"Key": "a", "Value": "b"}]},
        "InvalidResourceId",
        UNKNOWN_WINDOW,
    ),
    ("AddTagsToResource", {**TAGS, "Tags": [{"Key": "aws:x", "Value": "b"}]}, V, "aws:"),
    (
        "AddTagsToResource",
        {**TAGS, "Tags": [{"Key": "a", "Value": "v" * 257}]},
        V,
        "length less than or equal to 256",
    ),
    (
        "AddTagsToResource",
        {**TAGS, "Tags": [{"Key": f"k{n}", "Value": "v"} for n in range(51)]},
        "TooManyTagsError",
        "50",
    ),
    (
        "RemoveTagsFromResource",
        {**TAGS, "ResourceId": UNKNOWN_WINDOW, "TagKeys": ["a"]},
        "InvalidResourceId",
        UNKNOWN_WINDOW,
    ),
    ("RemoveTagsFromResource", TAGS, V, "tagKeys"),
    (
        "ListTagsForResource",
        {"ResourceType": "Parameter", "ResourceId": "x"},
        "InvalidResourceType",
        "MaintenanceWindow",
    ),
    (
        "ListTagsForResource",
        {**TAGS, "ResourceId": UNKNOWN_WINDOW},
        "InvalidResourceId",
        UNKNOWN_WINDOW,
    ),
    # activations and nodes
    (
        "CreateActivation",
        {"IamRole": "r", "RegistrationLimit": 0},
        V,
        "value greater than or equal to 1",
    ),
    (
        "CreateActivation",
        {"IamRole": "r", "RegistrationLimit": 1001},
        V,
        "value less than or equal to 1000",
    ),
    ("CreateActivation", {"IamRole": "r", "ExpirationDate": 1.0}, V, "ExpirationDate"),
    (
        "CreateActivation",
        {"IamRole": "r", "DefaultInstanceName": "bad<name>"},
        V,
        "regular expression pattern",
    ),
    (
        "DescribeActivations",
        {"Filters": [{"FilterKey": "Colour", "FilterValues": ["x"]}]},
        V,
        "enum value set",
    ),
    ("DescribeActivations", {"MaxResults": 51}, V, "value less than or equal to 50"),
    ("DeleteActivation", {"ActivationId": UNKNOWN_UUID}, "InvalidActivationId", UNKNOWN_UUID),
    ("DeleteActivation", {"ActivationId": "not-an-id"}, V, "regular expression pattern"),
    ("DescribeInstanceInformation", {"MaxResults": 4}, V, "value greater than or equal to 5"),
    (
        "DescribeInstanceInformation",
        {"Filters": [{"Key": "Colour", "Values": ["x"]}]},
        "InvalidFilterKey",
        "Colour",
    ),
    (
        "DescribeInstanceInformation",
        {"Filters": [{"Key": "PingStatus", "Values": ["Asleep"]}]},
        "InvalidInstanceInformationFilterValue",
        "PingStatus",
    ),
    (
        "DescribeInstanceInformation",
        {"Filters": [{"Key": "InstanceIds", "Values": [UNKNOWN_NODE]}]},
        "InvalidInstanceId",
        UNKNOWN_NODE,
    ),
    (
        "DescribeInstanceInformation",
        {
            "Filters": [{"Key": "PingStatus", "Values": ["Online"]}],
            "InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
        },
        V,
        "not both",
    ),
    ("DeregisterManagedInstance", {"InstanceId": UNKNOWN_NODE}, "InvalidInstanceId", UNKNOWN_NODE),
    ("DeregisterManagedInstance", {"InstanceId": "i-0123"}, V, "regular expression pattern"),
    (
        "UpdateManagedInstanceRole",
        {"InstanceId": UNKNOWN_NODE, "IamRole": "r"},
        "InvalidInstanceId",
        UNKNOWN_NODE,
    ),
    ("UpdateManagedInstanceRole", {"InstanceId": UNKNOWN_NODE}, V, "'iamRole'"),
    # Run Command
    (
        "SendCommand",
        {"DocumentName": "AWS-Nope", "InstanceIds": [UNKNOWN_NODE]},
        "InvalidDocument",
        "AWS-Nope",
    ),
    (
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": [UNKNOWN_NODE],
            "Parameters": {"commands": ["true"]},
        },
        "InvalidInstanceId",
        UNKNOWN_NODE,
    ),
    (
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": [UNKNOWN_NODE],
            "Parameters": {"commands": ["true"]},
            "TimeoutSeconds": 5,
        },
        V,
        "value greater than or equal to 30",
    ),
    (
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": [UNKNOWN_NODE],
            "Parameters": {"commands": ["true"]},
            "MaxConcurrency": "0",
        },
        V,
        "regular expression pattern",
    ),
    (
        "SendCommand",
        {"DocumentName": "AWS-RunShellScript", "Parameters": {"commands": ["true"]}},
        V,
        "exactly one of InstanceIds or Targets",
    ),
    (
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "Targets": [{"Key": "Hostname", "Values": ["a"]}],
            "Parameters": {"commands": ["true"]},
        },
        V,
        "Hostname",
    ),
    (
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": [UNKNOWN_NODE],
            "Parameters": {"cmds": ["true"]},
        },
        "InvalidParameters",
        "cmds",
    ),
    (
        "SendCommand",
        {
            "DocumentName": "{document}",
            "InstanceIds": [UNKNOWN_NODE],
            "Parameters": {"who": ["a", "b"]},
        },
        "InvalidParameters",
        "Parameter 'who' takes one value, not 2.",
    ),
    (
        "SendCommand",
        {"DocumentName": "{document}", "InstanceIds": [UNKNOWN_NODE], "DocumentVersion": "3"},
        "InvalidDocumentVersion",
        "no version 3",
    ),
    (
        "SendCommand",
        {"DocumentName": "{document}", "InstanceIds": [UNKNOWN_NODE], "DocumentHash": "ab"},
        "InvalidDocument",
        "DocumentHash is not the Sha256 hash of version 1",
    ),
    ("ListCommands", {"CommandId": UNKNOWN_UUID}, "InvalidCommandId", UNKNOWN_UUID),
    ("ListCommands", {"Filters": [{"key": "Owner", "value": "x"}]}, V, "enum value set"),
    ("ListCommands", {"MaxResults": 51}, V, "value less than or equal to 50"),
    ("ListCommandInvocations", {"CommandId": UNKNOWN_UUID}, "InvalidCommandId", UNKNOWN_UUID),
    (
        "ListCommandInvocations",
        {"Filters": [{"key": "ExecutionStage", "value": "Executing"}]},
        "InvalidFilterKey",
        "ExecutionStage",
    ),
    (
        "GetCommandInvocation",
        {"CommandId": UNKNOWN_UUID, "InstanceId": UNKNOWN_NODE},
        "InvocationDoesNotExist",
        UNKNOWN_UUID,
    ),
    (
        "GetCommandInvocation",
        {"CommandId": "short", "InstanceId": UNKNOWN_NODE},
        V,
        "length greater than or equal to 36",
    ),
    ("CancelCommand", {"CommandId": UNKNOWN_UUID}, "InvalidCommandId", UNKNOWN_UUID),
    (
        "CancelCommand",
        {"CommandId": UNKNOWN_UUID, "InstanceIds": [UNKNOWN_NODE, UNKNOWN_NODE]},
        "DuplicateInstanceId",
        UNKNOWN_NODE,
    ),
    # execution history
    ("DescribeMaintenanceWindowExecutions", {"WindowId": "mw-1"}, V, "regular expression"),
    (
        "DescribeMaintenanceWindowExecutions",
        {"WindowId": "{window}", "Filters": [{"Key": "ExecutedAfter", "Values": ["yesterday"]}]},
        V,
        "ExecutedAfter",
    ),
    (
        "DescribeMaintenanceWindowExecutions",
        {"WindowId": "{window}", "Filters": [{"Key": "Status", "Values": ["SUCCESS"]}]},
        V,
        "ExecutedBefore, ExecutedAfter",
    ),
    ("GetMaintenanceWindowExecution", {"WindowExecutionId": UNKNOWN_UUID}, D, UNKNOWN_UUID),
    ("GetMaintenanceWindowExecution", {"WindowExecutionId": "x"}, V, "length"),
    (
        "DescribeMaintenanceWindowExecutionTasks",
        {"WindowExecutionId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    (
        "DescribeMaintenanceWindowExecutionTasks",
        {"WindowExecutionId": UNKNOWN_UUID, "MaxResults": 5},
        V,
        "value greater than or equal to 10",
    ),
    (
        "GetMaintenanceWindowExecutionTask",
        {"WindowExecutionId": UNKNOWN_UUID, "TaskId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    (
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        {"WindowExecutionId": UNKNOWN_UUID, "TaskId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    (
        "GetMaintenanceWindowExecutionTaskInvocation",
        {"WindowExecutionId": UNKNOWN_UUID, "TaskId": UNKNOWN_UUID, "InvocationId": UNKNOWN_UUID},
        D,
        UNKNOWN_UUID,
    ),
    ("CancelMaintenanceWindowExecution", {"WindowExecutionId": UNKNOWN_UUID}, D, UNKNOWN_UUID),
    ("ListDocuments", {"MaxResults": 0}, V, "value greater than or equal to 1"),
    ("DescribeDocument", {"Name": "AWS-Nope"}, "InvalidDocument", "AWS-Nope"),
    (
        "DescribeDocument",
        {"Name": "AWS-RunShellScript", "DocumentVersion": "9"},
        "InvalidDocumentVersion",
        "version 1",
    ),
    (
        "DescribeDocument",
        {"Name": "{document}", "VersionName": "nope"},
        "InvalidDocumentVersion",
        "nope",
    ),
    # Documents
    ("CreateDocument", {"Name": "bad-input-new"}, V, "'content' failed to satisfy constraint"),
    ("CreateDocument", {**NEW_DOCUMENT, "Name": "ab"}, V, "regular expression pattern"),
    ("CreateDocument", {**NEW_DOCUMENT, "Name": "AWS-Mine"}, V, "reserved for AWS documents"),
    ("CreateDocument", {**NEW_DOCUMENT, "Name": "amazon-x"}, V, "reserved for AWS documents"),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Name": "{document}"},
        "DocumentAlreadyExists",
        "{document}",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Name": "AWS-RunShellScript"},
        V,
        "reserved for AWS documents",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "DocumentType": "Automation"},
        "InvalidDocumentType",
        "Automation",
    ),
    ("CreateDocument", {**NEW_DOCUMENT, "DocumentType": "Nope"}, V, "enum value set"),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "DocumentFormat": "TEXT"},
        "InvalidDocumentContent",
        "TEXT",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Content": "{"},
        "InvalidDocumentContent",
        "not valid JSON",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Content": "a: [", "DocumentFormat": "YAML"},
        "InvalidDocumentContent",
        "not valid YAML",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Content": json.dumps({**RUNBOOK, "schemaVersion": "0.3"})},
        "InvalidDocumentSchemaVersion",
        "'0.3'",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Content": json.dumps({**RUNBOOK, "mainSteps": []})},
        "InvalidDocumentContent",
        "needs mainSteps",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Content": json.dumps({**RUNBOOK, "description": "x" * 66000})},
        "MaxDocumentSizeExceeded",
        "a document may hold at most 65536",
    ),
    (
        "CreateDocument",
        {**NEW_DOCUMENT, "Tags": [{"Key": "aws:x", "Value": "y"}]},
        V,
        "reserved prefix 'aws:'",
    ),
    ("CreateDocument", {**NEW_DOCUMENT, "VersionName": "a b"}, V, "regular expression pattern"),
    ("CreateDocument", {**NEW_DOCUMENT, "TargetType": "EC2"}, V, "regular expression pattern"),
    ("GetDocument", {"Name": "bad-input-nope"}, "InvalidDocument", "bad-input-nope"),
    (
        "GetDocument",
        {"Name": "{document}", "DocumentVersion": "7"},
        "InvalidDocumentVersion",
        "no version 7",
    ),
    (
        "GetDocument",
        {"Name": "{document}", "DocumentVersion": "x"},
        V,
        "regular expression pattern",
    ),
    ("GetDocument", {"Name": "{document}", "DocumentFormat": "XML"}, V, "enum value set"),
    (
        "UpdateDocument",
        {"Name": "{document}", "Content": RUNBOOK_TEXT},
        "DuplicateDocumentContent",
        "change it to make a new version",
    ),
    (
        "UpdateDocument",
        {"Name": "{document}", "Content": RUNBOOK_TEXT + " ", "DocumentVersion": "5"},
        "InvalidDocumentVersion",
        "Only the latest version (1, or $LATEST)",
    ),
    (
        "UpdateDocument",
        {"Name": "{document}", "Content": RUNBOOK_TEXT + " ", "VersionName": "v1"},
        "DuplicateDocumentVersionName",
        "already has a version named v1",
    ),
    (
        "UpdateDocument",
        {"Name": "{document}", "Content": "[]"},
        "InvalidDocumentContent",
        "must be a JSON object",
    ),
    (
        "UpdateDocument",
        {"Name": "AWS-RunShellScript", "Content": RUNBOOK_TEXT},
        "InvalidDocumentOperation",
        "owned by Amazon and read-only",
    ),
    (
        "UpdateDocument",
        {"Name": "bad-input-nope", "Content": RUNBOOK_TEXT},
        "InvalidDocument",
        "bad-input-nope",
    ),
    (
        "UpdateDocumentDefaultVersion",
        {"Name": "{document}", "DocumentVersion": "5"},
        "InvalidDocumentVersion",
        "no version 5",
    ),
    (
        "UpdateDocumentDefaultVersion",
        {"Name": "{document}", "DocumentVersion": "$LATEST"},
        V,
        "regular expression pattern",
    ),
    (
        "UpdateDocumentDefaultVersion",
        {"Name": "AWS-RunShellScript", "DocumentVersion": "1"},
        "InvalidDocumentOperation",
        "read-only",
    ),
    ("DeleteDocument", {"Name": "AWS-RunShellScript"}, "InvalidDocumentOperation", "read-only"),
    ("DeleteDocument", {"Name": "bad-input-nope"}, "InvalidDocument", "bad-input-nope"),
    (
        "DeleteDocument",
        {"Name": "{document}", "DocumentVersion": "1"},
        "InvalidDocumentOperation",
        "is the default version",
    ),
    (
        "DeleteDocument",
        {"Name": "{document}", "DocumentVersion": "$LATEST"},
        "InvalidDocumentVersion",
        "by its number or VersionName",
    ),
    ("ListDocumentVersions", {"Name": "bad-input-nope"}, "InvalidDocument", "bad-input-nope"),
    (
        "ListDocumentVersions",
        {"Name": "{document}", "MaxResults": 0},
        V,
        "greater than or equal to 1",
    ),
    (
        "ListDocuments",
        {"Filters": [{"Key": "Color", "Values": ["x"]}]},
        "InvalidFilterKey",
        "Color",
    ),
    ("ListDocuments", {"Filters": [{"Key": "Owner", "Values": ["Me"]}]}, V, "Owner must be one of"),
    ("ListDocuments", {"DocumentFilterList": [{"key": "Owner", "value": ""}]}, V, "length greater"),
    (
        "AddTagsToResource",
        {
            "ResourceType": "Document",
            "ResourceId": "bad-input-nope",
            "Tags": [{"Key": "a", "Value": "b"}],
        },
        "InvalidResourceId",
        "bad-input-nope",
    ),
    (
        "ListTagsForResource",
        {"ResourceType": "Document", "ResourceId": "AWS-RunShellScript"},
        "InvalidResourceId",
        "AWS-RunShellScript",
    ),
]

RULE = "bad-input-rule"
RULE_ARN = "arn:aws:events:us-east-1:000000000000:rule/bad-input-rule"
TOPIC = "arn:aws:sns:us-east-1:000000000000:bad-input"
PATTERN = '{"source": ["aws.ssm"]}'
EVENT = (
    '{"id": "1", "account": "000000000000", "source": "aws.ssm", "time": "2026-03-29T01:30:15Z",'
    ' "region": "us-east-1", "resources": [], "detail-type": "x", "detail": {}}'
)
R = "ResourceNotFoundException"
P = "InvalidEventPatternException"
RULE_PUT = {"Name": RULE, "EventPattern": PATTERN}

EVENTS_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("PutRule", {"EventPattern": PATTERN}, V, "at 'name' failed to satisfy constraint"),
    ("PutRule", {**RULE_PUT, "Name": "no spaces!"}, V, "regular expression pattern"),
    ("PutRule", {**RULE_PUT, "Name": "x" * 65}, V, "length less than or equal to 64"),
    ("PutRule", {**RULE_PUT, "Description": "d" * 513}, V, "length less than or equal to 512"),
    ("PutRule", {**RULE_PUT, "State": "ON"}, V, "enum value set"),
    (
        "PutRule",
        {**RULE_PUT, "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"},
        V,
        "CloudTrail",
    ),
    ("PutRule", {**RULE_PUT, "EventPattern": "{not json"}, P, "JSON"),
    ("PutRule", {**RULE_PUT, "EventPattern": '["aws.ssm"]'}, P, "object"),
    ("PutRule", {"Name": RULE}, V, "EventPattern"),
    ("PutRule", {"Name": RULE, "ScheduleExpression": "rate(5 minutes)"}, V, "maintenance windows"),
    ("PutRule", {**RULE_PUT, "RoleArn": "arn:aws:iam::0:role/r"}, V, "RoleArn"),
    ("PutRule", {**RULE_PUT, "EventBusName": "orders"}, R, "orders"),
    ("PutRule", {**RULE_PUT, "Tags": [{"Key": "aws:x", "Value": "v"}]}, V, "reserved"),
    ("PutRule", {**RULE_PUT, "Tags": [{"Key": "k" * 129, "Value": "v"}]}, V, "128"),
    ("PutRule", {**RULE_PUT, "Name": 7}, S, "name"),
    ("DescribeRule", {"Name": "no-such-rule"}, R, "Rule no-such-rule does not exist"),
    ("DescribeRule", {}, V, "must not be null"),
    ("DescribeRule", {"Name": RULE, "EventBusName": "orders"}, R, "default"),
    ("ListRules", {"Limit": 0}, V, "value greater than or equal to 1"),
    ("ListRules", {"Limit": 101}, V, "value less than or equal to 100"),
    ("ListRules", {"NextToken": "garbage"}, V, "NextToken"),
    ("ListRules", {"NamePrefix": ""}, V, "length greater than or equal to 1"),
    ("DeleteRule", {"Name": RULE}, V, "RemoveTargets"),
    ("DeleteRule", {"Name": ""}, V, "length greater than or equal to 1"),
    ("DeleteRule", {"Name": RULE, "Force": "yes"}, S, "force"),
    ("EnableRule", {"Name": "no-such-rule"}, R, "no-such-rule"),
    ("DisableRule", {"Name": "no-such-rule"}, R, "no-such-rule"),
    (
        "DisableRule",
        {"Name": RULE, "EventBusName": "arn:aws:events:us-east-1:000000000000:event-bus/x"},
        R,
        "event-bus/x",
    ),
    (
        "PutTargets",
        {"Rule": "no-such-rule", "Targets": [{"Id": "t", "Arn": TOPIC}]},
        R,
        "no-such-rule",
    ),
    ("PutTargets", {"Rule": RULE, "Targets": []}, V, "length greater than or equal to 1"),
    ("PutTargets", {"Rule": RULE, "Targets": [{"Id": "t"}]}, V, "targets.1.member.arn"),
    (
        "PutTargets",
        {"Rule": RULE, "Targets": [{"Id": "t", "Arn": TOPIC}, {"Id": "t", "Arn": TOPIC}]},
        V,
        "more than once",
    ),
    (
        "PutTargets",
        {"Rule": RULE, "Targets": [{"Id": f"n{n}", "Arn": TOPIC} for n in range(5)]},
        "LimitExceededException",
        "at most 5",
    ),
    ("RemoveTargets", {"Rule": "no-such-rule", "Ids": ["t"]}, R, "no-such-rule"),
    ("RemoveTargets", {"Rule": RULE, "Ids": []}, V, "length greater than or equal to 1"),
    ("ListTargetsByRule", {"Rule": "no-such-rule"}, R, "no-such-rule"),
    ("ListTargetsByRule", {"Rule": RULE, "Limit": 101}, V, "value less than or equal to 100"),
    ("ListTargetsByRule", {"Rule": RULE, "NextToken": "garbage"}, V, "NextToken"),
    ("TestEventPattern", {"EventPattern": "{not json", "Event": EVENT}, P, "JSON"),
    ("TestEventPattern", {"EventPattern": PATTERN, "Event": "{"}, V, "Event is not valid"),
    ("TestEventPattern", {"EventPattern": PATTERN, "Event": "{}"}, V, "detail-type"),
    ("TestEventPattern", {"EventPattern": PATTERN}, V, "at 'event' failed"),
    ("TagResource", {"ResourceARN": "rule/x", "Tags": []}, V, "not a rule ARN"),
    (
        "TagResource",
        {"ResourceARN": RULE_ARN.replace(RULE, "no-such-rule"), "Tags": []},
        R,
        "no-such-rule",
    ),
    ("TagResource", {"ResourceARN": RULE_ARN, "Tags": [{"Key": "aws:k", "Value": ""}]}, V, "aws:"),
    (
        "TagResource",
        {"ResourceARN": RULE_ARN, "Tags": [{"Key": f"k{n}", "Value": ""} for n in range(50)]},
        "LimitExceededException",
        "51 tags",
    ),
    ("UntagResource", {"ResourceARN": RULE_ARN}, V, "at 'tagKeys' failed"),
    ("UntagResource", {"ResourceARN": RULE_ARN.replace(RULE, "gone"), "TagKeys": ["k"]}, R, "gone"),
    ("ListTagsForResource", {"ResourceARN": "arn:aws:sns:us-east-1:000000000000:t"}, V, "rule/"),
    ("ListTagsForResource", {"ResourceARN": ""}, V, "length greater than or equal to 1"),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):  # {window} and the like; other braces (JSON) stay
        for name, found in ids.items():
            value = value.replace(f"{{{name}}}", found)
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items() if v is not None}
    return value


@pytest.fixture(scope="module")
def ids(server: ServerProcess) -> dict[str, str]:
    ssm = boto3_client(server.endpoint)
    window = ssm.create_maintenance_window(**WINDOW, Tags=[{"Key": "keep", "Value": "1"}])[
        "WindowId"
    ]
    target = ssm.register_target_with_maintenance_window(**_fill(TARGET, {"window": window}))[
        "WindowTargetId"
    ]
    task = ssm.register_task_with_maintenance_window(
        **_fill(TASK, {"window": window, "target": target})
    )["WindowTaskId"]
    document = "bad-input-doc"
    ssm.create_document(Name=document, Content=RUNBOOK_TEXT, VersionName="v1")
    return {"window": window, "target": target, "task": task, "document": document}


@pytest.fixture(scope="module")
def dump(backend_db: Database) -> Iterator[Any]:
    """Every row of every table, to compare before and after; not what the server's loops
    write on their own time for what the fixtures made: the scheduler's cursors, the relay's
    `relayed` marks, and the delivery worker's attempts (a delivery's row counts, not its
    progress); nor the audit trail, which records each refused change by design."""
    engine = create_engine(backend_db.url or f"sqlite:///{backend_db.data_dir / 'transom.db'}")
    metadata = sa.MetaData()
    metadata.reflect(engine)
    own_time = {"relayed", "status", "attempts", "next_attempt", "lease", "leased_until"}
    own_time |= {"last_error", "finished_date"}

    def columns(name: str, table: sa.Table) -> list[sa.Column[Any]]:
        if name in ("events", "deliveries"):
            return [c for c in table.columns if c.name not in own_time]
        return list(table.columns)

    def snapshot() -> dict[str, list[str]]:
        with engine.connect() as conn:
            return {
                name: sorted(
                    json.dumps(list(row), default=str)
                    for row in conn.execute(sa.select(*columns(name, table)))
                )
                for name, table in metadata.tables.items()
                if name not in ("window_cursors", "audit_records", "audit_resources")
            }

    yield snapshot
    engine.dispose()


@pytest.mark.parametrize(("operation", "params", "code", "words"), CASES)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    server: ServerProcess,
    ids: dict[str, str],
    dump: Any,
    operation: str,
    params: dict[str, Any],
    code: str,
    words: str,
) -> None:
    before = dump()
    response = signed_post(server.endpoint, operation, _fill(params, ids))
    body = response.json()
    assert 400 <= response.status_code < 500
    assert body["__type"] == code, body
    assert words.format(**ids) in body["message"], body["message"]
    assert dump() == before


@pytest.fixture(scope="module")
def rule(server: ServerProcess) -> str:
    """A rule with a target and a tag, for the EventBridge cases."""
    events = boto3_client(server.endpoint, "events")
    events.put_rule(**RULE_PUT, Tags=[{"Key": "keep", "Value": "1"}])
    events.put_targets(Rule=RULE, Targets=[{"Id": "keep", "Arn": TOPIC}])
    return RULE


@pytest.mark.parametrize(("operation", "params", "code", "words"), EVENTS_CASES)
@pytest.mark.usefixtures("rule")
def test_bad_eventbridge_input_is_refused_clearly_and_changes_nothing(
    server: ServerProcess,
    dump: Any,
    operation: str,
    params: dict[str, Any],
    code: str,
    words: str,
) -> None:
    before = dump()
    response = signed_post(
        server.endpoint, operation, params, target_prefix="AWSEvents", service="events"
    )
    body = response.json()
    assert 400 <= response.status_code < 500
    assert body["__type"] == code, body
    assert words in body["message"], body["message"]
    assert dump() == before


def test_every_implemented_eventbridge_operation_has_bad_input_cases() -> None:
    from transom.protocol.awsjson.apis import EVENTS

    assert set(EVENTS.handlers) <= {case[0] for case in EVENTS_CASES}


def test_every_implemented_configuration_operation_has_bad_input_cases() -> None:
    from transom.protocol.awsjson.apis import SSM

    assert set(SSM.handlers) <= {case[0] for case in CASES}


@pytest.fixture(scope="module")
def read_only_key(backend_db: Database) -> tuple[str, str]:
    """A key limited to reads (`transom keys create --read-only`)."""
    store = backend_db.open_store()
    try:
        key = key_service(backend_db, store).create("bad input: read only", READ_ONLY_POLICY)
    finally:
        store.close()
    return key.access_key_id, key.secret_access_key


DENIED_CASES = [
    ("CreateMaintenanceWindow", {"Name": "denied-window", "Schedule": "rate(1 day)",
     "Duration": 2, "Cutoff": 1, "AllowUnassociatedTargets": True}, "maintenancewindow/*"),
    ("UpdateMaintenanceWindow", {"WindowId": "{window}", "Name": "denied"},
     "maintenancewindow/{window}"),
    ("DeleteMaintenanceWindow", {"WindowId": "{window}"}, "maintenancewindow/{window}"),
    ("DeregisterTaskFromMaintenanceWindow", {"WindowId": "{window}", "WindowTaskId": "{task}"},
     "maintenancewindow/{window}"),
    ("DeleteDocument", {"Name": "{document}"}, "document/{document}"),
    ("SendCommand", {"DocumentName": "{document}", "InstanceIds": ["mi-0123456789abcdef0"]},
     "document/{document}"),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params", "resource"), DENIED_CASES)
def test_a_call_the_keys_policy_does_not_allow_is_denied_and_changes_nothing(
    server: ServerProcess,
    ids: dict[str, str],
    dump: Any,
    read_only_key: tuple[str, str],
    operation: str,
    params: dict[str, Any],
    resource: str,
) -> None:
    before = dump()
    key, secret = read_only_key
    response = signed_post(
        server.endpoint, operation, _fill(params, ids), access_key=key, secret=secret
    )
    body = response.json()
    assert response.status_code == 400
    assert body["__type"] == "AccessDeniedException", body
    assert body["message"] == (
        f"User: arn:aws:iam::000000000000:user/{key} is not authorized to perform: "
        f"ssm:{operation} on resource: arn:aws:ssm:us-east-1:000000000000:"
        f"{resource.format(**ids)} because no identity-based policy allows the "
        f"ssm:{operation} action"
    )
    assert dump() == before
