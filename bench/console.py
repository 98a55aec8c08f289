"""Console pages: the server time of each page with 1,000 windows, 1,000 nodes and 10,000
window executions stored.

The records are written straight into a SQLite file through the store (one transaction per
kind, batched), then `transom server` is started on it and each page is asked for `--requests`
times over real HTTP (loopback, one kept-alive connection, a signed-in session), after a few
warm-up requests, once the server is idle (its engine's first look at every window done:
before, the first page measured paid for it). The time of a request is from sending it to
having read the whole answer, so it is the server's time plus loopback HTTP (well under a
millisecond); the server's CPU time per request is shown beside it, which a loaded machine
inflates less. Goals: every page under 50 ms, the month calendar under 200 ms.

The windows are cron schedules in five zones (a third daily, the rest weekly), none due in
the next hours so that the engine stays quiet while measuring; each has one tag target and
one RUN_COMMAND task. Each window has ten past executions (one in twenty FAILED), each with
one task execution and one invocation; 100 of the nodes have not pinged for an hour.

Run: .venv/bin/python bench/console.py [--requests 50] [--profile PAGE]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.store import records
from tests.support.console import sign_in
from tests.support.servers import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    install_test_key,
)

from bench.run_command import cpu_seconds
from transom.domain.clock import SystemClock
from transom.domain.executions import (
    ExecutionStatus,
    PlannedTask,
    TaskExecution,
    TaskInvocation,
    WindowExecution,
)
from transom.domain.nodes import Node, NodeFacts
from transom.domain.windows import Tag, Window, WindowSpec, WindowTarget, WindowTask
from transom.services.calendar_feeds import CalendarFeeds
from transom.services.nodes import NODE_RESOURCE
from transom.store.sql import SqlStore

WINDOWS = 1000
NODES = 1000
RUNS_PER_WINDOW = 10
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
GOALS_MS = {"Calendar month": 200.0}
GOAL_MS = 50.0


def _uuid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def _hour_ahead(zone: str, now: datetime, i: int) -> int:
    """A local hour 3 to 22 hours after now's, so that no run falls while measuring."""
    return (now.astimezone(ZoneInfo(zone)).hour + 3 + i % 20) % 24


def seed(store: SqlStore, now: datetime) -> tuple[str, str]:
    """Write the windows, nodes and history; (a window id, an execution id) to ask for."""
    windows: list[Window] = []
    targets: list[WindowTarget] = []
    tasks: list[WindowTask] = []
    for i in range(WINDOWS):
        zone = ZONES[i % len(ZONES)]
        hour = _hour_ahead(zone, now, i)
        days = "*" if i % 3 == 0 else ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[i % 7]
        spec = WindowSpec(
            name=f"patch-{i:04d}",
            schedule=f"cron({i % 60} {hour} ? * {days} *)",
            duration=2 + i % 3,
            cutoff=1,
            allow_unassociated_targets=False,
            description=f"Patch group {i % 50}",
            schedule_timezone=zone,
        )
        created = now - timedelta(days=60, seconds=WINDOWS - i)
        modified = now - timedelta(minutes=1)  # the scheduler's cursor starts after this
        window = Window(f"mw-{i + 1:017x}", spec, created, modified, created)
        windows.append(window)
        target = records.target(window.window_id, i, tag=("group", str(i % 50)), owner=None)
        targets.append(target)
        tasks.append(
            records.task(window.window_id, i, "apt-get -y upgrade", priority=1, max_errors="1")
        )
    nodes = [
        Node(
            instance_id=f"mi-{n + 1:017x}",
            activation_id=_uuid(3, 0),
            secret_hash="s" * 64,
            facts=NodeFacts(
                f"host-{n:04d}", f"10.0.{n // 250}.{n % 250}", "Linux", "Debian", "12", "1.0.0"
            ),
            registration_date=now - timedelta(days=90),
            last_ping_date=now - (timedelta(hours=1) if n % 10 == 0 else timedelta(seconds=5)),
            iam_role="role",
            name=f"host-{n:04d}",
            reported_ping_status="ConnectionLost" if n % 10 == 0 else "Online",
        )
        for n in range(NODES)
    ]
    executions: list[WindowExecution] = []
    task_executions: list[TaskExecution] = []
    invocations: list[TaskInvocation] = []
    for i, window in enumerate(windows):
        for r in range(RUNS_PER_WINDOW):
            n = i * RUNS_PER_WINDOW + r
            start = now - timedelta(days=RUNS_PER_WINDOW - r, minutes=i)
            hours = window.spec.duration
            status = ExecutionStatus.FAILED if n % 20 == 0 else ExecutionStatus.SUCCESS
            execution = WindowExecution(
                window_execution_id=_uuid(4, n),
                window_id=window.window_id,
                status=status,
                status_details="Done" if status == ExecutionStatus.SUCCESS else "One task failed",
                start_time=start,
                end_time=start + timedelta(minutes=3),
                scheduled_time=start,
                window_end=start + timedelta(hours=hours),
                cutoff_at=start + timedelta(hours=hours - 1),
                plan=(PlannedTask(tasks[i].window_task_id, 1),),
            )
            executions.append(execution)
            task = TaskExecution(
                task_execution_id=_uuid(5, n),
                window_execution_id=execution.window_execution_id,
                window_task_id=tasks[i].window_task_id,
                task_arn="AWS-RunShellScript",
                task_type="RUN_COMMAND",
                priority=1,
                service_role_arn=None,
                max_concurrency="10%",
                max_errors="1",
                cutoff_behavior="CONTINUE_TASK",
                invocation_parameters=tasks[i].spec.task_invocation_parameters or {},
                task_parameters=[],
                status=status,
                status_details=execution.status_details,
                start_time=start,
                end_time=start + timedelta(minutes=3),
            )
            task_executions.append(task)
            invocations.append(
                TaskInvocation(
                    invocation_id=_uuid(6, n),
                    task_execution_id=task.task_execution_id,
                    window_execution_id=execution.window_execution_id,
                    seq=0,
                    batch=0,
                    window_target_id=targets[i].window_target_id,
                    owner_information=None,
                    resource_id=nodes[n % NODES].instance_id,
                    status=status,
                    status_details=execution.status_details,
                    start_time=start,
                    end_time=start + timedelta(minutes=3),
                )
            )
    with store.write() as tx:
        for window in windows:
            tx.insert_window(window)
        for target in targets:
            tx.insert_target(target)
        for window_task in tasks:
            tx.insert_task(window_task)
        for node in nodes:
            tx.insert_node(node)
            tx.put_tags(
                NODE_RESOURCE,
                node.instance_id,
                [Tag("group", str(int(node.instance_id[3:], 16) % 50))],
            )
        tx.insert_window_executions(executions)
        tx.insert_task_executions(task_executions)
        tx.insert_task_invocations(invocations)
    return windows[WINDOWS // 2].window_id, executions[len(executions) // 2].window_execution_id


def settled(pid: int, quiet_ms: float = 50.0, longest: float = 60.0) -> float:
    """Wait until the server spends under `quiet_ms` of CPU in a second (its engine's first
    look at every window is done), at most `longest` seconds; its CPU ms in the last second."""
    deadline = time.monotonic() + longest
    while True:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        spent = (cpu_seconds(pid) - before) * 1000
        if spent < quiet_ms or time.monotonic() > deadline:
            return spent


def timed(
    client: httpx.Client, path: str, requests: int, pid: int
) -> tuple[float, list[float], float]:
    """Milliseconds of the first request, then of each request after three unmeasured ones;
    and the server's CPU milliseconds per request (engine loops included, idle here)."""
    times: list[float] = []
    started = time.perf_counter()
    assert client.get(path).status_code == 200
    first = (time.perf_counter() - started) * 1000
    for _ in range(2):
        assert client.get(path).status_code == 200
    cpu = cpu_seconds(pid)
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        times.append(elapsed)
    return first, times, (cpu_seconds(pid) - cpu) * 1000 / requests


def pages(window_id: str, execution_id: str, feed_token: str, now: datetime) -> dict[str, str]:
    day = now.date().isoformat()
    return {
        "Overview": "/console/",
        "Windows list": "/console/windows",
        "Window": f"/console/windows/{window_id}",
        "Execution": f"/console/executions/{execution_id}",
        "Nodes": "/console/nodes",
        "Calendar week": f"/console/calendar?view=week&date={day}&tz=Europe%2FBerlin",
        "Calendar month": f"/console/calendar?view=month&date={day}&tz=Europe%2FBerlin",
        "iCalendar feed (60 days)": f"/console/feeds/{feed_token}/calendar.ics",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="instead, profile PAGE's loader in this process (e.g. 'Windows list')",
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database("sqlite", Path(tmp))
        install_test_key(db)
        store = db.open_store()
        started = time.perf_counter()
        window_id, execution_id = seed(store, now)
        feed_token = CalendarFeeds(store, SystemClock()).issue(ACCESS_KEY_ID)
        store.close()
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
        paths = pages(window_id, execution_id, feed_token, now)
        if args.profile:
            profile(db, paths[args.profile])
            return
        server = ServerProcess(db).start()
        try:
            assert server.process is not None
            idle = settled(server.process.pid)
            client = httpx.Client(base_url=server.endpoint, timeout=30)
            sign_in(client)
            print(
                f"{platform.node()} ({os.cpu_count()} CPUs), load {os.getloadavg()[0]:.1f}, "
                f"server idle at {idle:.0f} ms CPU/s"
            )
            header = f"{'page':26} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7}"
            print(f"{header} {'goal ms':>8}")
            for name, path in paths.items():
                first, times, cpu = timed(client, path, args.requests, server.process.pid)
                p95 = statistics.quantiles(times, n=20)[-1]
                goal = GOALS_MS.get(name, GOAL_MS)
                verdict = "" if p95 < goal else "  OVER"
                median = statistics.median(times)
                figures = f"{first:9.1f} {median:10.1f} {p95:8.1f} {cpu:7.1f}"
                print(f"{name:26} {figures} {goal:8.0f}{verdict}", flush=True)
            print(f"load {os.getloadavg()[0]:.1f}")
        finally:
            server.stop()


def profile(db: Database, path: str) -> None:
    """cProfile of 20 requests of `path` to the console's routes in this thread (no engine,
    no HTTP server: the ASGI app called through httpx's transport)."""
    import asyncio

    from starlette.applications import Starlette

    from transom.api.console.routes import console_routes
    from transom.api.edge import StoreCalls
    from transom.bootstrap import Settings, build_services, open_store

    settings = Settings(data_dir=db.data_dir)
    clock = SystemClock()
    services = build_services(open_store(settings), clock, settings)
    app = Starlette(routes=console_routes(services, clock, StoreCalls(inline=True), 3600))

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            form = (await client.get("/console/sign-in")).text
            token = re.search(r'name="token" value="([^"]+)"', form)
            assert token is not None
            await client.post(
                "/console/sign-in",
                data={
                    "token": token.group(1),
                    "next": "/console/",
                    "access_key_id": ACCESS_KEY_ID,
                    "secret_access_key": SECRET_ACCESS_KEY,
                },
            )
            assert (await client.get(path)).status_code == 200
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                assert (await client.get(path)).status_code == 200
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)

    asyncio.run(run())


if __name__ == "__main__":
    main()
