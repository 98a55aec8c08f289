"""The agent's main loop: long-poll, run what the server hands out, send results.

Each command id is run at most once: it is written to the spool before it starts, and a
spooled id is never started again. Final results stay in the spool until the server
acknowledges them, so a restart of either side loses none.
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from transom.agent.channel import Channel, ChannelDown
from transom.agent.runner import run_item
from transom.agent.spool import Spool
from transom.wire import (
    AgentError,
    InvocationResult,
    PlatformFacts,
    PollRequest,
    ResultsRequest,
    WorkItem,
)

MAX_BACKOFF = 30.0
STOPPED = "\nThe agent was stopped while this command ran; the command was stopped too.\n"
EXIT_DEREGISTERED = 3


def _log(message: str) -> None:
    print(f"transom agent: {message}", file=sys.stderr, flush=True)


class Agent:
    def __init__(
        self,
        channel: Channel,
        state_dir: Path,
        facts: Callable[[], PlatformFacts],
        wait_seconds: float = 20.0,
        log: Callable[[str], None] = _log,
    ) -> None:
        self._channel = channel
        self._state_dir = state_dir
        self._spool = Spool(state_dir / "spool")
        self._facts = facts
        self._wait = wait_seconds
        self._log = log
        self._lock = threading.Lock()
        self._running: dict[str, tuple[threading.Event, threading.Thread]] = {}
        self._stopping = False
        self._send_failing = False

    def run(self, stop: threading.Event) -> int:
        """Serve until `stop` is set (0), or until the server no longer knows this node
        (`EXIT_DEREGISTERED`)."""
        for result in self._spool.recover():
            self._log(f"command {result.command_id} was interrupted by a restart; reporting it")
        sent_facts: PlatformFacts | None = None
        failures = 0
        try:
            while not stop.is_set():
                facts = self._facts()
                try:
                    self.flush()
                    response = self._channel.poll(
                        PollRequest(self._wait, None if facts == sent_facts else facts)
                    )
                except ChannelDown as exc:
                    failures += 1
                    if failures == 1:
                        self._log(f"lost the server ({exc}); retrying")
                    stop.wait(min(MAX_BACKOFF, 2.0 ** min(failures, 8)) * random.uniform(0.5, 1))
                    continue
                except AgentError as exc:
                    if exc.code == "InvalidNodeCredentials":
                        self._log(f"the server refused this node: {exc.message}")
                        return EXIT_DEREGISTERED
                    failures += 1
                    self._log(f"the server said {exc.code}: {exc.message}")
                    stop.wait(min(MAX_BACKOFF, 2.0 ** min(failures, 8)))
                    continue
                if failures or sent_facts is None:
                    self._log("connected" if sent_facts is None else "reconnected")
                failures = 0
                sent_facts = facts
                for item in response.work:
                    self.take(item)
                for command_id in response.cancel:
                    self.cancel(command_id)
        finally:
            self.shutdown()
        return 0

    def take(self, item: WorkItem) -> None:
        """Start `item` unless it was taken before; tell the server it is accepted."""
        with self._lock:
            known = item.command_id in self._running or self._spool.knows(item.command_id)
            if not known:
                self._spool.accept(item)
                cancel = threading.Event()
                thread = threading.Thread(target=self._execute, args=(item, cancel), daemon=True)
                self._running[item.command_id] = (cancel, thread)
                thread.start()
        if not known or item.command_id in self._running:
            self._send(
                [
                    InvocationResult(
                        item.command_id, item.lease, "InProgress", -1, "", "", None, None
                    )
                ]
            )

    def _execute(self, item: WorkItem, cancel: threading.Event) -> None:
        result = run_item(item, self._state_dir / "run" / item.command_id, cancel)
        if self._stopping and result.status == "Cancelled":
            result = replace(result, status="Failed", stderr=result.stderr + STOPPED)
        with self._lock:
            self._spool.finish(result)
            self._running.pop(item.command_id, None)
        self.flush()

    def cancel(self, command_id: str) -> None:
        with self._lock:
            running = self._running.get(command_id)
        if running is not None:
            running[0].set()

    def flush(self) -> None:
        """Send the spooled final results; forget those the server acknowledges."""
        with self._lock:
            pending = self._spool.unacknowledged()
        if pending:
            self._send(pending)

    def _send(self, results: list[InvocationResult]) -> None:
        try:
            answer = self._channel.results(ResultsRequest(results))
        except (ChannelDown, AgentError) as exc:
            # final results stay in the spool; an acceptance is re-sent on the next offer
            if not self._send_failing:
                self._log(f"could not send results yet ({exc}); they are kept until sent")
            self._send_failing = True
            return
        self._send_failing = False
        # An acknowledged acceptance must not drop a final result spooled meanwhile.
        final = {r.command_id for r in results if r.status != "InProgress"}
        with self._lock:
            self._spool.acknowledge([c for c in answer.acknowledged if c in final])

    def shutdown(self) -> None:
        """Stop running commands, spool their results and try once to send them."""
        self._stopping = True
        with self._lock:
            running = list(self._running.values())
        for cancel, _ in running:
            cancel.set()
        for _, thread in running:
            thread.join(timeout=10)
        self.flush()
