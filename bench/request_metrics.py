"""What timing every request into the metrics costs on the API's hot path.

The app of `transom server` (SQLite, in this process, no HTTP server) answers signed
GetMaintenanceWindow requests handed straight to its ASGI entry (`_Front`), in alternating
rounds with the request metrics recording and with their `observe` replaced by a no-op. The
best round of each is compared (CPU time of this process per request), so the machine's noise
hits both arms alike; the recording alone is also timed on its own.

Run: .venv/bin/python bench/request_metrics.py [--rounds 20] [--calls 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp, Message
from tests.support.servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

from transom.api.agent import Signals
from transom.api.metrics import RequestMetrics
from transom.bootstrap import Settings, build_app, open_store
from transom.crypto.master_keys import MasterKeys
from transom.domain.clock import SystemClock
from transom.services.keys import KeyService

Request = tuple[list[tuple[bytes, bytes]], bytes]


def signed(operation: str, body: dict[str, Any]) -> Request:
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8770/",
        data=data,
        headers={
            "X-Amz-Target": f"AmazonSSM.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    return [*headers, (b"host", b"127.0.0.1:8770")], data


async def call(app: ASGIApp, request: Request) -> dict[str, Any]:
    """The request through the app; its decoded answer."""
    headers, data = request
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": data, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    answer: dict[str, Any] = json.loads(sent[1]["body"])
    return answer


async def arms(rounds: int, calls: int) -> dict[str, float]:
    """The best CPU microseconds per request, with recording and without."""
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    store = open_store(settings)
    keys = KeyService(store, SystemClock(), MasterKeys(settings.master_key_path))
    keys.import_key(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "bench")
    app = build_app(store, settings, Signals())
    create = {"Name": "bench", "Schedule": "rate(1 day)", "Duration": 2, "Cutoff": 1}
    created = await call(
        app, signed("CreateMaintenanceWindow", create | {"AllowUnassociatedTargets": True})
    )
    get = signed("GetMaintenanceWindow", {"WindowId": created["WindowId"]})
    recording = RequestMetrics.observe

    def silent(
        _self: RequestMetrics, _api: str, _op: str | None, _s: float, _error: str | None
    ) -> None:
        return None

    best = {"recording": float("inf"), "not recording": float("inf")}
    for _ in range(rounds):
        for arm, observe in (("recording", recording), ("not recording", silent)):
            setattr(RequestMetrics, "observe", observe)  # noqa: B010 (the type checker objects)
            started = time.process_time()
            for _ in range(calls):
                await call(app, get)
            best[arm] = min(best[arm], (time.process_time() - started) / calls * 1e6)
    setattr(RequestMetrics, "observe", recording)  # noqa: B010
    store.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    best = asyncio.run(arms(args.rounds, args.calls))
    metrics = RequestMetrics(CollectorRegistry())

    def alone(error: str | None) -> float:
        """Microseconds one `observe` takes."""
        timer = timeit.Timer(lambda: metrics.observe("ssm", "Op", 0.001, error))
        return min(timer.repeat(repeat=5, number=100_000)) * 10

    print(
        f"GetMaintenanceWindow in-process, best of {args.rounds} rounds of {args.calls}: "
        f"{best['recording']:.1f} us CPU recording, {best['not recording']:.1f} us not; "
        f"ratio {best['recording'] / best['not recording']:.3f}. "
        f"Recording alone: {alone(None):.1f} us per answer, "
        f"{alone('ValidationException'):.1f} us per error."
    )


if __name__ == "__main__":
    main()
