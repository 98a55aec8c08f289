"""An in-process Transom on a fake clock, with scripted agents, for engine tests.

The services and the store are the real ones (a real SQLite file or PostgreSQL schema); only
time and the agents are stand-ins: `FakeAgents` speaks to the `Dispatcher` and `ResultIntake`
exactly as the agent channel does (work_for_all, then report_all), finishing each command when
the script says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.clock import FakeClock
from transom.bootstrap import Settings, build_services
from transom.domain.commands import InvocationDetails, Outcome
from transom.domain.executions import ExecutionStatus, WindowExecution
from transom.domain.ids import new_uuid
from transom.domain.nodes import NodeFacts
from transom.domain.windows import (
    ResourceType,
    Tag,
    TargetSpec,
    TaskSpec,
    TaskType,
    WindowSpec,
    WindowTask,
)
from transom.services.container import Services
from transom.store.sql import SqlStore

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday

Script = Callable[[str, list[str]], "Finish | None"]
"""(node, the command's `commands` parameter) -> how it ends, or None to keep running."""


@dataclass(frozen=True)
class Finish:
    details: InvocationDetails = InvocationDetails.SUCCESS
    code: int = 0
    after: timedelta = timedelta(seconds=10)
    output: str = ""


@dataclass
class FakeAgents:
    """Every registered node: takes its work and finishes each command `after` the script says."""

    services: Services
    clock: FakeClock
    script: Script = lambda _node, _commands: Finish()
    running: dict[tuple[str, str], tuple[str, datetime, Finish]] = field(default_factory=dict)
    started: list[tuple[str, str, datetime]] = field(default_factory=list)

    def act(self) -> None:
        now = self.clock.now()
        services = self.services
        for node in self.services.nodes.describe({}):
            instance_id = node.node.instance_id
            ((work, cancels),) = services.dispatch.work_for_all([instance_id])
            reports: list[Outcome] = []
            for item in work:
                key = (item.command.command_id, instance_id)
                if key in self.running:
                    continue
                finish = self.script(instance_id, item.command.parameters.get("commands", []))
                if finish is None:
                    finish = Finish(after=timedelta(days=365))
                self.running[key] = (item.invocation.lease or "", now + finish.after, finish)
                self.started.append((item.command.command_id, instance_id, now))
                reports.append(
                    _outcome(
                        item.command.command_id,
                        item.invocation.lease,
                        InvocationDetails.IN_PROGRESS,
                        now,
                    )
                )
            for command_id in cancels:
                key = (command_id, instance_id)
                if key in self.running:
                    lease, _, _ = self.running[key]
                    self.running[key] = (lease, now, Finish(InvocationDetails.CANCELLED, -1))
            for (command_id, node_id), (lease, due, finish) in list(self.running.items()):
                if node_id == instance_id and due <= now:
                    del self.running[(command_id, node_id)]
                    reports.append(
                        Outcome(
                            command_id,
                            lease,
                            finish.details,
                            finish.code,
                            finish.output,
                            "",
                            now,
                            now,
                        )
                    )
            if reports:
                services.results.report_all([(instance_id, reports)])


def _outcome(
    command_id: str, lease: str | None, details: InvocationDetails, now: datetime
) -> Outcome:
    return Outcome(command_id, lease or "", details, -1, "", "", now, None)


class World:
    """Services on a fake clock over a real store, with nodes and fake agents."""

    def __init__(self, store: SqlStore, tmp: Any) -> None:
        self.store = store
        self.clock = FakeClock(START)
        self.woken: list[str] = []
        """The nodes the services said may have work, in order."""
        self.services = build_services(
            store, self.clock, Settings(data_dir=tmp), wake=self.woken.extend
        )
        self.agents = FakeAgents(self.services, self.clock)

    def node(self, name: str, **tags: str) -> str:
        nodes = self.services.nodes
        activation_id, code = nodes.create_activation(iam_role="role")
        facts = NodeFacts(name, "127.0.0.1", "Linux", "Ubuntu", "24.04", "test")
        instance_id, _ = nodes.register(activation_id, code, facts)
        if tags:
            self.services.tags.add(
                "ManagedInstance", instance_id, [Tag(k, v) for k, v in tags.items()]
            )
        return instance_id

    def window(self, schedule: str, duration: int = 2, cutoff: int = 1, **more: Any) -> str:
        spec = WindowSpec(
            name=more.pop("name", "w"),
            schedule=schedule,
            duration=duration,
            cutoff=cutoff,
            allow_unassociated_targets=more.pop("allow_unassociated_targets", True),
            **more,
        )
        return self.services.windows.create(spec, [], None)

    def target(self, window_id: str, *, owner: str | None = None, **tags: str) -> str:
        targets = [{"Key": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        spec = TargetSpec(ResourceType.INSTANCE, targets, owner_information=owner)
        return self.services.targets.register(window_id, spec, None)

    def task(
        self,
        window_id: str,
        targets: list[dict[str, Any]],
        commands: list[str],
        *,
        priority: int = 1,
        max_concurrency: str = "10",
        max_errors: str = "0",
        cutoff_behavior: str | None = None,
    ) -> str:
        spec = TaskSpec(
            task_arn="AWS-RunShellScript",
            task_type=TaskType.RUN_COMMAND,
            targets=targets,
            priority=priority,
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            cutoff_behavior=cutoff_behavior,
            task_invocation_parameters={"RunCommand": {"Parameters": {"commands": commands}}},
        )
        return self.services.tasks.register(window_id, spec, None)

    def stored_task(self, window_id: str, task_type: TaskType, task_arn: str) -> str:
        """A targetless task of `task_type` put straight into the store, as a Transom that
        still registered tasks of every type left it."""
        spec = TaskSpec(task_arn=task_arn, task_type=task_type, targets=[], priority=1)
        task = WindowTask(window_id, new_uuid(), spec)
        with self.store.write() as tx:
            tx.insert_task(task)
        return task.window_task_id

    def step(self) -> None:
        """One pass of the engine and the agents at the current instant."""
        self.services.scheduler.sync()
        self.services.scheduler.tick()
        self.services.runner.advance_due()
        self.agents.act()
        self.services.runner.advance_due()

    def run_until(self, instant: datetime) -> None:
        """Step, then jump to the next thing due (a schedule, a runner timer, a command's
        end), until `instant`."""
        while True:
            self.step()
            now = self.clock.now()
            if now >= instant:
                return
            due = [
                d
                for d in (
                    self.services.scheduler.next_due(),
                    self.services.runner.next_wake(),
                    *(end for _, end, _ in self.agents.running.values()),
                )
                if d is not None
            ]
            self.clock.set(min([instant, *(d for d in due if d > now)]))

    def run_for(self, span: timedelta) -> None:
        self.run_until(self.clock.now() + span)

    def executions(self, window_id: str) -> list[WindowExecution]:
        """Oldest first."""
        return list(reversed(self.services.history.executions(window_id, limit=10_000).items))

    def statuses(self, window_id: str) -> list[ExecutionStatus]:
        return [e.status for e in self.executions(window_id)]
