"""Maintenance windows through the real boto3 client: create, read, update, delete, list, tags."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _name(prefix: str = "w") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _create(ssm: Any, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "Name": _name(),
        "Schedule": "cron(0 2 ? * SUN *)",
        "Duration": 3,
        "Cutoff": 1,
        "AllowUnassociatedTargets": False,
    }
    params.update(overrides)
    return str(ssm.create_maintenance_window(**params)["WindowId"])


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_created_window_reads_back_with_every_field(ssm: Any) -> None:
    name = _name("full")
    window_id = _create(
        ssm,
        Name=name,
        Description="patch the web tier",
        StartDate="2030-01-01T00:00:00-08:00",
        EndDate="2031-06-30T00:00:00Z",
        ScheduleTimezone="America/Los_Angeles",
        ScheduleOffset=2,
        Schedule="cron(30 23 ? * TUE#2 *)",
        Duration=5,
        Cutoff=2,
        AllowUnassociatedTargets=True,
        Tags=[{"Key": "team", "Value": "web"}],
    )
    got = ssm.get_maintenance_window(WindowId=window_id)
    assert got["WindowId"] == window_id
    assert {
        k: got[k]
        for k in (
            "Name",
            "Description",
            "StartDate",
            "EndDate",
            "Schedule",
            "ScheduleTimezone",
            "ScheduleOffset",
            "Duration",
            "Cutoff",
            "AllowUnassociatedTargets",
            "Enabled",
        )
    } == {
        "Name": name,
        "Description": "patch the web tier",
        "StartDate": "2030-01-01T00:00:00-08:00",
        "EndDate": "2031-06-30T00:00:00Z",
        "Schedule": "cron(30 23 ? * TUE#2 *)",
        "ScheduleTimezone": "America/Los_Angeles",
        "ScheduleOffset": 2,
        "Duration": 5,
        "Cutoff": 2,
        "AllowUnassociatedTargets": True,
        "Enabled": True,
    }
    assert got["CreatedDate"] == got["ModifiedDate"]
    tags = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert tags["TagList"] == [{"Key": "team", "Value": "web"}]


def test_the_same_client_token_gives_the_same_window_once(ssm: Any) -> None:
    token = uuid.uuid4().hex
    name = _name("idem")
    first = _create(ssm, Name=name, ClientToken=token)
    again = _create(ssm, Name=name, ClientToken=token)
    assert first == again
    listed = ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": [name]}])
    assert [w["WindowId"] for w in listed["WindowIdentities"]] == [first]
    with pytest.raises(ClientError) as error:
        _create(ssm, Name=name, ClientToken=token, Duration=4)
    assert _code(error) == "IdempotentParameterMismatch"


def test_update_changes_only_the_fields_sent(ssm: Any) -> None:
    window_id = _create(
        ssm,
        Description="keep me",
        ScheduleTimezone="Europe/Berlin",
        StartDate="2030-01-01T00:00:00Z",
    )
    before = ssm.get_maintenance_window(WindowId=window_id)
    updated = ssm.update_maintenance_window(WindowId=window_id, Duration=6, Enabled=False)
    assert updated["Duration"] == 6
    assert updated["Enabled"] is False
    after = ssm.get_maintenance_window(WindowId=window_id)
    assert after["Description"] == "keep me"
    assert after["ScheduleTimezone"] == "Europe/Berlin"
    assert after["StartDate"] == "2030-01-01T00:00:00Z"
    assert after["ModifiedDate"] >= before["ModifiedDate"]
    assert "NextExecutionTime" not in after


def test_dates_given_as_a_date_alone_are_accepted_and_echoed_as_given(ssm: Any) -> None:
    window_id = _create(
        ssm, Schedule="cron(0 4 ? * * *)", StartDate="2030-11-01", EndDate="2030-11-04"
    )
    window = ssm.get_maintenance_window(WindowId=window_id)
    assert (window["StartDate"], window["EndDate"]) == ("2030-11-01", "2030-11-04")
    assert window["NextExecutionTime"] == "2030-11-01T04:00Z"
    with pytest.raises(ClientError) as error:
        ssm.update_maintenance_window(WindowId=window_id, EndDate="2030-10-31")
    assert _code(error) == "ValidationException"
    assert "EndDate 2030-10-31 must be later than StartDate 2030-11-01" in str(error.value)


def test_update_with_replace_resets_the_optional_fields(ssm: Any) -> None:
    window_id = _create(ssm, Description="gone soon", ScheduleTimezone="Europe/Berlin")
    with pytest.raises(ClientError) as error:
        ssm.update_maintenance_window(WindowId=window_id, Replace=True, Name="only-a-name")
    assert _code(error) == "ValidationException"
    assert "Schedule" in str(error.value)
    ssm.update_maintenance_window(
        WindowId=window_id,
        Replace=True,
        Name="replaced",
        Schedule="rate(2 days)",
        Duration=2,
        Cutoff=0,
        AllowUnassociatedTargets=True,
    )
    got = ssm.get_maintenance_window(WindowId=window_id)
    assert got["Name"] == "replaced"
    assert "Description" not in got
    assert "ScheduleTimezone" not in got
    assert got["Schedule"] == "rate(2 days)"


def test_update_checks_cutoff_against_the_merged_window(ssm: Any) -> None:
    window_id = _create(ssm, Duration=3, Cutoff=2)
    with pytest.raises(ClientError) as error:
        ssm.update_maintenance_window(WindowId=window_id, Duration=2)
    assert _code(error) == "ValidationException"
    assert "Cutoff" in str(error.value)
    assert ssm.get_maintenance_window(WindowId=window_id)["Duration"] == 3


def test_delete_cascades_to_targets_tasks_and_tags(ssm: Any) -> None:
    window_id = _create(ssm, Tags=[{"Key": "a", "Value": "b"}])
    target = ssm.register_target_with_maintenance_window(
        WindowId=window_id, ResourceType="INSTANCE", Targets=[{"Key": "tag:x", "Values": ["y"]}]
    )["WindowTargetId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )
    assert ssm.delete_maintenance_window(WindowId=window_id)["WindowId"] == window_id
    for call, kwargs in (
        (ssm.get_maintenance_window, {"WindowId": window_id}),
        (ssm.describe_maintenance_window_targets, {"WindowId": window_id}),
        (ssm.describe_maintenance_window_tasks, {"WindowId": window_id}),
    ):
        with pytest.raises(ClientError) as error:
            call(**kwargs)
        assert _code(error) == "DoesNotExistException"
    with pytest.raises(ClientError) as error:
        ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert _code(error) == "InvalidResourceId"


def test_deleting_an_unknown_window_succeeds_and_echoes_the_id(ssm: Any) -> None:
    result = ssm.delete_maintenance_window(WindowId="mw-0123456789abcdef0")
    assert result["WindowId"] == "mw-0123456789abcdef0"


def test_describe_filters_by_name_prefix_and_enabled(ssm: Any) -> None:
    prefix = _name("pfx")
    on = _create(ssm, Name=f"{prefix}-on")
    off = _create(ssm, Name=f"{prefix}-off")
    ssm.update_maintenance_window(WindowId=off, Enabled=False)
    _create(ssm, Name=_name("other"))

    def ids(filters: list[dict[str, Any]]) -> list[str]:
        result = ssm.describe_maintenance_windows(Filters=filters)
        return [w["WindowId"] for w in result["WindowIdentities"]]

    assert ids([{"Key": "Name", "Values": [prefix]}]) == [on, off]
    assert ids([{"Key": "Name", "Values": [prefix]}, {"Key": "Enabled", "Values": ["True"]}]) == [
        on
    ]
    assert ids([{"Key": "Name", "Values": [prefix]}, {"Key": "Enabled", "Values": ["false"]}]) == [
        off
    ]
    identity = ssm.describe_maintenance_windows(
        Filters=[{"Key": "Name", "Values": [f"{prefix}-on"]}]
    )["WindowIdentities"][0]
    assert set(identity) == {
        "WindowId",
        "Name",
        "Enabled",
        "Duration",
        "Cutoff",
        "Schedule",
        "NextExecutionTime",
    }
    with pytest.raises(ClientError) as error:
        ssm.describe_maintenance_windows(Filters=[{"Key": "Colour", "Values": ["x"]}])
    assert _code(error) == "ValidationException"


def test_the_paginator_walks_every_window_once(ssm: Any) -> None:
    prefix = _name("page")
    created = [_create(ssm, Name=f"{prefix}-{i:02d}") for i in range(25)]
    paginator = ssm.get_paginator("describe_maintenance_windows")
    pages = list(
        paginator.paginate(
            Filters=[{"Key": "Name", "Values": [prefix]}], PaginationConfig={"PageSize": 10}
        )
    )
    assert [len(p["WindowIdentities"]) for p in pages] == [10, 10, 5]
    assert [w["WindowId"] for p in pages for w in p["WindowIdentities"]] == created
    assert "NextToken" not in pages[-1]


def test_a_forged_next_token_is_refused(ssm: Any) -> None:
    with pytest.raises(ClientError) as error:
        ssm.describe_maintenance_windows(NextToken="not-a-token")
    assert _code(error) == "ValidationException"
    assert "NextToken" in str(error.value)


def test_tags_can_be_added_overwritten_and_removed(ssm: Any) -> None:
    window_id = _create(ssm, Tags=[{"Key": "env", "Value": "prod"}])
    ssm.add_tags_to_resource(
        ResourceType="MaintenanceWindow",
        ResourceId=window_id,
        Tags=[{"Key": "env", "Value": "staging"}, {"Key": "owner", "Value": "ops"}],
    )
    listed = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert listed["TagList"] == [
        {"Key": "env", "Value": "staging"},
        {"Key": "owner", "Value": "ops"},
    ]
    ssm.remove_tags_from_resource(
        ResourceType="MaintenanceWindow", ResourceId=window_id, TagKeys=["env", "absent"]
    )
    listed = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert listed["TagList"] == [{"Key": "owner", "Value": "ops"}]


def test_tagging_refuses_unknown_resources_and_too_many_tags(ssm: Any) -> None:
    window_id = _create(ssm)
    with pytest.raises(ClientError) as error:
        ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow",
            ResourceId="mw-0123456789abcdef0",
            Tags=[{"Key": "a", "Value": "b"}],
        )
    assert _code(error) == "InvalidResourceId"
    with pytest.raises(ClientError) as error:
        ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId="pb-0123456789abcdef0")
    assert _code(error) == "InvalidResourceType"
    with pytest.raises(ClientError) as error:
        ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow",
            ResourceId=window_id,
            Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)],
        )
    assert _code(error) == "TooManyTagsError"
    listed = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert listed["TagList"] == []
