"""A webhook for the benchmarks: an asyncio HTTP/1.1 server in its own process that answers
every POST 200 at once on keep-alive connections (as a real webhook endpoint would) and
records each notification's arrival time (wall clock, the same clock the server stamps events
with) and body. A SubscriptionConfirmation's SubscribeURL is handed to the parent, which
visits it (`confirm`). Also: a topic subscribing the webhook, rules targeting it, and the
outbox's times of the events it should receive.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import threading
import time
import urllib.request
from multiprocessing.connection import Connection
from typing import Any

from tests.support.servers import boto3_client, free_port
from tests.support.waiting import wait_for

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def event_id(body: bytes) -> str:
    """The EventBridge event id inside an SNS notification's JSON document."""
    return str(json.loads(json.loads(body)["Message"])["id"])


def _serve(port: int, count: Any, confirmations: Any, reports: Connection) -> None:
    arrivals: list[tuple[float, bytes]] = []

    def answer_reports() -> None:
        while reports.recv() == "report":
            reports.send([(at, event_id(body)) for at, body in list(arrivals)])

    threading.Thread(target=answer_reports, daemon=True).start()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline():
                length, kind = 0, ""
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    name = name.lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "x-amz-sns-message-type":
                        kind = value.strip()
                body = await reader.readexactly(length)
                if kind == "Notification":
                    arrivals.append((time.time(), body))
                    count.value += 1
                elif kind == "SubscriptionConfirmation":
                    confirmations.put(json.loads(body)["SubscribeURL"])
                writer.write(_OK)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Webhook:
    """The receiver process; `count` is how many notifications have arrived so far."""

    def __init__(self) -> None:
        self.port = free_port()
        self._count: Any = multiprocessing.Value("l", 0, lock=False)
        self._confirmations: Any = multiprocessing.Queue()
        self._reports, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve,
            args=(self.port, self._count, self._confirmations, child),
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def count(self) -> int:
        return int(self._count.value)

    def start(self) -> Webhook:
        self._process.start()
        return self

    def confirm(self, timeout: float = 30) -> None:
        """Visit the SubscribeURL of the next confirmation request to arrive."""
        with urllib.request.urlopen(self._confirmations.get(timeout=timeout)) as answer:
            answer.read()

    def arrivals(self) -> list[tuple[float, str]]:
        """(arrival wall-clock time, event id) of every notification so far, in order."""
        self._reports.send("report")
        result: list[tuple[float, str]] = self._reports.recv()
        return result

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()


def subscribe(endpoint: str, webhook: Webhook, topic: str = "bench") -> str:
    """A topic with one confirmed `http` subscription to the webhook, confirmed through the
    SubscribeURL it received; the topic's ARN."""
    sns = boto3_client(endpoint, "sns")
    topic_arn = str(sns.create_topic(Name=topic)["TopicArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=webhook.url)
    webhook.confirm()
    wait_for(
        lambda: all(
            s["SubscriptionArn"] != "PendingConfirmation"
            for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        ),
        seconds=30,
        what="the subscription's confirmation",
    )
    return topic_arn


def put_rules(endpoint: str, topic_arn: str, patterns: list[dict[str, Any]]) -> None:
    events = boto3_client(endpoint, "events")
    for i, pattern in enumerate(patterns):
        events.put_rule(Name=f"bench-{i}", EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"bench-{i}", Targets=[{"Id": "topic", "Arn": topic_arn}])


def outbox_times(db: Any, detail_types: set[str]) -> dict[str, float]:
    """Event id -> the state change's wall-clock time, of the outbox's events of those types."""
    store = db.open_store()
    try:
        times: dict[str, float] = {}
        seq = 0
        while True:
            with store.read() as tx:
                batch = tx.events_after(seq, 5000)
            if not batch:
                return times
            seq = batch[-1].seq
            for stored in batch:
                if stored.event.detail_type in detail_types:
                    times[stored.event.event_id] = stored.event.time.timestamp()
    finally:
        store.close()
