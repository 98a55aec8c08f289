"""The agent channel in process: N simulated agents polling the channel's ASGI app directly
(no HTTP), with the event relay running, as the server runs them on SQLite (store calls
inline on one uvloop event loop, the garbage collector tuned alike). The fast loop for the
server's CPU on the Run Command hot path, without the HTTP stack: compare CPU time, not wall
time, on a shared machine.

Two figures, each this process's CPU time (the agents' side is a prebuilt request per poll,
a small share): per minute while idle (long polls of `--wait` s, nothing to do) over
`--idle` s, and per invocation of one SendCommand `true` to all (MaxConcurrency 100%; each
agent answers Success in its next poll) until the command is Success and the relay has
caught up.
`--profile FILE` writes a cProfile of the command phase. With `--database postgresql` (a
fresh schema on the test server) store calls run in worker threads, as the server runs them
there; this process's CPU is then Transom's alone, PostgreSQL's is not counted.

Run: python -m bench.channel [--nodes 2000] [--rounds 3] [--idle 20] [--wait 20]
     [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvloop
from prometheus_client import CollectorRegistry
from tests.support.servers import database

from transom.api.agent import AgentChannel, Signals
from transom.api.edge import StoreCalls
from transom.api.metrics import RequestMetrics
from transom.bootstrap import Settings, build_services
from transom.cli.serve import tune_garbage_collector
from transom.domain.clock import SystemClock
from transom.domain.commands import CommandStatus
from transom.domain.events import Realm
from transom.domain.nodes import NodeFacts
from transom.domain.windows import Tag
from transom.engine.relay import relay_forever
from transom.services.container import Services
from transom.services.event_relay import EventRelay
from transom.store.sql import SqlStore
from transom.wire import node_authorization

FACTS = NodeFacts("bench", "127.0.0.1", "Linux", "Debian", "12", "0.1.0")
TAG = Tag("Bench", "channel")


class Agent:
    """A simulated agent calling the channel's ASGI app: polls of `wait` s, each carrying the
    results of the work the previous one brought (Success at once)."""

    done = 0
    """Results acknowledged, all agents together."""

    def __init__(self, app: AgentChannel, instance_id: str, secret: str) -> None:
        self._app = app
        self._headers = [
            (b"authorization", node_authorization(instance_id, secret).encode()),
            (b"content-type", b"application/json"),
        ]
        self.polls = 0

    async def post(self, path: str, body: bytes) -> dict[str, Any]:
        scope = {"type": "http", "method": "POST", "path": path, "headers": self._headers}
        answer: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                answer.append(message["body"])

        await self._app(scope, receive, send)
        return json.loads(answer[0])  # type: ignore[no-any-return]

    async def run(self, wait: float, stop: Callable[[], bool]) -> None:
        idle = json.dumps({"wait_seconds": wait}).encode()
        body = json.dumps({"wait_seconds": 0}).encode()  # the first poll does not wait
        while not stop():
            answer = await self.post("/agent/v1/poll", body)
            self.polls += 1
            Agent.done += len(answer["acknowledged"])
            if not answer["work"]:
                body = idle
                continue
            now = time.time()
            results = [
                {
                    "command_id": item["command_id"],
                    "lease": item["lease"],
                    "status": "Success",
                    "response_code": 0,
                    "stdout": "",
                    "stderr": "",
                    "started_at": now,
                    "finished_at": now,
                }
                for item in answer["work"]
            ]
            body = json.dumps({"wait_seconds": wait, "results": results}).encode()


def register(services: Services, size: int) -> list[tuple[str, str]]:
    """`size` nodes tagged `TAG`: their instance ids and secrets."""
    activation_id, code = services.nodes.create_activation(
        iam_role="bench", registration_limit=size, tags=[TAG]
    )
    return [services.nodes.register(activation_id, code, FACTS) for _ in range(size)]


async def measure(
    args: argparse.Namespace,
    services: Services,
    store: SqlStore,
    signals: Signals,
    nodes: list[tuple[str, str]],
) -> None:
    calls = StoreCalls(inline=store.engine.dialect.name == "sqlite")  # as the server does
    channel = AgentChannel(services, signals, calls, RequestMetrics(CollectorRegistry()))
    relay = EventRelay(store, Realm(), services.rules)

    async def pending() -> bool:
        return await calls(relay.pending)

    async def relay_batch() -> int:
        return await calls(relay.relay)

    relaying = asyncio.create_task(relay_forever(pending, relay_batch))
    agents = [Agent(channel, i, s) for i, s in nodes]
    tasks = [asyncio.create_task(a.run(args.wait, lambda: signals.stopped)) for a in agents]
    await asyncio.sleep(2 + len(agents) / 1000)  # every agent's first poll is in
    print(f"process {os.getpid()}: {len(agents)} agents polling", file=sys.stderr, flush=True)
    for round_ in range(args.rounds):
        polls, cpu = sum(a.polls for a in agents), time.process_time()
        await asyncio.sleep(args.idle)
        idle_cpu = time.process_time() - cpu
        idle_polls = sum(a.polls for a in agents) - polls
        profile = cProfile.Profile() if args.profile and round_ == args.rounds - 1 else None
        done, cpu, started = Agent.done, time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        command = services.commands.send(
            document_name="AWS-RunShellScript",
            parameters={"commands": ["true"]},
            instance_ids=[],
            targets=[{"Key": f"tag:{TAG.key}", "Values": [TAG.value]}],
            max_concurrency="100%",
        )
        while Agent.done - done < len(agents) or relay.pending():
            await asyncio.sleep(0.05)
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        status = services.commands.view(command.command_id).command.status
        assert status == CommandStatus.SUCCESS, status
        print(
            f"round {round_ + 1}: idle {idle_cpu / args.idle * 60:.2f} s CPU per minute "
            f"({idle_polls} polls answered); command {used / len(agents) * 1e6:.0f} us CPU per "
            f"invocation, {wall:.2f} s",
            flush=True,
        )
    signals.stop()
    relaying.cancel()
    await asyncio.gather(*tasks, relaying, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--wait", type=float, default=20.0)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database, Path(tmp)) as db:
        store = db.open_store()
        signals = Signals()
        services = build_services(
            store, SystemClock(), Settings(data_dir=Path(tmp)), signals.notify
        )
        nodes = register(services, args.nodes)
        tune_garbage_collector()  # as `transom server` does
        uvloop.run(measure(args, services, store, signals, nodes))
        store.close()


if __name__ == "__main__":
    main()
