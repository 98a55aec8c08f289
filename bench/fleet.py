"""Fleet: N simulated agents long-polling one real `transom server`, idle and then running one
command together.

The agents live in one separate process (bench/run_command.py's lean asyncio client, the real
agent protocol: registered through an activation, then long polls of 20 s like the real agent;
work is answered with Success at once, carried by the next poll). The agents connect at most
`CHECKING_IN` at a time (each with a first poll that does not wait), so their long polls are
spread as a real fleet's are. From /proc, for the server process: its RSS before the agents
register and while all of them poll, per agent; its CPU time over an idle interval with no
agent and while all of them poll, per minute; then one SendCommand to all (targets by tag,
MaxConcurrency 100%, `true`): the time until every invocation is Success and the server's CPU
time per invocation. Goals: under 10 s and under 1 ms per invocation at 10,000 agents. The
machine's load average (1 minute) at the end of the idle interval is shown beside them.

Every agent holds a connection: the bench raises its RLIMIT_NOFILE to the hard limit before
starting the server and the agents' process, which inherit it.

Run: python -m bench.fleet [--nodes 1000 10000] [--idle-seconds 60]
     [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.nodes import activation
from tests.support.servers import ServerProcess, boto3_client, database, install_test_key
from tests.support.waiting import wait_for

from bench.run_command import (
    POLL_SECONDS,
    agent,
    cpu_seconds,
    register_fleet,
    send_to_all,
    warm_up,
)

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event

ACTIVATION_LIMIT = 1000
"""Nodes an activation may register (AWS's RegistrationLimit at most)."""
CHECKING_IN = 100
"""Agents whose first poll (connection) is not answered yet: so many connect as fast as the
server takes them (all at once overflow its accept queue, and the kernel drops some)."""


def rss_bytes(pid: int) -> int:
    """The resident set size of a process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def raise_file_limit(needed: int) -> int:
    """Raise this process's open-file limit (inherited by its children) to the hard limit;
    the new limit. Fails, saying so, when the hard limit is below `needed`."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(
            f"{needed} open files are needed but the hard limit is {hard}: "
            "raise it (limits.conf, or `ulimit -Hn` as root) and run again"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def _fleet(
    endpoint: str,
    activations: list[tuple[tuple[str, str], int]],
    registered: Event,
    go: Event,
    ready: Synchronized[int],
) -> None:
    groups = await asyncio.gather(
        *(register_fleet(endpoint, codes, count) for codes, count in activations)
    )
    host, port = groups[0][:2]
    nodes = [node for _, _, some in groups for node in some]
    registered.set()
    while not go.is_set():
        await asyncio.sleep(0.1)

    checking_in = asyncio.Semaphore(CHECKING_IN)

    def checked_in() -> None:
        checking_in.release()
        with ready.get_lock():
            ready.value += 1

    tasks = []
    for node in nodes:
        await checking_in.acquire()
        tasks.append(asyncio.create_task(agent(host, port, node, connected=checked_in)))
    await asyncio.gather(*tasks)


def run_fleet(*args: Any) -> None:
    asyncio.run(_fleet(*args))


def cpu_per_minute(pid: int, seconds: float) -> float:
    """The CPU time a process uses over the next `seconds`, per minute."""
    cpu = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / seconds * 60


def activations(ssm: Any, marker: str, size: int) -> list[tuple[tuple[str, str], int]]:
    """Activations for `size` nodes tagged Bench=`marker`: each with how many it registers."""
    counts = [min(ACTIVATION_LIMIT, size - n) for n in range(0, size, ACTIVATION_LIMIT)]
    tags = [{"Key": "Bench", "Value": marker}]
    return [(activation(ssm, IamRole="bench", RegistrationLimit=n, Tags=tags), n) for n in counts]


def measure(
    size: int, idle_seconds: float, kind: str, server_log: Path | None = None
) -> dict[str, float]:
    """One fleet of `size` agents; the server's log is written to `server_log` (if given)
    when it has stopped, so that a run that went wrong can be read afterwards."""
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        install_test_key(db)
        server = ServerProcess(db, ["--max-connections", str(size + 1000)]).start()
        assert server.process is not None
        pid = server.process.pid
        agents = None
        try:
            ssm = boto3_client(server.endpoint)
            warm_up(ssm)
            marker = uuid.uuid4().hex
            codes = activations(ssm, marker, size)
            progress(f"server {pid}: no agents, idle for {idle_seconds:g} s")
            baseline_cpu = cpu_per_minute(pid, idle_seconds)
            rss_before = rss_bytes(pid)
            registered, go = multiprocessing.Event(), multiprocessing.Event()
            ready = multiprocessing.Value("q", 0)
            agents = multiprocessing.Process(
                target=run_fleet, args=(server.endpoint, codes, registered, go, ready)
            )
            agents.start()
            progress(f"server {pid}: registering {size} agents")
            started = time.perf_counter()
            registered.wait(timeout=3600)
            registering = time.perf_counter() - started
            rss_registered = rss_bytes(pid)
            progress(f"server {pid}: connecting {size} agents")
            go.set()
            started = time.perf_counter()
            wait_for(lambda: ready.value == size, seconds=1800, what="every agent's first poll")
            connecting = time.perf_counter() - started
            time.sleep(POLL_SECONDS + 5)  # every agent's long polls have come round once
            rss_polling = rss_bytes(pid)
            progress(f"server {pid}: {size} agents idle for {idle_seconds:g} s")
            idle_cpu = cpu_per_minute(pid, idle_seconds)
            load = os.getloadavg()[0]
            progress(f"server {pid}: SendCommand to {size} agents")
            return send_to_all(ssm, marker, size, pid) | {
                "registering_s": registering,
                "connecting_s": connecting,
                "rss_before_mib": rss_before / 2**20,
                "rss_registered_kib": (rss_registered - rss_before) / size / 1024,
                "rss_kib_per_agent": (rss_polling - rss_before) / size / 1024,
                "baseline_cpu_s_per_min": baseline_cpu,
                "idle_cpu_s_per_min": idle_cpu,
                "load": load,
            }
        finally:
            if agents is not None:
                agents.terminate()
                agents.join()
            server.stop()
            if server_log is not None:
                server_log.write_text("".join(server.log))
                progress(f"server {pid}: its log ({len(server.log)} lines) is in {server_log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--server-log",
        type=Path,
        help="Keep each server's log in this directory (fleet-N.log for N agents).",
    )
    args = parser.parse_args()
    if args.server_log is not None:
        args.server_log.mkdir(parents=True, exist_ok=True)
    limit = raise_file_limit(max(args.nodes) + 1000)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server ({args.database}) and agents share the machine; "
        f"open files: {limit}"
    )
    print(
        "| agents | registering (s) | connecting (s) | server RSS before (MiB) "
        "| RSS per idle agent (KiB) | of which registered, not polling "
        "| idle server CPU (s/min) | with no agent (s/min) "
        "| SendCommand to all Success (s) | server CPU ms/invocation | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.nodes:
        log_file = None if args.server_log is None else args.server_log / f"fleet-{size}.log"
        r = measure(size, args.idle_seconds, args.database, log_file)
        print(
            f"| {size} | {r['registering_s']:.1f} | {r['connecting_s']:.1f} "
            f"| {r['rss_before_mib']:.1f} "
            f"| {r['rss_kib_per_agent']:.1f} | {r['rss_registered_kib']:.1f} "
            f"| {r['idle_cpu_s_per_min']:.2f} | {r['baseline_cpu_s_per_min']:.2f} "
            f"| {r['wall_s']:.2f} "
            f"| {r['cpu_ms_per_invocation']:.2f} | {r['load']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
