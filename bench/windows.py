"""Window engine: N maintenance windows due at the same instant on M simulated agents.

Agent j is tagged `group=j % G` (G = agents / nodes-per-window) and window i targets
`group=i % G` with one RUN_COMMAND task (`AWS-RunShellScript`, `echo ok`, MaxConcurrency 100%).
All windows are scheduled `at(...)` the same second, far enough ahead to create them. The
agents speak the real agent protocol over HTTP from a separate process (bench/run_command.py's
client) and report Success at once, so this measures the control plane.

From the history API: per window, the delay from the scheduled time to its first invocation's
StartTime (when its command was sent), p50/p99/max; the time from the scheduled instant until
the last window execution ended; and the server's CPU time (from /proc) from one second before
the instant until then, per window. Target: p99 start delay under 1 s.

With `--notify failed`, a topic with one confirmed `http` subscription to a local webhook
(bench/webhook.py) and one rule targeting it are made first: the README's rule, matching
FAILED window executions (none here, so every event is matched and none delivered). With
`--notify all` the rule matches every window execution event, and the CPU is counted until
the last of them has arrived too. bench/events.py compares them.

Run: python -m bench.windows [--windows 1000] [--agents 200] [--database sqlite|postgresql]
     [--notify failed|all]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import platform
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.nodes import activation
from tests.support.servers import (
    Database,
    ServerProcess,
    boto3_client,
    database,
    free_port,
    install_test_key,
)
from tests.support.shell_window import shell_window

from bench.run_command import agent, cpu_seconds, register_fleet
from bench.webhook import Webhook, outbox_times, put_rules, subscribe
from transom.events.systems_manager import WINDOW_EXECUTION

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized

THREADS = 4
"""Client threads creating windows and reading the history."""


# simulated agents (in a separate process)


async def _fleet(
    endpoint: str, activation: tuple[str, str], size: int, ids: Any, done: Synchronized[int]
) -> None:
    host, port, nodes = await register_fleet(endpoint, activation, size)
    ids.put([n.instance_id for n in nodes])

    def sending(count: int) -> None:
        with done.get_lock():
            done.value += count

    await asyncio.gather(*(agent(host, port, n, stdout="ok\n", sending=sending) for n in nodes))


def run_fleet(
    endpoint: str, activation: tuple[str, str], size: int, ids: Any, done: Synchronized[int]
) -> None:
    """Register `size` agents, send their instance ids to `ids`, then serve them forever,
    counting the results they send in `done`."""
    asyncio.run(_fleet(endpoint, activation, size, ids, done))


# the run


@dataclass(frozen=True)
class Outcome:
    """One window's execution as the history API tells it."""

    status: str
    recorded: datetime
    """The execution's StartTime: when the engine recorded the occurrence."""
    ended: datetime
    first_invocation: datetime
    invocations: list[str]
    """The invocations' statuses."""


class CpuSampler(threading.Thread):
    """The server process's CPU seconds, sampled every 20 ms with the wall-clock time."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append((time.time(), cpu_seconds(self.pid)))
            self.stopped.wait(0.02)

    def used_until(self, end: float) -> float:
        """CPU seconds from the first sample to the first sample after `end`."""
        return next(cpu for wall, cpu in self.samples if wall >= end) - self.samples[0][1]


def pooled(work: Callable[[Any, int], Any], count: int, endpoint: str, label: str) -> list[Any]:
    """`work(client, i)` for i in range(count) on THREADS threads, one boto3 client each,
    printing progress every tenth; the results in order."""
    local = threading.local()
    started = time.perf_counter()
    finished = 0
    lock = threading.Lock()

    def one(i: int) -> Any:
        nonlocal finished
        if not hasattr(local, "ssm"):
            local.ssm = boto3_client(endpoint)
        result = work(local.ssm, i)
        with lock:
            finished += 1
            if finished % max(count // 10, 1) == 0:
                elapsed = time.perf_counter() - started
                print(f"  {label} {finished}/{count} ({elapsed:.1f} s)", flush=True)
        return result

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(count)))


def ended_execution(ssm: Any, window_id: str) -> dict[str, Any] | None:
    executions = ssm.describe_maintenance_window_executions(WindowId=window_id)
    ended = [e for e in executions["WindowExecutions"] if "EndTime" in e]
    return ended[0] if ended else None


def outcome(ssm: Any, window_id: str) -> Outcome:
    execution = ended_execution(ssm, window_id)
    assert execution is not None, window_id
    execution_id = execution["WindowExecutionId"]
    tasks = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=execution_id)
    invocations = [
        invocation
        for task in tasks["WindowExecutionTaskIdentities"]
        for invocation in ssm.describe_maintenance_window_execution_task_invocations(
            WindowExecutionId=execution_id, TaskId=task["TaskExecutionId"]
        )["WindowExecutionTaskInvocationIdentities"]
    ]
    return Outcome(
        status=execution["Status"],
        recorded=execution["StartTime"],
        ended=execution["EndTime"],
        first_invocation=min(i["StartTime"] for i in invocations),
        invocations=[i["Status"] for i in invocations],
    )


def notified(webhook: Webhook, db: Database, deadline: float) -> float:
    """Wait until every window execution event of the outbox has reached the webhook; when
    the last one did."""
    expected = len(outbox_times(db, {WINDOW_EXECUTION}))
    while webhook.count < expected and time.time() < deadline:
        time.sleep(0.02)
    print(f"  webhook received {webhook.count}/{expected} window execution events", flush=True)
    return max(at for at, _ in webhook.arrivals())


def _subscribe_rule(endpoint: str, webhook: Webhook, failed_only: bool) -> None:
    """Subscribe the webhook to a topic that a rule for window execution events targets."""
    pattern: dict[str, Any] = {"source": ["aws.ssm"], "detail-type": [WINDOW_EXECUTION]}
    if failed_only:
        pattern["detail"] = {"status": ["FAILED"]}
    put_rules(endpoint, subscribe(endpoint, webhook), [pattern])


def measure(
    windows: int, agents: int, per_window: int, kind: str, lead: float, notify: str | None = None
) -> dict[str, float]:
    """`notify`: None, "failed" or "all" (see the module docstring)."""
    groups = max(agents // per_window, 1)
    webhook = Webhook().start() if notify else None
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        install_test_key(db)
        server = ServerProcess(db, args=["--port", str(free_port())]).start()
        assert server.process is not None
        fleet: multiprocessing.Process | None = None
        try:
            if webhook is not None:
                _subscribe_rule(server.endpoint, webhook, notify == "failed")
            ssm = boto3_client(server.endpoint)
            activation_id, code = activation(ssm, IamRole="bench", RegistrationLimit=agents)
            ids: Any = multiprocessing.Queue()
            done: Synchronized[int] = multiprocessing.Value("i", 0)
            fleet = multiprocessing.Process(
                target=run_fleet,
                args=(
                    server.endpoint,
                    (activation_id, code),
                    agents,
                    ids,
                    done,
                ),
            )
            fleet.start()
            for j, instance_id in enumerate(ids.get(timeout=600)):
                ssm.add_tags_to_resource(
                    ResourceType="ManagedInstance",
                    ResourceId=instance_id,
                    Tags=[{"Key": "group", "Value": str(j % groups)}],
                )
            print(f"  {agents} agents registered and tagged ({groups} groups)", flush=True)

            scheduled = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
            schedule = f"at({scheduled:%Y-%m-%dT%H:%M:%S})"
            window_ids: list[str] = pooled(
                lambda client, i: shell_window(
                    client,
                    schedule,
                    ("group", str(i % groups)),
                    ["echo ok"],
                    name=f"bench-{i}",
                    max_concurrency="100%",
                ),
                windows,
                server.endpoint,
                f"windows due {schedule}: created",
            )
            instant = scheduled.timestamp()
            if time.time() > instant - 2:
                raise SystemExit(f"creating the windows took too long; try --lead {lead * 2:.0f}")

            time.sleep(instant - 1 - time.time())
            sampler = CpuSampler(server.process.pid)
            sampler.start()
            expected = windows * min(per_window, agents)
            while done.value < expected and time.time() < instant + 600:
                time.sleep(0.05)
            print(f"  agents reported {done.value}/{expected} results", flush=True)
            # one window at a time, so that waiting costs the server little
            for window_id in window_ids:
                while ended_execution(ssm, window_id) is None:
                    if time.time() > instant + 600:
                        raise SystemExit(f"{window_id} had no ended execution in 600 s")
                    time.sleep(0.1)
            last_arrival = 0.0
            if webhook is not None and notify == "all":
                last_arrival = notified(webhook, db, instant + 600)
            sampler.stopped.set()

            outcomes: list[Outcome] = pooled(
                lambda client, i: outcome(client, window_ids[i]),
                windows,
                server.endpoint,
                "history read:",
            )
        finally:
            if fleet is not None:
                fleet.terminate()
                fleet.join()
            server.stop()
            if webhook is not None:
                webhook.stop()

    return summary(
        outcomes, scheduled, sampler.used_until(max(last_end_of(outcomes), last_arrival)) / windows
    )


def last_end_of(outcomes: list[Outcome]) -> float:
    return max(o.ended for o in outcomes).timestamp()


def summary(
    outcomes: list[Outcome], scheduled: datetime, cpu_per_window: float
) -> dict[str, float]:
    def since(instant: datetime) -> float:
        return (instant - scheduled).total_seconds()

    delays = sorted(since(o.first_invocation) for o in outcomes)
    last_end = max(o.ended for o in outcomes)
    statuses = Counter(o.status for o in outcomes)
    invocations = Counter(s for o in outcomes for s in o.invocations)
    recorded = [since(o.recorded) for o in outcomes]
    print(
        f"  window executions: {dict(statuses)}; invocations: {dict(invocations)}\n"
        f"  executions recorded (StartTime) {min(recorded):.2f}..{max(recorded):.2f} s, "
        f"first invocations {delays[0]:.2f}..{delays[-1]:.2f} s after the scheduled time",
        flush=True,
    )
    return {
        "p50": statistics.median(delays),
        "p99": delays[math.ceil(len(delays) * 0.99) - 1],
        "max": delays[-1],
        "total": since(last_end),
        "cpu_ms_per_window": cpu_per_window * 1000,
    }


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({model}), Python "
        f"{platform.python_version()}; server, agents and client share the machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument(
        "--nodes-per-window", type=int, default=1, help="agents each window targets"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--lead",
        type=float,
        help="seconds from the start of creation to the scheduled instant "
        "(default: 20, plus 30 ms per window)",
    )
    parser.add_argument(
        "--notify",
        choices=["failed", "all"],
        help="one webhook subscriber and one rule for FAILED window executions, or for all",
    )
    args = parser.parse_args()
    lead = args.lead or 20 + 0.03 * args.windows
    print(f"machine: {machine()}", flush=True)
    result = measure(
        args.windows, args.agents, args.nodes_per_window, args.database, lead, args.notify
    )
    print(
        "| windows | agents | nodes per window | database | start delay p50 | p99 | max "
        "| scheduled to last execution end | server CPU per window |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        f"| {args.windows} | {args.agents} | {args.nodes_per_window} | {args.database} "
        f"| {result['p50']:.2f} s | {result['p99']:.2f} s | {result['max']:.2f} s "
        f"| {result['total']:.2f} s | {result['cpu_ms_per_window']:.1f} ms |"
    )
    verdict = "met" if result["p99"] < 1 else "missed"
    print(f"target p99 start delay under 1 s: {verdict}")


if __name__ == "__main__":
    main()
