"""Window execution history: DescribeMaintenanceWindowExecutions and the Get/Describe
operations below it, and CancelMaintenanceWindowExecution (SPEC.md §b.17-b.23)."""

from __future__ import annotations

from collections.abc import Sequence

from transom.domain.executions import TaskExecution, TaskInvocation, WindowExecution
from transom.protocol.awsjson.members import decode_token, encode_token, filter_values, page_of
from transom.protocol.awsjson.registry import Params, operation
from transom.schedule import parse_iso_datetime
from transom.services.container import Services


def _times(record: WindowExecution | TaskExecution | TaskInvocation) -> Params:
    times: Params = {}
    if record.start_time is not None:
        times["StartTime"] = record.start_time
    if record.end_time is not None:
        times["EndTime"] = record.end_time
    return times


def _status(record: WindowExecution | TaskExecution | TaskInvocation) -> Params:
    status: Params = {"Status": str(record.status)}
    if record.status_details:
        status["StatusDetails"] = record.status_details
    return status


def _only(filters: dict[str, list[str]], statuses: Sequence[Params]) -> list[Params]:
    wanted = filters.get("STATUS")
    return [s for s in statuses if wanted is None or s["Status"] in wanted]


_DESCRIBE = "DescribeMaintenanceWindowExecutions"


@operation(_DESCRIBE)
def describe_executions(services: Services, params: Params) -> Params:
    filters = filter_values(params, ("ExecutedBefore", "ExecutedAfter"))
    bounds = {
        key: max(parse_iso_datetime(v, key) for v in values)
        if key == "ExecutedAfter"
        else min(parse_iso_datetime(v, key) for v in values)
        for key, values in filters.items()
        if values
    }
    page = services.history.executions(
        params["WindowId"],
        bounds.get("ExecutedAfter"),
        bounds.get("ExecutedBefore"),
        decode_token(_DESCRIBE, params),
        params.get("MaxResults", 50),
    )
    listed = [
        {
            "WindowId": e.window_id,
            "WindowExecutionId": e.window_execution_id,
            **_status(e),
            **_times(e),
        }
        for e in page.items
    ]
    token = encode_token(_DESCRIBE, page.next_after)
    return {"WindowExecutions": listed, **({"NextToken": token} if token else {})}


@operation("GetMaintenanceWindowExecution")
def get_execution(services: Services, params: Params) -> Params:
    execution, tasks = services.history.execution(params["WindowExecutionId"])
    return {
        "WindowExecutionId": execution.window_execution_id,
        "TaskIds": [t.task_execution_id for t in tasks],
        **_status(execution),
        **_times(execution),
    }


def _task_identity(task: TaskExecution) -> Params:
    return {
        "WindowExecutionId": task.window_execution_id,
        "TaskExecutionId": task.task_execution_id,
        **_status(task),
        **_times(task),
        "TaskArn": task.task_arn,
        "TaskType": task.task_type,
    }


@operation("DescribeMaintenanceWindowExecutionTasks")
def describe_tasks(services: Services, params: Params) -> Params:
    filters = filter_values(params, ("STATUS",))
    _, tasks = services.history.execution(params["WindowExecutionId"])
    listed = _only(filters, [_task_identity(t) for t in tasks])
    page, token = page_of("DescribeMaintenanceWindowExecutionTasks", params, listed, 50)
    return {"WindowExecutionTaskIdentities": list(page), **({"NextToken": token} if token else {})}


@operation("GetMaintenanceWindowExecutionTask")
def get_task(services: Services, params: Params) -> Params:
    task = services.history.task(params["WindowExecutionId"], params["TaskId"])
    members: Params = {
        "WindowExecutionId": task.window_execution_id,
        "TaskExecutionId": task.task_execution_id,
        "TaskArn": task.task_arn,
        "Type": task.task_type,
        "TaskParameters": task.task_parameters,
        "Priority": task.priority,
        "MaxConcurrency": task.max_concurrency,
        "MaxErrors": task.max_errors,
        **_status(task),
        **_times(task),
    }
    if task.service_role_arn:
        members["ServiceRole"] = task.service_role_arn
    return members


def _invocation_identity(task: TaskExecution, invocation: TaskInvocation) -> Params:
    members: Params = {
        "WindowExecutionId": invocation.window_execution_id,
        "TaskExecutionId": invocation.task_execution_id,
        "InvocationId": invocation.invocation_id,
        "TaskType": task.task_type,
        **_status(invocation),
        **_times(invocation),
    }
    for member, value in (
        ("ExecutionId", invocation.execution_id),
        ("Parameters", invocation.parameters),
        ("OwnerInformation", invocation.owner_information),
        ("WindowTargetId", invocation.window_target_id),
    ):
        if value is not None:
            members[member] = value
    return members


@operation("DescribeMaintenanceWindowExecutionTaskInvocations")
def describe_invocations(services: Services, params: Params) -> Params:
    filters = filter_values(params, ("STATUS",))
    task = services.history.task(params["WindowExecutionId"], params["TaskId"])
    invocations = services.history.invocations(params["WindowExecutionId"], params["TaskId"])
    listed = _only(filters, [_invocation_identity(task, i) for i in invocations])
    page, token = page_of("DescribeMaintenanceWindowExecutionTaskInvocations", params, listed, 50)
    return {
        "WindowExecutionTaskInvocationIdentities": list(page),
        **({"NextToken": token} if token else {}),
    }


@operation("GetMaintenanceWindowExecutionTaskInvocation")
def get_invocation(services: Services, params: Params) -> Params:
    task = services.history.task(params["WindowExecutionId"], params["TaskId"])
    invocation = services.history.invocation(
        params["WindowExecutionId"], params["TaskId"], params["InvocationId"]
    )
    return _invocation_identity(task, invocation)


@operation("CancelMaintenanceWindowExecution")
def cancel(services: Services, params: Params) -> Params:
    services.history.cancel(params["WindowExecutionId"])
    return {"WindowExecutionId": params["WindowExecutionId"]}
