"""Records for the store contract tests, numbered so that each test can make many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from transom.domain.commands import (
    Command,
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
)
from transom.domain.executions import (
    ExecutionStatus,
    PlannedTask,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.nodes import Activation, Node, NodeFacts
from transom.domain.windows import (
    ResourceType,
    Tag,
    TargetSpec,
    TaskSpec,
    TaskType,
    Window,
    WindowSpec,
    WindowTarget,
    WindowTask,
)

NOW = datetime(2026, 3, 29, 1, 30, 15, 123000, tzinfo=UTC)


def uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def window(n: int, name: str = "w", enabled: bool = True) -> Window:
    spec = WindowSpec(
        name=f"{name}-{n}",
        schedule="rate(1 day)",
        duration=2,
        cutoff=1,
        allow_unassociated_targets=False,
        enabled=enabled,
        schedule_timezone="Europe/Berlin",
    )
    return Window(f"mw-{n:017x}", spec, NOW, NOW + timedelta(seconds=n), NOW)


def target(
    window_id: str, n: int, tag: tuple[str, str] | None = None, owner: str | None = "owner"
) -> WindowTarget:
    """Target `n` of the window: the nodes tagged `tag` (key, value; `a`=n unless given)."""
    key, value = tag or ("a", str(n))
    spec = TargetSpec(ResourceType.INSTANCE, [{"Key": f"tag:{key}", "Values": [value]}], owner)
    return WindowTarget(window_id, uuid(1000 + n), spec)


def task(
    window_id: str,
    n: int,
    command: str = "ü",
    priority: int | None = None,
    max_errors: str = "0",
) -> WindowTask:
    """Task `n` of the window (priority n unless given): `command` by AWS-RunShellScript on
    the window's target `n`."""
    spec = TaskSpec(
        "AWS-RunShellScript",
        TaskType.RUN_COMMAND,
        [{"Key": "WindowTargetIds", "Values": [uuid(1000 + n)]}],
        priority=n if priority is None else priority,
        task_invocation_parameters={"RunCommand": {"Parameters": {"commands": [command]}}},
        max_concurrency="10%",
        max_errors=max_errors,
    )
    return WindowTask(window_id, uuid(2000 + n), spec)


def execution(
    n: int,
    status: ExecutionStatus = ExecutionStatus.PENDING,
    window_id: str = window(1).window_id,
) -> WindowExecution:
    return WindowExecution(
        window_execution_id=uuid(n),
        window_id=window_id,
        status=status,
        status_details="",
        start_time=NOW + timedelta(days=n),
        end_time=None,
        scheduled_time=NOW + timedelta(days=n),
        window_end=NOW + timedelta(days=n, hours=2),
        cutoff_at=NOW + timedelta(days=n, hours=1),
        plan=(PlannedTask("t-1", 0), PlannedTask("t-2", 5)),
        wake_at=NOW + timedelta(days=n),
    )


def task_execution(window_execution_id: str, n: int) -> TaskExecution:
    return TaskExecution(
        task_execution_id=uuid(3000 + n),
        window_execution_id=window_execution_id,
        window_task_id=uuid(2000 + n),
        task_arn="AWS-RunShellScript",
        task_type="RUN_COMMAND",
        priority=n,
        service_role_arn=None,
        max_concurrency="1",
        max_errors="0",
        cutoff_behavior="CONTINUE_TASK",
        invocation_parameters={"RunCommand": {"Parameters": {"commands": ["true"]}}},
        task_parameters=[],
        status=ExecutionStatus.IN_PROGRESS,
        status_details="",
        start_time=NOW,
    )


def task_invocation(te: TaskExecution, seq: int) -> TaskInvocation:
    return TaskInvocation(
        invocation_id=uuid(4000 + 10 * int(te.task_execution_id[-3:]) + seq),
        task_execution_id=te.task_execution_id,
        window_execution_id=te.window_execution_id,
        seq=seq,
        batch=0,
        window_target_id=None,
        owner_information=None,
        resource_id=node(seq).instance_id,
        status=ExecutionStatus.PENDING,
        status_details="",
    )


def command(n: int, instance_ids: tuple[str, ...] = (), at: datetime = NOW) -> Command:
    return Command(
        command_id=uuid(5000 + n),
        document_name="AWS-RunShellScript",
        parameters={"commands": ["true"]},
        instance_ids=list(instance_ids),
        targets=[],
        requested_date=at,
        expires_after=at + timedelta(hours=1),
        timeout_seconds=3600,
        max_concurrency="50",
        max_errors="0",
        status=CommandStatus.PENDING,
        status_details=CommandDetails.PENDING,
        comment=f"command {n}",
        request={"OutputS3BucketName": "bucket"},
    )


def invocations(
    command: Command, details: InvocationDetails = InvocationDetails.PENDING
) -> list[Invocation]:
    return [
        Invocation(command.command_id, i, details, command.requested_date, instance_name=i)
        for i in command.instance_ids
    ]


def activation(n: int, limit: int = 2) -> Activation:
    return Activation(
        activation_id=uuid(6000 + n),
        code_hash="h" * 64,
        iam_role="role",
        registration_limit=limit,
        registrations_count=0,
        expiration_date=NOW + timedelta(days=1),
        created_date=NOW + timedelta(seconds=n),
        description=f"activation {n}",
        tags=(Tag("team", "ops"), Tag("zone", "b")),
    )


def facts(n: int) -> NodeFacts:
    return NodeFacts(f"host-{n}", f"10.0.0.{n}", "Linux", "Debian", "12", "1.0.0")


def node(n: int) -> Node:
    return Node(
        instance_id=f"mi-{n:017x}",
        activation_id=activation(1).activation_id,
        secret_hash="s" * 64,
        facts=facts(n),
        registration_date=NOW,
        last_ping_date=NOW,
        iam_role="role",
        name=f"node {n}",
    )
