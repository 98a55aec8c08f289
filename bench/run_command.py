"""Run Command fan-out: N simulated agents speaking the real agent protocol over real HTTP
from a separate process, one command to all of them (MaxConcurrency 100%).

Two modes: `instant` (agents report Success at once: the control plane alone) and `spawn`
(agents really run `true`). Reports the wall time from SendCommand to the command's Success,
invocations per second, and the server's CPU time per invocation (from /proc); for `spawn`,
also the time this machine takes to spawn as many `true` one after the other with nothing
else running (the agents' process does the same spawns, so this is the floor), and the
ratio of the two.

Run: .venv/bin/python bench/run_command.py [--nodes 100 1000] [--modes instant spawn]
     [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import (
    ServerProcess,
    boto3_client,
    database,
    install_test_key,
)
from tests.support.waiting import wait_for

from transom.wire import (
    PlatformFacts,
    PollRequest,
    RegisterRequest,
    RegisterResponse,
    node_authorization,
)

POLL_SECONDS = 20
"""How long each poll but the first waits, as the real agent's (`agent/loop.py`)."""
RETRIES = 8
"""Times a request is tried again on a new connection, after at most `MAX_BACKOFF` s each."""
MAX_BACKOFF = 30
FACTS = PlatformFacts("bench", "127.0.0.1", "Linux", "Debian", "12", "0.1.0")


class ServerBusy(OSError):
    """A 5xx answer (the server at its connection cap, say): tried again, as the real agent
    does, on a new connection."""


class Connection:
    """A minimal keep-alive HTTP/1.1 JSON client on asyncio streams: the simulated agents
    must cost the machine less than the server does (httpx's pool slows down with hundreds
    of concurrent long polls)."""

    def __init__(self, host: str, port: int, authorization: str = "") -> None:
        self.host, self.port, self.authorization = host, port, authorization
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST `body` and decode the answer, reconnecting after a connection lost, refused or
        timed out (a server flooded with new connections drops some) or a 5xx answer, up to
        `RETRIES` times."""
        attempt = 0
        while True:
            try:
                return await self._post(path, body)
            except (OSError, asyncio.IncompleteReadError):
                if self.writer is not None:
                    self.writer.close()
                self.reader = self.writer = None
                if attempt == RETRIES:
                    raise
                await asyncio.sleep(random.uniform(0.5, 1) * min(MAX_BACKOFF, 2**attempt))
                attempt += 1

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        )
        if self.authorization:
            head += f"Authorization: {self.authorization}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        status = await self.reader.readline()
        if not status:  # the server closed the kept-alive connection as the request went
            raise ConnectionResetError(f"{path}: the connection closed before an answer")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        if status[9:10] == b"5":
            raise ServerBusy(f"{path}: {status!r} {payload!r}")
        if b" 200 " not in status:
            raise RuntimeError(f"{path}: {status!r} {payload!r}")
        return json.loads(payload)


async def run_true() -> int:
    """Spawn `true` and wait for it on a pidfd: no thread per child (Python 3.11's default
    child watcher starts one), so the simulated agents' process measures the spawns."""
    pid = os.posix_spawnp("true", ["true"], os.environ)
    pidfd = os.pidfd_open(pid)
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    loop.add_reader(pidfd, exited.set_result, None)
    try:
        await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _ignore(_count: int) -> None:
    pass


def _nothing() -> None:
    pass


async def agent(
    host: str,
    port: int,
    node: RegisterResponse,
    *,
    spawn: bool = False,
    stdout: str = "",
    sending: Callable[[int], None] = _ignore,
    connected: Callable[[], None] = _nothing,
) -> None:
    """Poll; run what comes (`true`, or nothing and answer at once); carry the results in
    the next poll, as the real agent does with commands that end at once. `sending` is told
    how many results each poll carries. The first poll does not wait: `connected` is called
    when it is answered."""
    connection = Connection(host, port, node_authorization(node.instance_id, node.secret))
    results: list[dict[str, Any]] = []
    wait = 0
    while True:
        sending(len(results))
        answer = await connection.post(
            "/agent/v1/poll", PollRequest(wait).to_json() | {"results": results}
        )
        if not wait:
            connected()
        results, wait = [], POLL_SECONDS
        for item in answer["work"]:
            started = time.time()
            code = await run_true() if spawn else 0
            results.append(
                {
                    "command_id": item["command_id"],
                    "lease": item["lease"],
                    "status": "Success" if code == 0 else "Failed",
                    "response_code": code,
                    "stdout": stdout,
                    "stderr": "",
                    "started_at": started,
                    "finished_at": time.time(),
                }
            )


async def register_fleet(
    endpoint: str, activation: tuple[str, str], size: int
) -> tuple[str, int, list[RegisterResponse]]:
    """Register `size` simulated agents with the activation; (host, port, their credentials)."""
    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    registrar = Connection(host, port)
    nodes = []
    for _ in range(size):
        request = RegisterRequest(activation[0], activation[1], FACTS).to_json()
        nodes.append(
            RegisterResponse.from_json(await registrar.post("/agent/v1/register", request))
        )
    return host, port, nodes


async def fleet(
    endpoint: str, activation: tuple[str, str], size: int, spawn: bool, ready: Any
) -> None:
    host, port, nodes = await register_fleet(endpoint, activation, size)
    tasks = [asyncio.create_task(agent(host, port, n, spawn=spawn)) for n in nodes]
    await asyncio.sleep(1 + size / 500)  # let every agent's first poll arrive
    ready.set()
    await asyncio.gather(*tasks)


def run_fleet(
    endpoint: str, activation: tuple[str, str], size: int, spawn: bool, ready: Any
) -> None:
    asyncio.run(fleet(endpoint, activation, size, spawn, ready))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_up(ssm: Any) -> None:
    """Build the request validators of the calls measured (each is built on its first use
    in a server process), without side effects: the figures are a warm server's."""
    ssm.list_commands()
    with contextlib.suppress(ssm.exceptions.InvalidInstanceId):
        ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=["mi-00000000000000000"],
            Parameters={"commands": ["true"]},
        )


def send_to_all(ssm: Any, marker: str, size: int, pid: int) -> dict[str, float]:
    """SendCommand `true` to the nodes tagged Bench=`marker`: the time until every invocation
    is Success, and the server's CPU time per invocation meanwhile."""
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Bench", "Values": [marker]}],
        Parameters={"commands": ["true"]},
        MaxConcurrency="100%",
    )["Command"]["CommandId"]
    command = wait_for(
        lambda: command_done(ssm, command_id), seconds=600, what="the command", every=0.05
    )
    wall = time.perf_counter() - started
    used = cpu_seconds(pid) - cpu
    assert command["Status"] == "Success", command
    assert command["CompletedCount"] == size == command["TargetCount"], command
    return {"wall_s": wall, "cpu_ms_per_invocation": used / size * 1000}


def measure(size: int, spawn: bool, kind: str = "sqlite") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        install_test_key(db)
        server = ServerProcess(db).start()
        assert server.process is not None
        try:
            ssm = boto3_client(server.endpoint)
            marker = uuid.uuid4().hex
            activation_id, code = activation(
                ssm,
                IamRole="bench",
                RegistrationLimit=size,
                Tags=[{"Key": "Bench", "Value": marker}],
            )
            ready = multiprocessing.Event()
            agents = multiprocessing.Process(
                target=run_fleet,
                args=(
                    server.endpoint,
                    (activation_id, code),
                    size,
                    spawn,
                    ready,
                ),
            )
            agents.start()
            ready.wait(timeout=600)
            warm_up(ssm)
            sent = send_to_all(ssm, marker, size, server.process.pid)
            agents.terminate()
            agents.join()
            return sent | {"per_s": size / sent["wall_s"]}
        finally:
            server.stop()


def spawn_floor(size: int) -> float:
    """Seconds this machine takes to spawn and reap `size` `true` processes one after the
    other from one process, with nothing else running: the floor of the spawn mode."""
    started = time.perf_counter()
    for _ in range(size):
        os.waitpid(os.posix_spawnp("true", ["true"], os.environ), 0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--modes", nargs="+", default=["instant", "spawn"])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server ({args.database}) and agents share the machine"
    )
    print(
        "| nodes | mode | SendCommand to Success (s) | invocations/s "
        "| server CPU ms/invocation | spawning alone (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in args.nodes:
        for mode in args.modes:
            spawn = mode == "spawn"
            floor = spawn_floor(size) if spawn else None
            result = measure(size, spawn=spawn, kind=args.database)
            ratio = "-" if floor is None else f"{result['wall_s'] / floor:.2f}"
            print(
                f"| {size} | {mode} | {result['wall_s']:.2f} | {result['per_s']:.0f} "
                f"| {result['cpu_ms_per_invocation']:.2f} "
                f"| {'-' if floor is None else f'{floor:.2f}'} | {ratio} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
