"""Running window executions (SPEC.md §d): task groups by priority, targets resolved at run
time, one Run Command command per target within the task's MaxConcurrency and MaxErrors, the
cutoff, cancellation, and the statuses of every level.

`advance` is a step function: it reads an execution's state from the store, does what is due
now, and records when it must be looked at again (`wake_at`). Every step runs in one
transaction under the execution's lock, and an invocation is launched by compare-and-set in
the same transaction that creates its command, so a crash or a second replica never launches
one twice; after a restart the next step simply carries on. An execution that ends is logged
once its transaction has committed (`services.window_log`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from transom.domain.audit import AuditRecord
from transom.domain.clock import Clock
from transom.domain.commands import FINAL_DETAILS, InvocationDetails
from transom.domain.errors import AccessDeniedError, ApiError, ValidationError
from transom.domain.events import Realm
from transom.domain.executions import (
    ACTIVE,
    ERRORS,
    ExecutionStatus,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.executions import ExecutionStatus as S
from transom.domain.ids import new_uuid
from transom.domain.windows import TaskType, WindowTask
from transom.execution.invocation_plan import plan_invocations
from transom.execution.limits import concurrency_limit, error_threshold
from transom.execution.pseudo_parameters import substitute
from transom.execution.run_status import invocation_status, task_status, window_status
from transom.services import window_log
from transom.services.authorization import Arns, check_policy
from transom.services.commands import CommandService
from transom.services.documents import DOCUMENT_RESOURCE, check_hash, find_in
from transom.services.roles import role_policy
from transom.services.run_state import RunState
from transom.store.port import Store
from transom.store.ports.changes import Change

log = logging.getLogger(__name__)

RECHECK = timedelta(seconds=30)
"""A running execution is looked at at least this often, whatever else wakes it."""
BATCH = 200
"""Executions advanced in one transaction."""
_RUNNING = (S.IN_PROGRESS, S.CANCELLING)
_DETAILS_MAX = 250
ROLE_SOURCE = "window run"
"""The source of an audit record of an invocation a task's role refused."""


StartDelays = Callable[[list[timedelta]], None]
"""Told, once they have committed, how late executions of scheduled occurrences started (from
the scheduled time to the step that moved them from PENDING to IN_PROGRESS)."""


class WindowRunner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        commands: CommandService,
        realm: Realm,
        start_delays: StartDelays = lambda _delays: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._commands = commands
        self._realm = realm
        self._start_delays = start_delays

    def next_wake(self) -> datetime | None:
        with self._store.read() as tx:
            return tx.next_window_execution_wake()

    def advance_due(self, limit: int = 1000) -> int:
        """Advance every execution due by now, `BATCH` per transaction; how many. The nodes
        given work hear of it once the whole pass has committed, so launching the last batch
        does not wait behind the first batch's agents. When a batch fails, its executions are
        advanced one by one: one execution's failure is logged, and it is looked at again
        later, without stopping the others."""
        now = self._clock.now()
        with self._store.read() as tx:
            due = tx.due_window_executions(now, limit)
        woken: set[str] = set()
        for start in range(0, len(due), BATCH):
            batch = due[start : start + BATCH]
            try:
                woken |= self._advance(batch, due_by=now)
            except Exception:
                log.info("a batch of window executions failed; advancing them one by one")
                for execution_id in batch:
                    woken |= self._advance_alone(execution_id)
        self._commands.wake(woken)
        return len(due)

    def _advance_alone(self, execution_id: str) -> set[str]:
        try:
            return self._advance([execution_id], due_by=None)
        except Exception:
            log.exception("could not advance window execution %s", execution_id)
            with self._store.write() as tx:
                tx.update_window_execution(
                    execution_id, ACTIVE, {"wake_at": self._clock.now() + RECHECK}
                )
            return set()

    def _advance(self, execution_ids: list[str], due_by: datetime | None) -> set[str]:
        """Advance the executions that are still active (and due by `due_by`, if given) in one
        transaction, holding each one's lock; the nodes to wake once it has committed."""
        woken: set[str] = set()
        delays: list[timedelta] = []
        with self._store.write() as tx:
            tx.lock_all([f"window-execution:{execution_id}" for execution_id in execution_ids])
            executions = [
                e
                for e in tx.get_window_executions(execution_ids)
                if e.status in ACTIVE
                and (due_by is None or (e.wake_at is not None and e.wake_at <= due_by))
            ]
            now = self._clock.now()
            state = RunState(tx, executions, self._realm, now)
            for execution in executions:
                if execution.status is S.PENDING and execution.scheduled_time is not None:
                    delays.append(now - execution.scheduled_time)
                _Step(state, execution, now, self._commands, woken, self._realm).run()
            state.flush()
            if woken:
                tx.announce(Change.COMMANDS)
        for execution_id in state.ended:
            tasks = state.task_executions(execution_id)
            window_log.ended(
                state.executions[execution_id],
                [t.status for t in tasks],
                [i.status for t in tasks for i in state.invocations(t.task_execution_id)],
            )
        if delays:
            self._start_delays(delays)
        return woken


class _Step:
    """One look at one window execution, through the batch's `RunState`."""

    def __init__(
        self,
        state: RunState,
        execution: WindowExecution,
        now: datetime,
        commands: CommandService,
        woken: set[str],
        realm: Realm,
    ) -> None:
        self.state = state
        self.wx = execution
        self.now = now
        self.commands = commands
        self.woken = woken
        self.realm = realm

    def run(self) -> None:
        state = self.state
        if self.wx.status is S.PENDING:
            self.wx = state.change_execution(self.wx, status=S.IN_PROGRESS)
        tasks = [
            self.advance_task(t) if t.status in ACTIVE else t
            for t in state.task_executions(self.wx.window_execution_id)
        ]
        if any(t.status in ACTIVE for t in tasks):
            self.sleep()
            return
        wx = self.wx
        plan = list(wx.plan)
        started = {t.window_task_id for t in tasks}
        while True:
            remaining = [p for p in plan if p.window_task_id not in started]
            if not remaining or wx.cancel_requested or self.now >= wx.cutoff_at:
                self.finish(tasks, cut_short=bool(remaining) and not wx.cancel_requested)
                return
            priority = min(p.priority for p in remaining)
            group = [p for p in remaining if p.priority == priority]
            found = [
                task
                for p in group
                if (task := state.task(wx.window_id, p.window_task_id)) is not None
            ]
            if found:
                tasks += [self.start_task(task) for task in found]
                if any(t.status in ACTIVE for t in tasks):
                    self.sleep()
                    return
                started |= {p.window_task_id for p in group}
                continue
            # the whole group was deregistered since the run began: it has nothing to run
            plan = [p for p in plan if p not in group]
            self.wx = wx = state.change_execution(wx, plan=tuple(plan))

    def sleep(self) -> None:
        """Come back when a timer of the run falls due, or RECHECK at the latest (commands
        reaching a final status wake the execution earlier)."""
        timers = [self.now + RECHECK]
        for instant in (self.wx.cutoff_at, self.wx.window_end):
            if instant > self.now:
                timers.append(instant)
        self.wx = self.state.change_execution(self.wx, wake_at=min(timers))

    def finish(self, tasks: list[TaskExecution], *, cut_short: bool) -> None:
        wx = self.wx
        statuses = [t.status for t in tasks]
        past_end = self.now > wx.window_end
        status = window_status(
            statuses, cut_short=cut_short, cancelled=wx.cancel_requested, past_end=past_end
        )
        if not wx.plan and not tasks:
            outcome = "No tasks to execute."
        elif cut_short:
            outcome = (
                "The window's cutoff passed before every task could start; the remaining "
                "tasks were not run."
            )
        elif status is S.CANCELLED:
            outcome = "Cancelled: tasks not yet started were not run."
        elif status is S.FAILED:
            failed = sum(1 for s in statuses if s is S.FAILED)
            outcome = f"{failed} of {len(tasks)} tasks failed."
        elif status is S.TIMED_OUT:
            outcome = "A task was cut off at the cutoff, or the run went past the window's end."
        else:
            outcome = ""
        self.wx = self.state.change_execution(
            wx,
            status=status,
            status_details=_join(wx.status_details, outcome),
            end_time=self.now,
            wake_at=None,
        )

    # tasks
    def start_task(self, task: WindowTask) -> TaskExecution:
        """Snapshot the task, resolve its targets now, and launch what it may run at once."""
        wx, spec, state = self.wx, task.spec, self.state
        invocation_parameters = _effective_parameters(task)
        failure = ""
        try:
            planned = plan_invocations(spec.targets, state.targets(wx.window_id), state.node_tags())
        except ValidationError as error:
            planned, failure = [], error.message
        run_parameters = invocation_parameters.get("RunCommand", {}).get("Parameters", {})
        shown: dict[str, Any] = {name: {"Values": v} for name, v in run_parameters.items()}
        if spec.task_type is TaskType.RUN_COMMAND:
            shown["aws:InstanceId"] = {"Values": [p.resource_id for p in planned if p.resource_id]}
        execution = TaskExecution(
            task_execution_id=new_uuid(),
            window_execution_id=wx.window_execution_id,
            window_task_id=task.window_task_id,
            task_arn=spec.task_arn,
            task_type=str(spec.task_type),
            priority=spec.priority,
            service_role_arn=spec.service_role_arn,
            max_concurrency=spec.max_concurrency or "1",
            max_errors=spec.max_errors or "0",
            cutoff_behavior=spec.cutoff_behavior or "CONTINUE_TASK",
            invocation_parameters=invocation_parameters,
            task_parameters=[shown],
            status=S.IN_PROGRESS,
            status_details=failure,
            start_time=self.now,
        )
        state.add_task_execution(execution)
        if failure:
            return self.end_task(execution, S.FAILED, failure)
        state.add_invocations(
            [
                TaskInvocation(
                    invocation_id=new_uuid(),
                    task_execution_id=execution.task_execution_id,
                    window_execution_id=wx.window_execution_id,
                    seq=seq,
                    batch=p.batch,
                    window_target_id=p.window_target_id,
                    owner_information=p.owner_information,
                    resource_id=p.resource_id,
                    status=S.PENDING,
                    status_details=InvocationDetails.PENDING,
                )
                for seq, p in enumerate(planned)
            ]
        )
        return self.advance_task(execution)

    def advance_task(self, te: TaskExecution) -> TaskExecution:
        """Take in finished commands, apply the cutoff and the error budget, launch what the
        concurrency allows, and end the task once every invocation has ended."""
        state = self.state
        cut_off = te.cutoff_behavior == "CANCEL_TASK" and self.now >= self.wx.cutoff_at
        for invocation in state.invocations(te.task_execution_id):
            if invocation.status in _RUNNING:
                self.take_in(invocation)
        while True:
            invocations = state.invocations(te.task_execution_id)
            errors = sum(1 for i in invocations if i.status in ERRORS)
            over = errors > error_threshold(te.max_errors, len(invocations))
            if cut_off:
                self.cut_off(invocations)
            elif over:
                self.hold_back(
                    invocations, f"Not started: the task's MaxErrors ({te.max_errors}) was passed."
                )
            elif self.launch_next(te, invocations):
                continue  # a launch may have failed at once: count again
            break
        invocations = state.invocations(te.task_execution_id)
        if any(i.status in ACTIVE for i in invocations):
            return te
        statuses = [i.status for i in invocations]
        status = task_status(statuses, cut_off=cut_off, past_end=self.now > self.wx.window_end)
        return self.end_task(te, status, _task_details(status, statuses, cut_off))

    def end_task(self, te: TaskExecution, status: ExecutionStatus, details: str) -> TaskExecution:
        return self.state.change_task_execution(
            te, status=status, status_details=details[:_DETAILS_MAX], end_time=self.now
        )

    def take_in(self, invocation: TaskInvocation, fresh: bool = False) -> None:
        """End the invocation if its command has ended (as loaded, or read now if `fresh`)."""
        if invocation.execution_id is None or invocation.resource_id is None:
            return
        found = (
            self.state.tx.get_invocation(invocation.execution_id, invocation.resource_id)
            if fresh
            else self.state.command_invocation(invocation.execution_id, invocation.resource_id)
        )
        if found is None or found.details not in FINAL_DETAILS:
            return
        self.state.change_invocation(
            invocation,
            status=invocation_status(found.details),
            status_details=found.details,
            end_time=found.finished_date or self.now,
        )

    def cut_off(self, invocations: list[TaskInvocation]) -> None:
        """CutoffBehavior CANCEL_TASK at the cutoff: cancel the running commands and start
        nothing more."""
        for invocation in invocations:
            if invocation.status is S.IN_PROGRESS and invocation.execution_id is not None:
                self.woken |= set(self.commands.cancel_in(self.state.tx, invocation.execution_id))
                cancelling = self.state.change_invocation(
                    invocation, status=S.CANCELLING, status_details=InvocationDetails.CANCELLING
                )
                self.take_in(cancelling, fresh=True)
        self.hold_back(
            invocations, "Not started: the window's cutoff passed (CutoffBehavior CANCEL_TASK)."
        )

    def hold_back(self, invocations: list[TaskInvocation], details: str) -> None:
        for invocation in invocations:
            if invocation.status is S.PENDING:
                self.state.change_invocation(
                    invocation, status=S.CANCELLED, status_details=details, end_time=self.now
                )

    def launch_next(self, te: TaskExecution, invocations: list[TaskInvocation]) -> bool:
        """Launch pending invocations of the current batch within MaxConcurrency; whether any
        was launched."""
        pending = [i for i in invocations if i.status is S.PENDING]
        if not pending:
            return False
        batch = min(i.batch for i in pending)
        if any(i.status in ACTIVE and i.batch < batch for i in invocations):
            return False  # window targets run one after another
        in_batch = [i for i in invocations if i.batch == batch]
        limit = concurrency_limit(te.max_concurrency, len(in_batch))
        free = limit - sum(1 for i in in_batch if i.status in _RUNNING)
        chosen = [i for i in pending if i.batch == batch][: max(free, 0)]
        for invocation in chosen:
            self.launch(te, invocation)
        return bool(chosen)

    def check_role(self, te: TaskExecution, document: str, instance_id: str) -> None:
        """Refuse (`AccessDeniedError`) an invocation the task's role does not allow to run
        `document` on the node; a task without a Transom role runs as it is."""
        policy = role_policy(self.state.tx, self.realm, te.service_role_arn)
        if policy is None or te.service_role_arn is None:
            return
        arns = Arns(self.realm)
        node_arn, document_arn = arns.node(instance_id), arns.document(document)
        tags = {
            node_arn: lambda: self.state.node_tags().get(instance_id, {}),
            document_arn: lambda: {
                t.key: t.value for t in self.state.tx.get_tags(DOCUMENT_RESOURCE, document)
            },
        }
        check_policy(
            policy,
            te.service_role_arn,
            "ssm:SendCommand",
            [document_arn, node_arn],
            lambda arn: tags[arn](),
        )

    def role_refusal(
        self, te: TaskExecution, invocation: TaskInvocation, error: AccessDeniedError
    ) -> AuditRecord:
        """The audit trail's record of an invocation the task's role refused (made by the
        window's run, not by a key: no key, source `ROLE_SOURCE`)."""
        resources = (self.wx.window_id, invocation.resource_id or "", te.task_arn)
        return AuditRecord(
            at=self.now,
            access_key_id=None,
            source=ROLE_SOURCE,
            api="ssm",
            operation="SendCommand",
            resources=resources,
            outcome=error.code,
            parameters={
                "ServiceRoleArn": te.service_role_arn,
                "WindowExecutionId": self.wx.window_execution_id,
                "TaskExecutionId": te.task_execution_id,
                "InvocationId": invocation.invocation_id,
                "Message": str(error),
            },
        )

    def launch(self, te: TaskExecution, invocation: TaskInvocation) -> None:
        """Send the invocation's command; a command that cannot be sent fails the invocation."""
        wx = self.wx
        values = {
            "WINDOW_ID": wx.window_id,
            "WINDOW_TASK_ID": te.window_task_id,
            "WINDOW_TARGET_ID": invocation.window_target_id or "",
            "WINDOW_EXECUTION_ID": wx.window_execution_id,
            "TASK_EXECUTION_ID": te.task_execution_id,
            "INVOCATION_ID": invocation.invocation_id,
            "TARGET_TYPE": "INSTANCE" if invocation.resource_id else "",
            "TARGET_ID": invocation.resource_id or "",
            "RESOURCE_ID": invocation.resource_id or "",
        }
        run = substitute(te.invocation_parameters.get("RunCommand", {}), values)
        request: dict[str, Any] = {
            "comment": run.get("Comment") or f"{wx.window_execution_id}:{te.task_execution_id}",
            "documentName": te.task_arn,
            "instanceIds": [invocation.resource_id] if invocation.resource_id else [],
            "maxConcurrency": te.max_concurrency,
            "maxErrors": te.max_errors,
            "parameters": run.get("Parameters", {}),
            "timeoutSeconds": run.get("TimeoutSeconds", 600),
        }
        sent = json.dumps(request, separators=(",", ":"))
        try:
            if te.task_type != TaskType.RUN_COMMAND:
                raise ValidationError(
                    f"Transom has no executor for {te.task_type} tasks yet; only RUN_COMMAND "
                    "tasks run."
                )
            if invocation.resource_id is None:
                raise ValidationError("A RUN_COMMAND task needs targets to run on.")
            document = find_in(self.state.tx, te.task_arn, run.get("DocumentVersion"))
            check_hash(document, run.get("DocumentHash"), run.get("DocumentHashType"))
            self.check_role(te, document.name, invocation.resource_id)
            command, command_invocations = self.commands.prepare(
                self.state.node,
                document=document,
                parameters=request["parameters"],
                instance_ids=[invocation.resource_id],
                timeout_seconds=int(request["timeoutSeconds"]),
                max_concurrency=te.max_concurrency,
                max_errors=te.max_errors,
                comment=str(request["comment"])[:100],
                request={k: v for k, v in run.items() if k not in _SENT_MEMBERS},
                window_execution_id=wx.window_execution_id,
            )
        except ApiError as error:
            if isinstance(error, AccessDeniedError):
                self.state.tx.append_audit_record(self.role_refusal(te, invocation, error))
            self.state.change_invocation(
                invocation,
                parameters=sent,
                start_time=self.now,
                status=S.FAILED,
                status_details=_undeliverable(error)[:_DETAILS_MAX],
                end_time=self.now,
            )
            return
        self.state.add_command(command, command_invocations)
        self.state.change_invocation(
            invocation,
            parameters=sent,
            start_time=self.now,
            status=S.IN_PROGRESS,
            status_details=InvocationDetails.IN_PROGRESS,
            execution_id=command.command_id,
        )
        self.woken |= set(command.instance_ids)


_SENT_MEMBERS = frozenset({"Parameters", "Comment", "TimeoutSeconds"})


def _effective_parameters(task: WindowTask) -> dict[str, Any]:
    """TaskInvocationParameters, or for a RUN_COMMAND task registered with the deprecated
    TaskParameters and LoggingInfo, their equivalent (SPEC.md §d.5)."""
    spec = task.spec
    if spec.task_invocation_parameters:
        return dict(spec.task_invocation_parameters)
    if spec.task_type is not TaskType.RUN_COMMAND:
        return {}
    run: dict[str, Any] = {
        "Parameters": {k: v.get("Values", []) for k, v in (spec.task_parameters or {}).items()}
    }
    logging_info: Mapping[str, Any] = spec.logging_info or {}
    if "S3BucketName" in logging_info:
        run["OutputS3BucketName"] = logging_info["S3BucketName"]
    if "S3KeyPrefix" in logging_info:
        run["OutputS3KeyPrefix"] = logging_info["S3KeyPrefix"]
    return {"RunCommand": run}


def _undeliverable(error: ApiError) -> str:
    if error.code == "InvalidInstanceId":
        return f"Undeliverable: {error.message}"
    return error.message


def _task_details(status: ExecutionStatus, statuses: list[ExecutionStatus], cut_off: bool) -> str:
    if not statuses:
        return "No targets to run on."
    counts = ", ".join(
        f"{n} {s.lower().replace('_', ' ')}" for s in S if (n := sum(1 for x in statuses if x is s))
    )
    if cut_off:
        return f"Cut off at the window's cutoff (CANCEL_TASK): {counts}."
    return f"{status.title().replace('_', ' ')}: {counts}."


def _join(first: str, second: str) -> str:
    return " ".join(p for p in (first, second) if p)[:_DETAILS_MAX]
