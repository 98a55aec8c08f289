"""Window targets and tasks through boto3: register, update, deregister, read, list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _window(ssm: Any, allow_unassociated: bool = False) -> str:
    return str(
        ssm.create_maintenance_window(
            Name=f"tt-{uuid.uuid4().hex[:10]}",
            Schedule="rate(1 day)",
            Duration=2,
            Cutoff=1,
            AllowUnassociatedTargets=allow_unassociated,
        )["WindowId"]
    )


def _target(ssm: Any, window_id: str, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "WindowId": window_id,
        "ResourceType": "INSTANCE",
        "Targets": [{"Key": "tag:Role", "Values": ["web", "api"]}],
    }
    params.update(overrides)
    return str(ssm.register_target_with_maintenance_window(**params)["WindowTargetId"])


def _task(ssm: Any, window_id: str, target_id: str, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "WindowId": window_id,
        "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND",
        "Targets": [{"Key": "WindowTargetIds", "Values": [target_id]}],
        "MaxConcurrency": "50%",
        "MaxErrors": "0",
    }
    params.update(overrides)
    return str(ssm.register_task_with_maintenance_window(**params)["WindowTaskId"])


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_targets_register_update_and_describe_with_filters(ssm: Any) -> None:
    window_id = _window(ssm)
    web = _target(ssm, window_id, OwnerInformation="web team", Name="web", Description="d")
    db = _target(ssm, window_id, Targets=[{"Key": "tag:Role", "Values": ["db"]}])
    updated = ssm.update_maintenance_window_target(
        WindowId=window_id, WindowTargetId=web, OwnerInformation="platform team"
    )
    assert updated["OwnerInformation"] == "platform team"
    assert updated["Name"] == "web"
    targets = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]
    assert [t["WindowTargetId"] for t in targets] == [web, db]
    assert targets[0] == {
        "WindowId": window_id,
        "WindowTargetId": web,
        "ResourceType": "INSTANCE",
        "Targets": [{"Key": "tag:Role", "Values": ["web", "api"]}],
        "OwnerInformation": "platform team",
        "Name": "web",
        "Description": "d",
    }
    only_instances = ssm.describe_maintenance_window_targets(
        WindowId=window_id, Filters=[{"Key": "Type", "Values": ["INSTANCE"]}]
    )["Targets"]
    assert [t["WindowTargetId"] for t in only_instances] == [web, db]
    by_owner = ssm.describe_maintenance_window_targets(
        WindowId=window_id, Filters=[{"Key": "OwnerInformation", "Values": ["platform team"]}]
    )["Targets"]
    assert [t["WindowTargetId"] for t in by_owner] == [web]


def test_replace_on_a_target_resets_its_optional_fields(ssm: Any) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id, OwnerInformation="x", Name="named")
    ssm.update_maintenance_window_target(
        WindowId=window_id,
        WindowTargetId=target,
        Replace=True,
        Targets=[{"Key": "tag-key", "Values": ["Patch"]}],
    )
    got = ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"][0]
    assert got["Targets"] == [{"Key": "tag-key", "Values": ["Patch"]}]
    assert "OwnerInformation" not in got
    assert "Name" not in got


def test_a_target_in_use_is_kept_when_deregistered_safely(ssm: Any) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    spare = _target(ssm, window_id, Targets=[{"Key": "tag:Role", "Values": ["db"]}])
    task = _task(
        ssm, window_id, target, Targets=[{"Key": "WindowTargetIds", "Values": [target, spare]}]
    )
    with pytest.raises(ClientError) as error:
        ssm.deregister_target_from_maintenance_window(
            WindowId=window_id, WindowTargetId=target, Safe=True
        )
    assert _code(error) == "TargetInUseException"
    assert task in str(error.value)
    assert len(ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"]) == 2
    ssm.deregister_target_from_maintenance_window(WindowId=window_id, WindowTargetId=target)
    got = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task)
    assert got["Targets"] == [{"Key": "WindowTargetIds", "Values": [spare]}]


def test_a_run_command_task_reads_back_with_its_invocation_parameters(ssm: Any, sns: Any) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    invocation = {
        "RunCommand": {
            "Comment": "patch",
            "Parameters": {"commands": ["apt-get -y upgrade"], "executionTimeout": ["600"]},
            "TimeoutSeconds": 600,
            "NotificationConfig": {
                "NotificationArn": sns.create_topic(Name="ops")["TopicArn"],
                "NotificationEvents": ["Failed"],
                "NotificationType": "Command",
            },
        }
    }
    task = _task(
        ssm,
        window_id,
        target,
        TaskInvocationParameters=invocation,
        Priority=3,
        Name="patch",
        Description="weekly patching",
        CutoffBehavior="CANCEL_TASK",
    )
    got = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task)
    assert got["TaskType"] == "RUN_COMMAND"
    assert got["TaskInvocationParameters"] == invocation
    assert (got["Priority"], got["Name"], got["CutoffBehavior"]) == (3, "patch", "CANCEL_TASK")
    listed = ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"]
    assert listed[0]["Type"] == "RUN_COMMAND"
    assert "TaskInvocationParameters" not in listed[0]
    assert "TaskType" not in listed[0]


def test_update_task_replaces_invocation_parameters_whole(ssm: Any) -> None:
    window_id = _window(ssm)
    task = _task(
        ssm,
        window_id,
        _target(ssm, window_id),
        TaskInvocationParameters={
            "RunCommand": {"Comment": "old", "OutputS3BucketName": "old-bucket"}
        },
    )
    result = ssm.update_maintenance_window_task(
        WindowId=window_id,
        WindowTaskId=task,
        TaskInvocationParameters={"RunCommand": {"OutputS3BucketName": "new-bucket"}},
        Priority=7,
    )
    assert result["TaskInvocationParameters"] == {
        "RunCommand": {"OutputS3BucketName": "new-bucket"}
    }
    got = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task)
    assert got["TaskInvocationParameters"] == {"RunCommand": {"OutputS3BucketName": "new-bucket"}}
    assert got["Priority"] == 7
    assert got["MaxConcurrency"] == "50%"


@pytest.mark.parametrize(
    ("task_type", "arn", "invocation"),
    [
        ("AUTOMATION", "AWS-RestartEC2Instance", {"Automation": {"Parameters": {"a": ["b"]}}}),
        ("LAMBDA", "my-function", {"Lambda": {"Payload": b"{}", "Qualifier": "1"}}),
        (
            "STEP_FUNCTIONS",
            "arn:aws:states:us-east-1:123456789012:stateMachine:patch",
            {"StepFunctions": {"Input": "{}", "Name": "run"}},
        ),
    ],
)
def test_tasks_transom_cannot_run_are_refused_at_registration(
    ssm: Any, task_type: str, arn: str, invocation: dict[str, Any]
) -> None:
    """They were stored and then failed the window at every run."""
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    with pytest.raises(ClientError) as error:
        ssm.register_task_with_maintenance_window(
            WindowId=window_id,
            TaskArn=arn,
            TaskType=task_type,
            TaskInvocationParameters=invocation,
            Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
            MaxConcurrency="1",
            MaxErrors="1",
        )
    assert _code(error) == "ValidationException"
    assert f"TaskType {task_type} is not supported" in str(error.value)
    assert "RUN_COMMAND" in str(error.value)
    assert ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"] == []


def test_resource_group_targets_are_refused_at_registration(ssm: Any) -> None:
    window_id = _window(ssm)
    with pytest.raises(ClientError) as error:
        _target(
            ssm,
            window_id,
            ResourceType="RESOURCE_GROUP",
            Targets=[{"Key": "resource-groups:Name", "Values": ["databases"]}],
        )
    assert _code(error) == "ValidationException"
    assert "RESOURCE_GROUP is not supported" in str(error.value)
    assert ssm.describe_maintenance_window_targets(WindowId=window_id)["Targets"] == []


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"Targets": []}, "ValidationException", "RUN_COMMAND tasks need Targets"),
        ({"MaxConcurrency": None}, "ValidationException", "MaxConcurrency"),
        (
            {
                "Targets": [
                    {"Key": "WindowTargetIds", "Values": [str(uuid.uuid4()) for _ in range(11)]}
                ]
            },
            "ValidationException",
            "maximum number of window targets is 10",
        ),
        (
            {"Targets": [{"Key": "WindowTargetIds", "Values": [str(uuid.uuid4())]}]},
            "DoesNotExistException",
            "is not registered",
        ),
        (
            {"Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]},
            "ValidationException",
            "AllowUnassociatedTargets",
        ),
        (
            {"TaskInvocationParameters": {"Lambda": {"Qualifier": "1"}}},
            "ValidationException",
            "does not match TaskType",
        ),
        ({"WindowId": "mw-0123456789abcdef0"}, "DoesNotExistException", "does not exist"),
    ],
)
def test_bad_task_registrations_are_refused_and_store_nothing(
    ssm: Any, overrides: dict[str, Any], code: str, words: str
) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    params: dict[str, Any] = {
        "WindowId": window_id,
        "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND",
        "Targets": [{"Key": "WindowTargetIds", "Values": [target]}],
        "MaxConcurrency": "1",
        "MaxErrors": "0",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as error:
        ssm.register_task_with_maintenance_window(**params)
    assert _code(error) == code
    assert words in str(error.value)
    assert ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"] == []


def test_instance_ids_tasks_work_on_windows_that_allow_unassociated_targets(ssm: Any) -> None:
    window_id = _window(ssm, allow_unassociated=True)
    task = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )["WindowTaskId"]
    assert ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task)["Targets"] == [
        {"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}
    ]


def test_a_window_with_unassociated_instance_tasks_cannot_stop_allowing_them(ssm: Any) -> None:
    window_id = _window(ssm, allow_unassociated=True)
    node = "mi-0123456789abcdef0"
    task = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": [node]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )["WindowTaskId"]
    with pytest.raises(ClientError) as error:
        ssm.update_maintenance_window(WindowId=window_id, AllowUnassociatedTargets=False)
    assert _code(error) == "ValidationException"
    assert f"Task {task} targets instance {node}, which is not a registered target" in str(
        error.value
    )
    window = ssm.get_maintenance_window(WindowId=window_id)
    assert window["AllowUnassociatedTargets"] is True
    # once the instance is a registered target of the window, it can
    _target(ssm, window_id, Targets=[{"Key": "InstanceIds", "Values": [node]}])
    ssm.update_maintenance_window(WindowId=window_id, AllowUnassociatedTargets=False)
    assert ssm.get_maintenance_window(WindowId=window_id)["AllowUnassociatedTargets"] is False


def test_deregistered_tasks_are_gone_and_unknown_ones_are_reported(ssm: Any) -> None:
    window_id = _window(ssm)
    task = _task(ssm, window_id, _target(ssm, window_id))
    ssm.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=task)
    for call in (ssm.get_maintenance_window_task, ssm.deregister_task_from_maintenance_window):
        with pytest.raises(ClientError) as error:
            call(WindowId=window_id, WindowTaskId=task)
        assert _code(error) == "DoesNotExistException"


def test_describe_tasks_filters_and_pages(ssm: Any) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    ids = [_task(ssm, window_id, target, Priority=i % 3) for i in range(12)]
    pages = list(
        ssm.get_paginator("describe_maintenance_window_tasks").paginate(
            WindowId=window_id, PaginationConfig={"PageSize": 10}
        )
    )
    assert [t["WindowTaskId"] for p in pages for t in p["Tasks"]] == ids
    high = ssm.describe_maintenance_window_tasks(
        WindowId=window_id, Filters=[{"Key": "Priority", "Values": ["0"]}]
    )["Tasks"]
    assert [t["WindowTaskId"] for t in high] == ids[::3]


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        ("arn:aws:sns:us-east-1:000000000000:no-such-topic", "create it first"),
        ("arn:aws:sqs:us-east-1:000000000000:queue", "is not a topic of this server"),
        ("arn:aws:sns:eu-west-1:999999999999:ops", "is not a topic of this server"),
    ],
)
def test_a_task_notifying_a_topic_that_is_not_there_is_refused(
    ssm: Any, arn: str, says: str
) -> None:
    window_id = _window(ssm)
    target = _target(ssm, window_id)
    config = {"NotificationArn": arn, "NotificationEvents": ["Failed"]}
    with pytest.raises(ClientError) as error:
        _task(
            ssm,
            window_id,
            target,
            TaskInvocationParameters={"RunCommand": {"NotificationConfig": config}},
        )
    assert _code(error) == "ValidationException"
    assert says in str(error.value)
    assert ssm.describe_maintenance_window_tasks(WindowId=window_id)["Tasks"] == []
