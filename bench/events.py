"""Events: state changes relayed through EventBridge rules to an SNS topic and delivered to a
webhook, and what that costs the window engine.

`delivery`: one `transom server` process with a topic, one confirmed `http` subscription to a
local webhook (bench/webhook.py: its own process, answers 200 at once over keep-alive) and
100 rules targeting the topic: one matches every Run Command status change (command and
invocation), 99 have realistic shapes that match none of them (failures of other documents,
other windows or instances, other sources; exact values, `prefix`, `wildcard`, `anything-but`,
`numeric`, `exists`). The events are real state changes: SendCommand to N simulated agents
(bench/run_command.py's, in a separate process, answering Success at once), back to back until
about `--events` events are written (each invocation writes Pending, InProgress and Success,
each command its own). Measured: the events' rate of production and of delivery, the latency
from each event's `time` (its state change, to the microsecond from the outbox) to its arrival
at the webhook, p50/p99/max (goal: p99 under 200 ms), and the server's CPU (from /proc) from
the first SendCommand to the last arrival.

`windows`: bench/windows.py's scenario (1,000 windows due at once on 200 agents) run back to
back without a rule, with `--notify failed` (the README's rule for FAILED window executions and
one webhook subscriber: every event is matched, none delivered) and with `--notify all` (every
window execution event delivered), in rotating order; the server's CPU per window against no
rule (goal: under 10% more with the one rule).

Run: python -m bench.events [--scenarios delivery windows] [--events 10000] [--agents 500]
     [--rules 100] [--pace 0] [--windows 1000] [--repeat 2] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import ServerProcess, boto3_client, database, free_port, install_test_key
from tests.support.waiting import wait_for

from bench.run_command import cpu_seconds, run_fleet, warm_up
from bench.webhook import Webhook, outbox_times, put_rules, subscribe
from bench.windows import machine
from bench.windows import measure as measure_windows
from transom.events.systems_manager import (
    COMMAND,
    COMMAND_INVOCATION,
    TASK_INVOCATION,
    WINDOW_EXECUTION,
)

GOAL_P99 = 0.2
GOAL_ADDED_CPU = 0.10


def run_command_patterns(count: int) -> list[dict[str, Any]]:
    """`count` patterns: the last matches every Run Command status change, the others
    (alerting on failures elsewhere, say) match none of the events this bench makes."""
    failed = ["Failed", "TimedOut", "Cancelled"]
    shapes: list[Callable[[int], dict[str, Any]]] = [
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [COMMAND_INVOCATION],
            "detail": {"status": failed, "document-name": [f"Team{i}-Patching"]},
        },
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [WINDOW_EXECUTION],
            "detail": {"status": ["FAILED", "TIMED_OUT"], "window-id": [f"mw-{i:017x}"]},
        },
        lambda _i: {
            "source": ["aws.ssm"],
            "detail-type": [COMMAND],
            "detail": {"status": [{"anything-but": ["Pending", "InProgress", "Success"]}]},
        },
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [{"prefix": "EC2 Command"}],
            "detail": {"instance-id": [{"prefix": f"i-{i:04x}"}]},
        },
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [TASK_INVOCATION],
            "detail": {"owner-information": [{"wildcard": f"team-{i}*"}]},
        },
        lambda i: {
            "source": ["transom"],
            "detail-type": ["Node Ping Status Change"],
            "detail": {"ping-status": ["ConnectionLost"], "instance-id": [f"mi-{i:017x}"]},
        },
        lambda _i: {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["stopped", "terminated"]},
        },
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [COMMAND_INVOCATION],
            "detail": {"status": failed, "response-code": [{"numeric": [">", i]}]},
        },
        lambda i: {
            "source": ["aws.ssm"],
            "detail-type": [COMMAND],
            "detail": {
                "document-name": [f"Custom-{i}"],
                "parameters": {"commands": [{"exists": True}]},
            },
        },
    ]
    matching = {"source": ["aws.ssm"], "detail-type": [COMMAND, COMMAND_INVOCATION]}
    return [shapes[i % len(shapes)](i) for i in range(count - 1)] + [matching]


def latencies(times: dict[str, float], arrivals: list[tuple[float, str]]) -> dict[str, float]:
    """p50/p99/max of arrival - time over the events that arrived; how many arrived twice
    or not at all."""
    first: dict[str, float] = {}
    for at, event_id in arrivals:
        first.setdefault(event_id, at)
    delays = sorted(first[e] - t for e, t in times.items() if e in first)
    return {
        "p50": statistics.median(delays),
        "p99": delays[math.ceil(len(delays) * 0.99) - 1],
        "max": delays[-1],
        "missing": len(times.keys() - first.keys()),
        "repeated": len(arrivals) - len(first),
    }


def measure_delivery(
    events: int, agents: int, rules: int, kind: str, pace: float = 0.0
) -> dict[str, float]:
    """`pace` > 0: each command is sent `pace` seconds after the previous one ended, so the
    events come in bursts the server can keep up with (latency without a backlog); 0: all
    commands back to back (throughput, with the backlog that builds)."""
    commands = math.ceil(events / (3 * agents + 3))
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        install_test_key(db)
        webhook = Webhook().start()
        server = ServerProcess(db, args=["--port", str(free_port())]).start()
        assert server.process is not None
        fleet: multiprocessing.Process | None = None
        try:
            topic_arn = subscribe(server.endpoint, webhook)
            put_rules(server.endpoint, topic_arn, run_command_patterns(rules))
            ssm = boto3_client(server.endpoint)
            marker = uuid.uuid4().hex
            activation_id, code = activation(
                ssm,
                IamRole="bench",
                RegistrationLimit=agents,
                Tags=[{"Key": "Bench", "Value": marker}],
            )
            ready = multiprocessing.Event()
            fleet = multiprocessing.Process(
                target=run_fleet,
                args=(server.endpoint, (activation_id, code), agents, False, ready),
            )
            fleet.start()
            ready.wait(timeout=600)
            warm_up(ssm)
            print(
                f"  {rules} rules, {agents} agents; {commands} commands to all of them",
                flush=True,
            )
            cpu = cpu_seconds(server.process.pid)
            started = time.time()
            command_ids = []
            for _ in range(commands):
                command_ids.append(
                    ssm.send_command(
                        DocumentName="AWS-RunShellScript",
                        Targets=[{"Key": "tag:Bench", "Values": [marker]}],
                        Parameters={"commands": ["true"]},
                        MaxConcurrency="100%",
                    )["Command"]["CommandId"]
                )
                if pace > 0:
                    wait_for(partial(command_done, ssm, command_ids[-1]), seconds=600, every=0.05)
                    time.sleep(pace)
            for command_id in command_ids:
                wait_for(
                    partial(command_done, ssm, command_id),
                    seconds=600,
                    what="the command",
                    every=0.1,
                )
            times = outbox_times(db, {COMMAND, COMMAND_INVOCATION})
            expected = len(times)
            deadline = time.time() + 600
            while webhook.count < expected and time.time() < deadline:
                time.sleep(0.02)
            used = cpu_seconds(server.process.pid) - cpu
            arrivals = webhook.arrivals()
        finally:
            if fleet is not None:
                fleet.terminate()
                fleet.join()
            server.stop()
            webhook.stop()
    changed = sorted(times.values())
    arrived = sorted(at for at, _ in arrivals)
    spread = arrived[-1] - started
    return {
        "events": expected,
        "produced_per_s": expected / (changed[-1] - changed[0]),
        "delivered_per_s": len(arrivals) / (arrived[-1] - changed[0]),
        "cpu_s": used,
        "cpu_share": used / spread,
        "cpu_us_per_event": used / expected * 1e6,
        **latencies(times, arrivals),
    }


def report_delivery(args: argparse.Namespace) -> None:
    print(
        "| events | rules | database | produced/s | delivered/s | latency p50 | p99 | max "
        "| p99 / goal | missing | repeated | server CPU per event | server CPU share of a core |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeat):
        r = measure_delivery(args.events, args.agents, args.rules, args.database, args.pace)
        print(
            f"| {r['events']:.0f} | {args.rules} | {args.database} | {r['produced_per_s']:.0f} "
            f"| {r['delivered_per_s']:.0f} | {r['p50'] * 1000:.0f} ms | {r['p99'] * 1000:.0f} ms "
            f"| {r['max'] * 1000:.0f} ms | {r['p99'] / GOAL_P99:.2f} | {r['missing']:.0f} "
            f"| {r['repeated']:.0f} | {r['cpu_us_per_event']:.0f} us | {r['cpu_share']:.0%} |",
            flush=True,
        )


def report_windows(args: argparse.Namespace) -> None:
    """Without a rule, with the README's rule (FAILED executions: matched, none delivered)
    and with a rule delivering every window execution event, in rotating order."""
    lead = 20 + 0.03 * args.windows
    modes: list[str | None] = [None, "failed", "all"]
    rows: dict[str | None, list[float]] = {mode: [] for mode in modes}
    for i in range(args.repeat):
        for mode in modes[i % 3 :] + modes[: i % 3]:
            print(f"windows, notify {mode or 'off'}:")
            result = measure_windows(
                args.windows, args.window_agents, 1, args.database, lead, notify=mode
            )
            rows[mode].append(result["cpu_ms_per_window"])
            print(f"  server CPU per window {result['cpu_ms_per_window']:.2f} ms", flush=True)
    print("| database | rule | server CPU per window | against no rule (median) |")
    print("|---|---|---|---|")
    base = statistics.median(rows[None])
    for mode in modes:
        values = ", ".join(f"{v:.2f}" for v in rows[mode])
        ratio = statistics.median(rows[mode]) / base
        print(f"| {args.database} | {mode or 'none'} | {values} ms | {ratio:.2f} |")
    added = statistics.median(rows["failed"]) / base - 1
    verdict = "met" if added < GOAL_ADDED_CPU else "missed"
    print(f"goal under {GOAL_ADDED_CPU:.0%} more CPU with one rule: {verdict} ({added:+.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", nargs="+", default=["delivery", "windows"])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--agents", type=int, default=500, help="agents of the delivery scenario")
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="seconds between one command's end and the next (0: all back to back)",
    )
    parser.add_argument("--windows", type=int, default=1000)
    parser.add_argument("--window-agents", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    if "delivery" in args.scenarios:
        report_delivery(args)
    if "windows" in args.scenarios:
        report_windows(args)


if __name__ == "__main__":
    main()
