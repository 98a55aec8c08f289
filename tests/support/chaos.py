"""A chaos run: replicas on one PostgreSQL database behind HAProxy (`contrib/haproxy.cfg`),
real agents pointed at the balancer, maintenance windows firing every few seconds, while a
random replica is killed with SIGKILL and started again every few seconds.

Each window has one `at(...)` occurrence (schedules run at most every five minutes, so a
window firing every few seconds is many windows, one per instant) whose one task appends the
window execution id to a file named after the node, on every node. Afterwards the history
API and those files are checked against each other; `Figures` says what was found.
`tests/cli/test_chaos.py` runs it for about a minute, `bench/chaos.py` for longer.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.config import Config

from tests.support.agents import AgentProcess
from tests.support.balancer import Balancer, Replicas
from tests.support.nodes import activation
from tests.support.servers import Database, boto3_client
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for

FINAL = {"SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING"}
"""Window, task and task invocation statuses that do not change again."""
PATIENT = Config(retries={"max_attempts": 10, "mode": "standard"})
"""The test's own API calls ride out a replica dying under them, as any boto3 user's do."""


@dataclass(frozen=True)
class Plan:
    seconds: float = 60.0
    """How long windows fire and replicas die."""
    every: float = 3.0
    """Seconds between two instants at which windows fire."""
    windows_per_instant: int = 1
    replicas: int = 3
    agents: int = 3
    kill_every: tuple[float, float] = (2.0, 5.0)
    """A kill comes this many seconds (uniform) after the previous replica is back."""
    seed: int | None = None

    @property
    def instants(self) -> int:
        return max(1, int(self.seconds / self.every))


@dataclass
class Figures:
    occurrences: int = 0
    runs: int = 0
    """Occurrences whose execution ran its task (every execution the API lists, less the
    missed)."""
    missed: int = 0
    """Occurrences recorded TIMED_OUT without running, as missed."""
    kills: int = 0
    doubles: int = 0
    """Executions beyond one per occurrence, plus marker lines beyond one per (node,
    execution): a task run twice on a node."""
    lost: int = 0
    """Occurrences with no execution, executions or tasks or invocations not in a final
    status, and successful invocations whose node has no marker line."""
    start_delays: list[float] = field(default_factory=list)
    """Seconds from each run's scheduled time to its first invocation's start."""
    statuses: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seed: int = 0
    """The killer's random seed: `Plan(seed=...)` repeats its choices."""

    @property
    def worst_start_delay(self) -> float:
        return max(self.start_delays, default=0.0)

    def start_delay(self, share: float) -> float:
        """The start delay that this share of runs (0 to 1) did not exceed."""
        ordered = sorted(self.start_delays)
        return ordered[max(0, math.ceil(len(ordered) * share) - 1)] if ordered else 0.0

    def line(self) -> str:
        return (
            f"occurrences {self.occurrences}, runs {self.runs}, missed {self.missed}, "
            f"kills {self.kills}, doubles {self.doubles}, lost {self.lost}, worst start "
            f"delay {self.worst_start_delay:.2f} s (p50 {self.start_delay(0.5):.2f} s, p99 "
            f"{self.start_delay(0.99):.2f} s), statuses {dict(self.statuses)}, "
            f"seed {self.seed}"
        )


class Killer(threading.Thread):
    """Every few seconds, until `stop` is set, kills a random replica with SIGKILL and starts
    it again in the background; one of those running, never the last one running."""

    def __init__(self, replicas: Replicas, plan: Plan, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.replicas, self.plan, self.rng = replicas, plan, rng
        self.stop = threading.Event()
        self.kills = 0
        self.errors: list[BaseException] = []
        self._restarts: dict[int, threading.Thread] = {}

    def run(self) -> None:
        while not self.stop.wait(self.rng.uniform(*self.plan.kill_every)):
            self._restarts = {i: t for i, t in self._restarts.items() if t.is_alive()}
            running = [i for i in range(len(self.replicas.servers)) if i not in self._restarts]
            if len(running) < 2:
                continue
            victim = self.rng.choice(running)
            self.replicas.kill(victim)
            self.kills += 1
            restart = threading.Thread(target=self._restart, args=(victim,), daemon=True)
            self._restarts[victim] = restart
            restart.start()
        for restart in self._restarts.values():
            restart.join()

    def _restart(self, victim: int) -> None:
        try:
            self.replicas.restart(victim)
        except BaseException as exc:  # reported by the run
            self.errors.append(exc)


def run(db: Database, directory: Path, plan: Plan) -> Figures:
    """Set up, fire the windows under the killer, wait for every execution to end, and
    count; everything started is stopped before returning."""
    seed = random.randrange(2**32) if plan.seed is None else plan.seed
    rng = random.Random(seed)
    replicas = Replicas(db).start(plan.replicas)
    agents: list[AgentProcess] = []
    balancer = Balancer(directory, replicas.ports)
    killer = Killer(replicas, plan, rng)
    try:
        balancer.start()
        ssm = boto3_client(balancer.url, config=PATIENT)
        agents = _fleet(ssm, balancer.url, directory, plan.agents)
        marks = directory / "marks"
        marks.mkdir()
        windows = _windows(ssm, plan, marks)
        first = min(windows.values())
        wait_for(
            lambda: datetime.now(UTC) >= first - timedelta(seconds=1),
            seconds=60,
            what="the first occurrence",
        )
        killer.start()
        last = max(windows.values())
        wait_for(lambda: datetime.now(UTC) > last, seconds=plan.seconds + 120, what="the last")
        killer.stop.set()
        killer.join()
        if killer.errors:
            raise killer.errors[0]
        wait_for(
            lambda: _all_ended(ssm, windows),
            seconds=120,
            every=1,
            what="every window's execution to end",
        )
        figures = _count(ssm, windows, marks, [a.instance_id for a in agents])
        figures.kills, figures.seed = killer.kills, seed
        return figures
    finally:
        if killer.is_alive():
            killer.stop.set()
            killer.join()
        for agent in agents:
            agent.kill()
        balancer.stop()
        replicas.kill_all()


def _fleet(ssm: Any, url: str, directory: Path, count: int) -> list[AgentProcess]:
    """`count` agents registered through the balancer and running, every one Online."""
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": "chaos"}])
    agents = [
        AgentProcess.register(url, activation_id, code, directory / f"agent{i}").start()
        for i in range(count)
    ]

    def online() -> bool:
        nodes = ssm.describe_instance_information()["InstanceInformationList"]
        return [str(n["PingStatus"]) for n in nodes].count("Online") == count

    wait_for(online, what="every agent to come online")
    return agents


def _windows(ssm: Any, plan: Plan, marks: Path) -> dict[str, datetime]:
    """The windows, each with its one scheduled time: `windows_per_instant` at each instant,
    `every` seconds apart, the first far enough ahead to create them all."""
    count = plan.instants * plan.windows_per_instant
    start = datetime.now(UTC) + timedelta(seconds=5 + 0.1 * count)
    step = timedelta(seconds=plan.every)
    windows: dict[str, datetime] = {}
    command = f"echo {{{{WINDOW_EXECUTION_ID}}}} >> {marks}/{{{{TARGET_ID}}}}"
    for i in range(plan.instants):
        at = (start + i * step).replace(microsecond=0)  # as `at(...)` says it
        for j in range(plan.windows_per_instant):
            window_id = shell_window(
                ssm,
                f"at({at:%Y-%m-%dT%H:%M:%S})",
                ("Fleet", "chaos"),
                [command],
                name=f"chaos-{i}-{j}",
                max_concurrency="100%",
            )
            windows[window_id] = at
    return windows


def _executions(ssm: Any, window_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ssm.describe_maintenance_window_executions(WindowId=window_id)[
        "WindowExecutions"
    ]
    return found


def _all_ended(ssm: Any, windows: dict[str, datetime]) -> bool:
    for window_id in windows:
        executions = _executions(ssm, window_id)
        if not executions or any(e["Status"] not in FINAL for e in executions):
            return False
    return True


def _count(ssm: Any, windows: dict[str, datetime], marks: Path, nodes: list[str]) -> Figures:
    figures = Figures(occurrences=len(windows))
    lines = {node: _lines(marks / node) for node in nodes}
    for node, seen in lines.items():
        for execution_id, times in seen.items():
            if times > 1:
                figures.doubles += times - 1
                figures.problems.append(f"{node} ran {execution_id} {times} times")
    for window_id, scheduled in windows.items():
        executions = _executions(ssm, window_id)
        if not executions:
            figures.lost += 1
            figures.problems.append(f"{window_id} has no execution")
        figures.doubles += max(0, len(executions) - 1)
        for execution in executions:
            _check_execution(ssm, execution, scheduled, lines, figures)
    return figures


def _lines(path: Path) -> Counter[str]:
    return Counter(path.read_text().split()) if path.exists() else Counter()


def _check_execution(
    ssm: Any,
    execution: dict[str, Any],
    scheduled: datetime,
    lines: dict[str, Counter[str]],
    figures: Figures,
) -> None:
    execution_id = execution["WindowExecutionId"]
    figures.statuses[execution["Status"]] += 1
    if execution["Status"] not in FINAL:
        figures.lost += 1
        figures.problems.append(f"{execution_id} is still {execution['Status']}")
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=execution_id)[
        "WindowExecutionTaskIdentities"
    ]
    if execution["Status"] == "TIMED_OUT" and not tasks:
        figures.missed += 1
        return
    figures.runs += 1
    starts: list[datetime] = []
    for task in tasks:
        if task["Status"] not in FINAL:
            figures.lost += 1
            figures.problems.append(f"task {task['TaskExecutionId']} is still {task['Status']}")
        invocations = ssm.describe_maintenance_window_execution_task_invocations(
            WindowExecutionId=execution_id, TaskId=task["TaskExecutionId"]
        )["WindowExecutionTaskInvocationIdentities"]
        for invocation in invocations:
            status = invocation["Status"]
            node = _node(invocation)
            if "StartTime" in invocation:
                starts.append(invocation["StartTime"])
            if status not in FINAL:
                figures.lost += 1
                figures.problems.append(f"{execution_id} on {node} is still {status}")
            elif status == "SUCCESS" and lines.get(node, Counter())[execution_id] == 0:
                figures.lost += 1
                figures.problems.append(f"{execution_id} succeeded on {node} with no mark")
    if starts:
        delay = (min(starts) - scheduled) / timedelta(seconds=1)
        figures.start_delays.append(delay)
        if delay < 0:
            figures.problems.append(f"{execution_id} started {-delay:.2f} s early")


def _node(invocation: dict[str, Any]) -> str:
    """The node a task invocation ran on, from the Run Command request it made."""
    request = json.loads(invocation.get("Parameters") or "{}")
    return str((request.get("instanceIds") or ["?"])[0])
