"""Run Command fan-out: N simulated agents speaking the real agent protocol over real HTTP
from a separate process, one command to all of them (MaxConcurrency 100%).

Two modes: `instant` (agents report Success at once: the control plane alone) and `spawn`
(agents really run `true`). Reports the wall time from SendCommand to the command's Success,
invocations per second, and the server's CPU time per invocation (from /proc).

Run: .venv/bin/python bench/run_command.py [--nodes 100 1000] [--modes instant spawn]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.servers import (
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
)

from transom.wire import (
    PlatformFacts,
    PollRequest,
    RegisterRequest,
    RegisterResponse,
    node_authorization,
)

FACTS = PlatformFacts("bench", "127.0.0.1", "Linux", "Debian", "12", "0.1.0")


class Connection:
    """A minimal keep-alive HTTP/1.1 JSON client on asyncio streams: the simulated agents
    must cost the machine less than the server does (httpx's pool slows down with hundreds
    of concurrent long polls)."""

    def __init__(self, host: str, port: int, authorization: str = "") -> None:
        self.host, self.port, self.authorization = host, port, authorization
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> Any:
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
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        if b" 200 " not in status:
            raise RuntimeError(f"{path}: {status!r} {payload!r}")
        return json.loads(payload)


async def agent(host: str, port: int, node: RegisterResponse, spawn: bool) -> None:
    connection = Connection(host, port, node_authorization(node.instance_id, node.secret))
    while True:
        answer = await connection.post("/agent/v1/poll", PollRequest(20).to_json())
        for item in answer["work"]:
            started = time.time()
            code = 0
            if spawn:
                process = await asyncio.create_subprocess_exec("true")
                code = await process.wait()
            result = {
                "command_id": item["command_id"],
                "lease": item["lease"],
                "status": "Success" if code == 0 else "Failed",
                "response_code": code,
                "stdout": "",
                "stderr": "",
                "started_at": started,
                "finished_at": time.time(),
            }
            await connection.post("/agent/v1/results", {"results": [result]})


async def fleet(
    endpoint: str, activation: tuple[str, str], size: int, spawn: bool, ready: Any
) -> None:
    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    registrar = Connection(host, port)
    nodes = []
    for _ in range(size):
        request = RegisterRequest(activation[0], activation[1], FACTS).to_json()
        nodes.append(
            RegisterResponse.from_json(await registrar.post("/agent/v1/register", request))
        )
    tasks = [asyncio.create_task(agent(host, port, n, spawn)) for n in nodes]
    await asyncio.sleep(1 + size / 500)  # let every agent's first poll arrive
    ready.set()
    await asyncio.gather(*tasks)


def run_fleet(
    endpoint: str, activation: tuple[str, str], size: int, spawn: bool, ready: Any
) -> None:
    asyncio.run(fleet(endpoint, activation, size, spawn, ready))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(size: int, spawn: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database("sqlite", Path(tmp))
        install_test_key(db)
        server = ServerProcess(db).start()
        assert server.process is not None
        try:
            ssm = boto3_client(server.endpoint)
            marker = uuid.uuid4().hex
            created = ssm.create_activation(
                IamRole="bench", RegistrationLimit=size, Tags=[{"Key": "Bench", "Value": marker}]
            )
            ready = multiprocessing.Event()
            agents = multiprocessing.Process(
                target=run_fleet,
                args=(
                    server.endpoint,
                    (created["ActivationId"], created["ActivationCode"]),
                    size,
                    spawn,
                    ready,
                ),
            )
            agents.start()
            ready.wait(timeout=600)
            cpu = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            command_id = ssm.send_command(
                DocumentName="AWS-RunShellScript",
                Targets=[{"Key": "tag:Bench", "Values": [marker]}],
                Parameters={"commands": ["true"]},
                MaxConcurrency="100%",
            )["Command"]["CommandId"]
            while True:
                command = ssm.list_commands(CommandId=command_id)["Commands"][0]
                if command["Status"] not in ("Pending", "InProgress"):
                    break
                time.sleep(0.02)
            wall = time.perf_counter() - started
            used = cpu_seconds(server.process.pid) - cpu
            assert command["Status"] == "Success", command
            agents.terminate()
            agents.join()
            return {
                "wall_s": wall,
                "per_s": size / wall,
                "cpu_ms_per_invocation": used / size * 1000,
            }
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--modes", nargs="+", default=["instant", "spawn"])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server (SQLite) and agents share the machine"
    )
    print(
        "| nodes | mode | SendCommand to Success (s) | invocations/s | server CPU ms/invocation |"
    )
    print("|---|---|---|---|---|")
    for size in args.nodes:
        for mode in args.modes:
            result = measure(size, spawn=mode == "spawn")
            print(
                f"| {size} | {mode} | {result['wall_s']:.2f} | {result['per_s']:.0f} "
                f"| {result['cpu_ms_per_invocation']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
