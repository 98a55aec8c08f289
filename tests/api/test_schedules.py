"""Upcoming runs and window/target associations through real boto3 and aws CLI clients:
NextExecutionTime, DescribeMaintenanceWindowSchedule, DescribeMaintenanceWindowsForTarget."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.cli import AwsCli
from tests.support.nodes import activation, register
from tests.support.servers import ServerProcess
from transom.schedule import (
    Timetable,
    format_aws_datetime,
    load_zone,
    parse_iso_datetime,
    parse_schedule,
)


def _create(ssm: Any, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "Name": f"sched-{uuid.uuid4().hex[:12]}",
        "Schedule": "cron(0 6 ? * * *)",
        "Duration": 3,
        "Cutoff": 1,
        "AllowUnassociatedTargets": True,
    }
    params.update(overrides)
    return str(ssm.create_maintenance_window(**params)["WindowId"])


def _instance() -> str:
    """An instance id no other test uses (the server is shared by the session)."""
    return "i-" + secrets.token_hex(9)[:17]


def _target(ssm: Any, window_id: str, targets: list[dict[str, Any]]) -> str:
    return str(
        ssm.register_target_with_maintenance_window(
            WindowId=window_id, ResourceType="INSTANCE", Targets=targets
        )["WindowTargetId"]
    )


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _times(response: dict[str, Any]) -> list[str]:
    return [run["ExecutionTime"] for run in response["ScheduledWindowExecutions"]]


def _span(after: str, before: str) -> list[dict[str, Any]]:
    return [
        {"Key": "ScheduledAfter", "Values": [after]},
        {"Key": "ScheduledBefore", "Values": [before]},
    ]


def test_next_execution_time_is_in_the_windows_zone_in_aws_format(ssm: Any) -> None:
    zoned = _create(
        ssm,
        Schedule="cron(0 9 ? * WED *)",
        ScheduleTimezone="America/Los_Angeles",
        StartDate="2030-01-01T00:00:00-08:00",
    )
    plain = _create(ssm, Schedule="cron(0 9 ? * WED *)", StartDate="2030-01-01T00:00:00Z")
    assert ssm.get_maintenance_window(WindowId=zoned)["NextExecutionTime"] == (
        "2030-01-02T09:00-08:00"
    )
    assert ssm.get_maintenance_window(WindowId=plain)["NextExecutionTime"] == "2030-01-02T09:00Z"
    schedule = ssm.describe_maintenance_window_schedule(WindowId=zoned, MaxResults=2)
    assert _times(schedule) == ["2030-01-02T09:00-08:00", "2030-01-09T09:00-08:00"]


def test_disabled_and_ended_windows_have_no_next_execution_time_and_no_runs(ssm: Any) -> None:
    disabled = _create(ssm)
    ssm.update_maintenance_window(WindowId=disabled, Enabled=False)
    ended = _create(ssm, EndDate="2021-01-01T00:00:00Z")
    fired = _create(ssm, Schedule="at(2021-01-01T00:00:00)")
    for window_id in (disabled, ended, fired):
        assert "NextExecutionTime" not in ssm.get_maintenance_window(WindowId=window_id)
        schedule = ssm.describe_maintenance_window_schedule(WindowId=window_id)
        assert schedule["ScheduledWindowExecutions"] == []
        assert "NextToken" not in schedule


@pytest.mark.parametrize(
    ("schedule", "zone", "extra"),
    [
        ("rate(1 hour)", "America/Los_Angeles", {}),
        ("cron(30 23 ? * TUE#2 *)", "Europe/Berlin", {"ScheduleOffset": 2}),
    ],
)
def test_the_paginator_walks_500_future_runs_exactly_as_the_timetable_places_them(
    ssm: Any, schedule: str, zone: str, extra: dict[str, Any]
) -> None:
    start = "2030-01-01T00:00:00Z"
    window_id = _create(ssm, Schedule=schedule, ScheduleTimezone=zone, StartDate=start, **extra)
    pages = list(
        ssm.get_paginator("describe_maintenance_window_schedule").paginate(
            WindowId=window_id, PaginationConfig={"MaxItems": 500, "PageSize": 100}
        )
    )
    table = Timetable(
        parse_schedule(schedule),
        changed_at=datetime.now(UTC),
        zone=load_zone(zone),
        offset_days=extra.get("ScheduleOffset"),
        start_date=parse_iso_datetime(start),
    )
    expected = [
        format_aws_datetime(run, table.zone)
        for run in islice(table.occurrences(table.changed_at), 500)
    ]
    runs = [run for page in pages for run in page["ScheduledWindowExecutions"]]
    assert [run["ExecutionTime"] for run in runs] == expected
    name = ssm.get_maintenance_window(WindowId=window_id)["Name"]
    assert {(run["WindowId"], run["Name"]) for run in runs} == {(window_id, name)}
    assert [len(page["ScheduledWindowExecutions"]) for page in pages] == [100] * 5


def test_scheduled_after_is_inclusive_and_scheduled_before_exclusive(ssm: Any) -> None:
    window_id = _create(ssm, Schedule="cron(0 6 ? * * *)")
    march = ssm.describe_maintenance_window_schedule(
        WindowId=window_id, Filters=_span("2031-03-01T07:00:00+01:00", "2031-03-04T06:00:00Z")
    )
    assert _times(march) == ["2031-03-01T06:00Z", "2031-03-02T06:00Z", "2031-03-03T06:00Z"]
    only_after = ssm.describe_maintenance_window_schedule(
        WindowId=window_id,
        Filters=[{"Key": "ScheduledAfter", "Values": ["2031-03-01T06:00:01Z"]}],
        MaxResults=1,
    )
    assert _times(only_after) == ["2031-03-02T06:00Z"]
    assert only_after["NextToken"]


def test_a_scheduled_after_in_the_past_lists_from_now(ssm: Any) -> None:
    window_id = _create(ssm, Schedule="cron(0 6 ? * * *)")
    listed = ssm.describe_maintenance_window_schedule(
        WindowId=window_id,
        Filters=[{"Key": "ScheduledAfter", "Values": ["2001-01-01T00:00:00Z"]}],
        MaxResults=1,
    )
    assert _times(listed) == [ssm.get_maintenance_window(WindowId=window_id)["NextExecutionTime"]]


def test_the_schedule_of_an_unknown_window_does_not_exist(ssm: Any) -> None:
    with pytest.raises(ClientError) as error:
        ssm.describe_maintenance_window_schedule(WindowId="mw-0123456789abcdef0")
    assert _code(error) == "DoesNotExistException"
    assert "mw-0123456789abcdef0" in str(error.value)


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ([{"Key": "ExecutedAfter", "Values": ["2030-01-01T00:00:00Z"]}], "ExecutedAfter"),
        ([{"Key": "ScheduledAfter", "Values": ["next tuesday"]}], "ScheduledAfter 'next tuesday'"),
        ([{"Key": "ScheduledBefore", "Values": ["2030-02-30T00:00:00Z"]}], "ISO-8601"),
        (
            [{"Key": "ScheduledAfter", "Values": ["2030-01-01T00:00Z", "2030-02-01T00:00Z"]}],
            "exactly one value",
        ),
        (_span("2030-02-01T00:00:00Z", "2030-01-01T00:00:00Z"), "must be later than"),
    ],
)
def test_bad_schedule_filters_are_refused_with_a_clear_message(
    ssm: Any, filters: list[dict[str, Any]], words: str
) -> None:
    window_id = _create(ssm)
    with pytest.raises(ClientError) as error:
        ssm.describe_maintenance_window_schedule(WindowId=window_id, Filters=filters)
    assert _code(error) == "ValidationException"
    assert words in error.value.response["Error"]["Message"]


def test_the_schedule_for_an_instance_merges_its_windows_in_time_order(ssm: Any) -> None:
    instance = _instance()
    early = _create(ssm, Schedule="cron(0 6 ? * * *)")
    _target(ssm, early, [{"Key": "InstanceIds", "Values": [instance, _instance()]}])
    same_time = _create(ssm, Schedule="cron(0 8 ? * * *)", ScheduleTimezone="Europe/Berlin")
    _target(ssm, same_time, [{"Key": "InstanceIds", "Values": [instance]}])
    by_task = _create(ssm, Schedule="cron(0 12 ? * * *)")
    ssm.register_task_with_maintenance_window(
        WindowId=by_task,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": [instance]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )
    disabled = _create(ssm)
    _target(ssm, disabled, [{"Key": "InstanceIds", "Values": [instance]}])
    ssm.update_maintenance_window(WindowId=disabled, Enabled=False)
    _target(ssm, _create(ssm), [{"Key": "InstanceIds", "Values": [_instance()]}])

    query = {
        "ResourceType": "INSTANCE",
        "Targets": [{"Key": "InstanceIds", "Values": [instance]}],
        "Filters": _span("2031-06-01T00:00:00Z", "2031-06-03T00:00:00Z"),
    }
    listed = ssm.describe_maintenance_window_schedule(**query)["ScheduledWindowExecutions"]
    tied = sorted([early, same_time])  # 06:00 UTC is 08:00 in Berlin: ties go by window id
    assert [(r["WindowId"], r["ExecutionTime"]) for r in listed] == [
        *[(w, {early: "2031-06-01T06:00Z", same_time: "2031-06-01T08:00+02:00"}[w]) for w in tied],
        (by_task, "2031-06-01T12:00Z"),
        *[(w, {early: "2031-06-02T06:00Z", same_time: "2031-06-02T08:00+02:00"}[w]) for w in tied],
        (by_task, "2031-06-02T12:00Z"),
    ]
    one_by_one = ssm.get_paginator("describe_maintenance_window_schedule").paginate(
        **query, PaginationConfig={"PageSize": 1}
    )
    assert [r for page in one_by_one for r in page["ScheduledWindowExecutions"]] == listed


def test_the_schedule_for_a_tag_lists_windows_targeting_that_tag(ssm: Any) -> None:
    team = uuid.uuid4().hex
    tagged = _create(ssm, Schedule="cron(0 6 ? * * *)")
    _target(ssm, tagged, [{"Key": f"tag:Team-{team}", "Values": ["web", "api"]}])
    _target(ssm, _create(ssm), [{"Key": f"tag:Team-{team}", "Values": ["db"]}])
    listed = ssm.describe_maintenance_window_schedule(
        ResourceType="INSTANCE",
        Targets=[{"Key": f"tag:Team-{team}", "Values": ["api"]}],
        Filters=_span("2031-06-01T00:00:00Z", "2031-06-03T00:00:00Z"),
    )
    assert [(r["WindowId"], r["ExecutionTime"]) for r in listed["ScheduledWindowExecutions"]] == [
        (tagged, "2031-06-01T06:00Z"),
        (tagged, "2031-06-02T06:00Z"),
    ]


def _for_target(ssm: Any, targets: list[dict[str, Any]]) -> list[str]:
    pages = ssm.get_paginator("describe_maintenance_windows_for_target").paginate(
        ResourceType="INSTANCE", Targets=targets, PaginationConfig={"PageSize": 1}
    )
    return [w["WindowId"] for page in pages for w in page["WindowIdentities"]]


def test_windows_for_an_instance_are_those_naming_it_in_targets_or_tasks(ssm: Any) -> None:
    instance = _instance()
    registered = _create(ssm)
    _target(ssm, registered, [{"Key": "InstanceIds", "Values": [_instance(), instance]}])
    by_task = _create(ssm)
    ssm.register_task_with_maintenance_window(
        WindowId=by_task,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "InstanceIds", "Values": [instance]}],
        MaxConcurrency="1",
        MaxErrors="0",
    )
    disabled = _create(ssm)
    _target(ssm, disabled, [{"Key": "InstanceIds", "Values": [instance]}])
    ssm.update_maintenance_window(WindowId=disabled, Enabled=False)
    _target(ssm, _create(ssm), [{"Key": "InstanceIds", "Values": [_instance()]}])

    assert _for_target(ssm, [{"Key": "InstanceIds", "Values": [instance]}]) == [
        registered,
        by_task,
        disabled,
    ]
    identities = ssm.describe_maintenance_windows_for_target(
        ResourceType="INSTANCE", Targets=[{"Key": "InstanceIds", "Values": [instance]}]
    )["WindowIdentities"]
    name = ssm.get_maintenance_window(WindowId=registered)["Name"]
    assert identities[0] == {"WindowId": registered, "Name": name}
    assert _for_target(ssm, [{"Key": "InstanceIds", "Values": [_instance()]}]) == []


def test_windows_for_tags_are_those_whose_targets_the_tags_satisfy(ssm: Any) -> None:
    env, role = f"Env-{uuid.uuid4().hex[:8]}", f"Role-{uuid.uuid4().hex[:8]}"
    prod = _create(ssm)
    _target(ssm, prod, [{"Key": f"tag:{env}", "Values": ["prod", "staging"]}])
    prod_web = _create(ssm)
    _target(
        ssm,
        prod_web,
        [{"Key": f"tag:{env}", "Values": ["prod"]}, {"Key": f"tag:{role}", "Values": ["web"]}],
    )
    has_keys = _create(ssm)
    _target(ssm, has_keys, [{"Key": "tag-key", "Values": [env, role]}])

    assert _for_target(ssm, [{"Key": f"tag:{env}", "Values": ["prod"]}]) == [prod]
    assert _for_target(
        ssm, [{"Key": f"tag:{env}", "Values": ["prod"]}, {"Key": f"tag:{role}", "Values": ["web"]}]
    ) == [prod, prod_web, has_keys]
    assert _for_target(ssm, [{"Key": "tag-key", "Values": [env, role]}]) == [has_keys]
    assert _for_target(ssm, [{"Key": f"tag:{env}", "Values": ["dev"]}]) == []


def test_the_aws_cli_lists_the_schedule_of_a_window(
    server: ServerProcess, ssm: Any, tmp_path: Path
) -> None:
    window_id = _create(ssm, Schedule="cron(0 9 ? * MON *)", ScheduleTimezone="Asia/Tokyo")
    aws = AwsCli(server.endpoint, tmp_path)
    listed = aws(
        "describe-maintenance-window-schedule",
        "--window-id",
        window_id,
        "--filters",
        "Key=ScheduledAfter,Values=2031-01-01T00:00:00Z",
        "Key=ScheduledBefore,Values=2031-01-20T00:00:00Z",
    )
    assert [(r["WindowId"], r["ExecutionTime"]) for r in listed["ScheduledWindowExecutions"]] == [
        (window_id, "2031-01-06T09:00+09:00"),
        (window_id, "2031-01-13T09:00+09:00"),
    ]


def test_a_registered_node_is_found_through_the_tag_targets_its_tags_meet(
    ssm: Any, server: ServerProcess
) -> None:
    marker = f"tier-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Tier", "Value": marker}])
    node = register(server.endpoint, activation_id, code).instance_id
    window_id = ssm.create_maintenance_window(
        Name="node-tags",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Tier", "Values": [marker, "other"]}],
    )
    found = ssm.describe_maintenance_windows_for_target(
        Targets=[{"Key": "InstanceIds", "Values": [node]}], ResourceType="INSTANCE"
    )["WindowIdentities"]
    assert {"WindowId": window_id, "Name": "node-tags"} in found
    untagged = ssm.describe_maintenance_windows_for_target(
        Targets=[{"Key": "InstanceIds", "Values": ["mi-0123456789abcdef0"]}],
        ResourceType="INSTANCE",
    )["WindowIdentities"]
    assert window_id not in {w["WindowId"] for w in untagged}
