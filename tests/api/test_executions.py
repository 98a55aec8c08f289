"""The execution history operations through boto3: ordering, filters, paging, cancel."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tests.support.schedules import at_in
from tests.support.waiting import wait_for


def _executions(ssm: Any, window: str, **more: Any) -> list[dict[str, Any]]:
    return list(
        ssm.describe_maintenance_window_executions(WindowId=window, **more)["WindowExecutions"]
    )


def test_executions_are_listed_newest_first_and_filtered_by_start_time(ssm: Any) -> None:
    window = ssm.create_maintenance_window(
        Name="history", Schedule=at_in(1.5), Duration=1, Cutoff=0, AllowUnassociatedTargets=True
    )["WindowId"]
    wait_for(
        lambda: [e["Status"] for e in _executions(ssm, window)] == ["SUCCESS"],
        what="the first run to end",
    )
    ssm.update_maintenance_window(WindowId=window, Schedule=at_in(1.5))
    wait_for(
        lambda: [e["Status"] for e in _executions(ssm, window)] == ["SUCCESS", "SUCCESS"],
        what="the second run to end",
    )

    newest, oldest = _executions(ssm, window)
    assert newest["StartTime"] > oldest["StartTime"]
    for execution in (newest, oldest):
        assert execution["WindowId"] == window
        assert (execution["Status"], execution["StatusDetails"]) == (
            "SUCCESS",
            "No tasks to execute.",
        )
        assert execution["EndTime"] >= execution["StartTime"]
    between = newest["StartTime"] - (newest["StartTime"] - oldest["StartTime"]) / 2
    stamp = between.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    after = _executions(ssm, window, Filters=[{"Key": "ExecutedAfter", "Values": [stamp]}])
    before = _executions(ssm, window, Filters=[{"Key": "ExecutedBefore", "Values": [stamp]}])
    assert [e["WindowExecutionId"] for e in after] == [newest["WindowExecutionId"]]
    assert [e["WindowExecutionId"] for e in before] == [oldest["WindowExecutionId"]]

    paged = ssm.get_paginator("describe_maintenance_window_executions").paginate(
        WindowId=window, PaginationConfig={"PageSize": 10}
    )
    assert [e["WindowExecutionId"] for p in paged for e in p["WindowExecutions"]] == [
        newest["WindowExecutionId"],
        oldest["WindowExecutionId"],
    ]

    got = ssm.get_maintenance_window_execution(WindowExecutionId=newest["WindowExecutionId"])
    assert (got["TaskIds"], got["Status"]) == ([], "SUCCESS")
    assert (
        ssm.describe_maintenance_window_execution_tasks(
            WindowExecutionId=newest["WindowExecutionId"]
        )["WindowExecutionTaskIdentities"]
        == []
    )
    # cancelling an execution that has ended answers and changes nothing
    ssm.cancel_maintenance_window_execution(WindowExecutionId=newest["WindowExecutionId"])
    assert _executions(ssm, window)[0] == newest


def test_an_unknown_window_has_no_executions(ssm: Any) -> None:
    assert _executions(ssm, "mw-0123456789abcdef0") == []
