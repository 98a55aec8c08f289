"""Chaos, for minutes: three replicas on one PostgreSQL database behind HAProxy
(`contrib/haproxy.cfg`), real agents, windows firing every few seconds while a random replica
is killed (SIGKILL) and started again every few seconds. The run is `tests/support/chaos.py`'s,
which `tests/cli/test_chaos.py` runs for less than a minute.

Prints the figures: occurrences, runs, missed, kills, doubles (must be 0), lost (must be 0),
the start delays (scheduled time to first invocation start: p50, p99, worst), the statuses,
the seed.
Exits 1 when anything ran twice or was lost.

Run: python -m bench.chaos [--minutes 5] [--every 3] [--windows-per-instant 1]
     [--replicas 3] [--agents 3] [--kill-every 2,5] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.support.chaos import Plan, run
from tests.support.servers import database, install_test_key

from bench.windows import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between instants")
    parser.add_argument("--windows-per-instant", type=int, default=1)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument(
        "--kill-every", default="2,5", help="LOW,HIGH: seconds from a restart to the next kill"
    )
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    low, high = (float(s) for s in args.kill_every.split(","))
    plan = Plan(
        seconds=args.minutes * 60,
        every=args.every,
        windows_per_instant=args.windows_per_instant,
        replicas=args.replicas,
        agents=args.agents,
        kill_every=(low, high),
        seed=args.seed,
    )
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as db:
        install_test_key(db)
        figures = run(db, Path(tmp), plan)
    print(
        "| minutes | replicas | agents | occurrences | runs | missed | kills | doubles | lost "
        "| start delay p50 | p99 | worst |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        f"| {args.minutes:g} | {plan.replicas} | {plan.agents} | {figures.occurrences} "
        f"| {figures.runs} | {figures.missed} | {figures.kills} | {figures.doubles} "
        f"| {figures.lost} | {figures.start_delay(0.5):.2f} s | {figures.start_delay(0.99):.2f} s "
        f"| {figures.worst_start_delay:.2f} s |"
    )
    print(figures.line())
    for problem in figures.problems:
        print(f"  {problem}")
    sys.exit(1 if figures.doubles or figures.lost else 0)


if __name__ == "__main__":
    main()
