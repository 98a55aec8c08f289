"""The real agent at rest: one `transom agent run` long-polling a real `transom server` with
no work to do.

After a warm-up (the agent connected, then at least one long poll answered), from /proc: the
agent process's RSS (VmRSS) and its CPU time over an interval, per minute; the whole interval
the agent only long-polls. Goals: under 40 MB and under 50 ms of CPU a minute.

Run: python -m bench.agent_idle [--seconds 60] [--warm-up 25]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import ServerProcess, boto3_client, database, install_test_key
from tests.support.waiting import wait_for

from bench.fleet import rss_bytes
from bench.run_command import POLL_SECONDS


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of a process so far, in nanoseconds (from schedstat: /proc's
    stat counts clock ticks of 10 ms, too coarse for an idle process)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with suppress(FileNotFoundError):  # a thread that has just ended
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return total


def measure(seconds: float, warm_up: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, database("sqlite", Path(tmp)) as db:
        install_test_key(db)
        server = ServerProcess(db).start()
        agent = None
        try:
            codes = activation(boto3_client(server.endpoint), IamRole="bench")
            agent = AgentProcess.register(server.endpoint, *codes, Path(tmp) / "agent").start()
            assert agent.process is not None
            pid = agent.process.pid
            wait_for(lambda: any("connected" in line for line in agent.log), what="the agent")
            time.sleep(warm_up)
            cpu, started = cpu_ns(pid), time.perf_counter()
            time.sleep(seconds)
            used = (cpu_ns(pid) - cpu) / 1e9
            elapsed = time.perf_counter() - started
            return {
                "rss_mib": rss_bytes(pid) / 2**20,
                "cpu_ms_per_min": used / elapsed * 60 * 1000,
                "threads": float(len(os.listdir(f"/proc/{pid}/task"))),
            }
        finally:
            if agent is not None:
                agent.stop()
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warm-up", type=float, default=POLL_SECONDS + 5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.seconds:g} s after {args.warm_up:g} s of warm-up"
    )
    result = measure(args.seconds, args.warm_up)
    print("| agent RSS (MiB) | agent CPU (ms/min) | threads |")
    print("|---|---|---|")
    print(f"| {result['rss_mib']:.1f} | {result['cpu_ms_per_min']:.1f} | {result['threads']:.0f} |")


if __name__ == "__main__":
    main()
