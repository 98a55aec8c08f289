"""Run Command across replicas: two `transom server` replicas, A and B, on one PostgreSQL
schema, three real agents long-polling A, and `true` sent to all three, one command after
another, alternately through B (another replica than the agents') and through A (theirs).

Reports, for each way, p50, p99 and the worst of the time from SendCommand to the command's
Success (read through the same replica every 5 ms), and the ratio of B's p50 to A's. Work
sent through B reaches A's waiting polls when B's announcement is heard (PostgreSQL
LISTEN/NOTIFY), or else at A's next re-check (`--recheck-seconds`, 5 s by default).

Run: python -m bench.replicas [--commands 30] [--recheck-seconds 5]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.agents import AgentProcess
from tests.support.balancer import Replicas
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import boto3_client, database, install_test_key
from tests.support.waiting import wait_for

from bench.windows import machine

AGENTS = 3


def send(ssm: Any, nodes: list[str]) -> float:
    """Seconds from SendCommand of `true` to the nodes until the command's Success."""
    started = time.perf_counter()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript", InstanceIds=nodes, Parameters={"commands": ["true"]}
    )["Command"]["CommandId"]
    done = wait_for(lambda: command_done(ssm, command_id), seconds=60, every=0.005)
    assert done["Status"] == "Success", done
    return time.perf_counter() - started


def quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def measure(commands: int, recheck: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as db:
        install_test_key(db)
        replicas = Replicas(db, ["--recheck-seconds", str(recheck)]).start(2)
        a, b = replicas.servers
        agents: list[AgentProcess] = []
        try:
            ssm = {"A": boto3_client(a.endpoint), "B": boto3_client(b.endpoint)}
            codes = activation(ssm["A"], IamRole="bench")
            for i in range(AGENTS):
                agent = AgentProcess.register(a.endpoint, *codes, Path(tmp) / f"agent{i}")
                agents.append(agent.start())
            nodes = [agent.instance_id for agent in agents]
            send(ssm["A"], nodes)  # every agent polls A
            times: dict[str, list[float]] = {"B": [], "A": []}
            for _ in range(commands):
                for way, client in ssm.items():
                    times[way].append(send(client, nodes))
            return times
        finally:
            for agent in agents:
                agent.kill()
            replicas.kill_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=30, help="commands each way")
    parser.add_argument("--recheck-seconds", type=float, default=5.0)
    args = parser.parse_args()
    times = measure(args.commands, args.recheck_seconds)
    print(machine())
    print("| through | commands | p50 | p99 | worst |")
    print("|---|---|---|---|---|")
    for way, label in (("B", "B (agents poll A)"), ("A", "A (the agents' own)")):
        t = times[way]
        print(
            f"| {label} | {len(t)} | {quantile(t, 0.5):.3f} s | {quantile(t, 0.99):.3f} s "
            f"| {max(t):.3f} s |"
        )
    ratio = quantile(times["B"], 0.5) / quantile(times["A"], 0.5)
    print(f"p50 through B / p50 through A: {ratio:.2f}")


if __name__ == "__main__":
    main()
