"""API throughput and latency of one `transom server` process (SQLite, 500 windows stored).

Each client process replays requests signed once with botocore's SigV4 signer over its own
keep-alive HTTP connection, so the clients cost far less CPU than boto3 would (one boto3 client
alone tops out near 750 calls/s here) and the figure is the server's. Create requests carry no
ClientToken, so every replay creates a window. Run: .venv/bin/python bench/api.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.servers import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
)

Request = tuple[bytes, dict[str, str]]


def signed(endpoint: str, operation: str, body: dict[str, Any]) -> Request:
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=data,
        headers={
            "X-Amz-Target": f"AmazonSSM.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    return data, dict(request.headers)


def client(endpoint: str, requests: list[Request], seconds: float, out: Any) -> None:
    """Replay `requests` round-robin for `seconds`; send back the latencies in seconds."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        body, headers = requests[i % len(requests)]
        start = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}")
        i += 1
    out.put(latencies)


def run(endpoint: str, requests: list[Request], processes: int, seconds: float) -> dict[str, float]:
    queue: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=client, args=(endpoint, requests, seconds, queue))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    latencies = [x for _ in workers for x in queue.get()]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "calls": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--windows", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Database("sqlite", Path(tmp))
        install_test_key(db)
        server = ServerProcess(db, ["--max-windows", "1000000"]).start()
        try:
            ssm = boto3_client(server.endpoint)
            ids = [
                ssm.create_maintenance_window(
                    Name=f"bench-{n:04d}",
                    Schedule="cron(0 2 ? * SUN *)",
                    ScheduleTimezone="Europe/Berlin",
                    Duration=3,
                    Cutoff=1,
                    AllowUnassociatedTargets=False,
                )["WindowId"]
                for n in range(args.windows)
            ]
            plans = {
                "GetMaintenanceWindow": [
                    signed(server.endpoint, "GetMaintenanceWindow", {"WindowId": w})
                    for w in ids[:50]
                ],
                "DescribeMaintenanceWindows (page of 100)": [
                    signed(server.endpoint, "DescribeMaintenanceWindows", {"MaxResults": 100})
                ],
                "CreateMaintenanceWindow": [
                    signed(
                        server.endpoint,
                        "CreateMaintenanceWindow",
                        {
                            "Name": "bench-created",
                            "Schedule": "rate(1 day)",
                            "Duration": 2,
                            "Cutoff": 1,
                            "AllowUnassociatedTargets": True,
                        },
                    )
                ],
            }
            print(
                f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}; {args.seconds:.0f} s per row, "
                f"{args.windows} windows stored, server and clients on the same machine"
            )
            print("| operation | clients | calls/s | p50 ms | p99 ms |")
            print("|---|---|---|---|---|")
            for name, requests in plans.items():
                for processes in (1, args.processes):
                    result = run(server.endpoint, requests, processes, args.seconds)
                    print(
                        f"| {name} | {processes} | {result['calls_per_s']:.0f} "
                        f"| {result['p50_ms']:.2f} | {result['p99_ms']:.2f} |",
                        flush=True,
                    )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
