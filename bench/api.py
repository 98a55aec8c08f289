"""API throughput and latency of one `transom server` process (SQLite, 500 windows stored),
against moto's server (the usual AWS emulator) and a trivial route, in the same run.

Each client process replays requests signed once with botocore's SigV4 signer over its own
keep-alive HTTP connection, so clients cost far less CPU than boto3 would (one boto3 client
alone tops out near 750 calls/s here). The server's own CPU time per call is measured too
(from /proc): 1e6 divided by it is what one core could serve with the clients elsewhere.
Create requests carry no ClientToken, so every replay creates a window. `GET /health` (no
auth, no database) is the ceiling of the HTTP stack on this machine. moto is measured when it
is installed (`pip install 'moto[server]'`); it returns every window from Describe, whatever
MaxResults.

`--policy` measures instead what a key's policy costs on GetMaintenanceWindow: the app of
`transom server` (SQLite, in this process, no HTTP server, as `bench/request_metrics.py`)
answers requests signed by an admin key (no policy) and by a key with a realistic policy (reads
of everything, any ssm action on windows tagged Env=staging, an explicit deny of deletes) in
alternating rounds; the best round of each is compared (CPU time per call, and the calls per
second of one core that makes), so the machine's noise hits both arms alike. The window asked
for is tagged Env=staging, so every call of the limited key evaluates the tag condition and
reads the window's tags.

Run: .venv/bin/python bench/api.py [--seconds 5] [--processes 3]
     .venv/bin/python bench/api.py --policy [--rounds 20] [--calls 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    free_port,
    install_test_key,
)

from bench.run_command import cpu_seconds

Request = tuple[str, bytes, dict[str, str]]
CREATE = {
    "Name": "bench-created",
    "Schedule": "rate(1 day)",
    "Duration": 2,
    "Cutoff": 1,
    "AllowUnassociatedTargets": True,
}


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
    return "POST", data, dict(request.headers)


def client(endpoint: str, requests: list[Request], seconds: float, out: Any) -> None:
    """Replay `requests` round-robin for `seconds`; send back the latencies in seconds."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        method, body, headers = requests[i % len(requests)]
        path = "/health" if method == "GET" else "/"
        start = time.perf_counter()
        conn.request(method, path, body=body or None, headers=headers)
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
        "calls": len(latencies),
        "calls_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def plans(endpoint: str, windows: int) -> dict[str, list[Request]]:
    """Store `windows` windows, then the requests each benchmarked operation replays."""
    ssm = boto3_client(endpoint)
    ids = [
        ssm.create_maintenance_window(
            Name=f"bench-{n:04d}",
            Schedule="cron(0 2 ? * SUN *)",
            ScheduleTimezone="Europe/Berlin",
            Duration=3,
            Cutoff=1,
            AllowUnassociatedTargets=False,
        )["WindowId"]
        for n in range(windows)
    ]
    return {
        "GetMaintenanceWindow": [
            signed(endpoint, "GetMaintenanceWindow", {"WindowId": w}) for w in ids[:50]
        ],
        "DescribeMaintenanceWindows, MaxResults 100": [
            signed(endpoint, "DescribeMaintenanceWindows", {"MaxResults": 100})
        ],
        "CreateMaintenanceWindow": [signed(endpoint, "CreateMaintenanceWindow", CREATE)],
    }


@contextmanager
def transom(tmp: Path) -> Iterator[tuple[str, int]]:
    """The server's URL and process id."""
    db = Database("sqlite", tmp)
    install_test_key(db)
    server = ServerProcess(db, ["--max-windows", "1000000"]).start()
    assert server.process is not None
    try:
        yield server.endpoint, server.process.pid
    finally:
        server.stop()


@contextmanager
def moto() -> Iterator[str | None]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        yield None
        return
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:List*"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "ssm:*",
            "Resource": f"arn:aws:ssm:{REGION}:*:maintenancewindow/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "staging"}},
        },
        {"Effect": "Deny", "Action": "ssm:Delete*", "Resource": "*"},
    ],
}
LIMITED_KEY_ID, LIMITED_SECRET = "AKIABENCHPOLICY00001", "bench-policy-secret-0123456789"


async def policy_arms(rounds: int, calls: int) -> dict[str, float]:
    """The best CPU microseconds per GetMaintenanceWindow, by an admin key and a limited one."""
    from bench.request_metrics import call
    from bench.request_metrics import signed as signed_in_process
    from transom.api.agent import Signals
    from transom.bootstrap import Settings, build_app, open_store
    from transom.crypto.master_keys import MasterKeys
    from transom.domain.clock import SystemClock
    from transom.services.keys import KeyService

    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    store = open_store(settings)
    keys = KeyService(store, SystemClock(), MasterKeys(settings.master_key_path))
    keys.import_key(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "bench")
    keys.import_key(LIMITED_KEY_ID, LIMITED_SECRET, "bench", json.dumps(POLICY))
    app = build_app(store, settings, Signals())
    create = CREATE | {"Tags": [{"Key": "Env", "Value": "staging"}]}
    window = (await call(app, signed_in_process("CreateMaintenanceWindow", create)))["WindowId"]
    admin = signed_in_process("GetMaintenanceWindow", {"WindowId": window})
    limited = signed_in_process("GetMaintenanceWindow", {"WindowId": window})
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8770/",
        data=limited[1],
        headers={
            "X-Amz-Target": "AmazonSSM.GetMaintenanceWindow",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(LIMITED_KEY_ID, LIMITED_SECRET), "ssm", REGION).add_auth(request)
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    limited = ([*headers, (b"host", b"127.0.0.1:8770")], limited[1])
    for arm in (admin, limited):
        answer = await call(app, arm)
        assert answer.get("WindowId") == window, answer
    best = {"admin": float("inf"), "policy": float("inf")}
    for _ in range(rounds):
        for name, arm in (("admin", admin), ("policy", limited)):
            started = time.process_time()
            for _ in range(calls):
                await call(app, arm)
            best[name] = min(best[name], (time.process_time() - started) / calls * 1e6)
    store.close()
    return best


def policy_main(rounds: int, calls: int) -> None:
    import asyncio

    best = asyncio.run(policy_arms(rounds, calls))
    print(f"GetMaintenanceWindow in-process, best of {rounds} rounds of {calls} calls per key:")
    print("| key | CPU us/call | calls/s of one core |")
    print("|---|---|---|")
    for name, label in (("admin", "admin (no policy)"), ("policy", "policy with a tag condition")):
        print(f"| {label} | {best[name]:.1f} | {1e6 / best[name]:.0f} |")
    print(f"policy / admin CPU per call: {best['policy'] / best['admin']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--windows", type=int, default=500)
    parser.add_argument("--policy", action="store_true", help="Measure the policy check.")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    if args.policy:
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}"
        )
        policy_main(args.rounds, args.calls)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.seconds:g} s per row, {args.windows} windows "
        "stored; servers and clients share the machine"
    )
    print(
        "| operation | clients | Transom calls/s | p50 ms | p99 ms | server CPU us/call "
        "| moto calls/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with (
        tempfile.TemporaryDirectory() as tmp,
        transom(Path(tmp)) as (ours, pid),
        moto() as peer,
    ):
        ours_plans = plans(ours, args.windows)
        ours_plans["GET /health (HTTP stack ceiling)"] = [("GET", b"", {})]
        peer_plans = plans(peer, args.windows) if peer else {}
        for name, requests in ours_plans.items():
            for processes in (1, args.processes):
                cpu = cpu_seconds(pid)
                mine = run(ours, requests, processes, args.seconds)
                cpu_per_call = (cpu_seconds(pid) - cpu) / mine["calls"] * 1e6
                theirs = (
                    run(peer, peer_plans[name], processes, args.seconds)
                    if peer and name in peer_plans
                    else None
                )
                peer_text = "- | -"
                if theirs:
                    ratio = mine["calls_per_s"] / theirs["calls_per_s"]
                    peer_text = f"{theirs['calls_per_s']:.0f} | {ratio:.1f}x"
                print(
                    f"| {name} | {processes} | {mine['calls_per_s']:.0f} | {mine['p50_ms']:.2f} "
                    f"| {mine['p99_ms']:.2f} | {cpu_per_call:.0f} | {peer_text} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
