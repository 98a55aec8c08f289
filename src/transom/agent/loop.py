"""The agent's main loop: long-poll, run what the server hands out, send results.

Each command id is run at most once: it is written to the spool before it starts, and a
spooled id is never started again. Final results stay in the spool until the server
acknowledges them, so a restart of either side loses none.

After taking work the loop waits up to `QUICK_SECONDS` for it: the final results of commands
that ended by then, and the acceptances of those still running, ride the next poll, so a
command that ends at once costs no request of its own (their acknowledgement comes when that
poll answers). Every other result is sent at once with `POST /agent/v1/results`: one that
ends while a poll waits at the server, and any left unsent by a failure or a restart.

It logs one line when it connects, loses the server and reconnects (field `server`: its URL,
without credentials); never the node's secret or a command's parameters.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from transom.agent.channel import Channel, ChannelDown
from transom.agent.script import run_item, stopped
from transom.agent.spool import Spool
from transom.wire import (
    WIRE_VERSION,
    AgentError,
    InvocationResult,
    PlatformFacts,
    PollRequest,
    ResultsRequest,
    ResultStatus,
    WorkItem,
    report_batches,
)

MAX_BACKOFF = 30.0
QUICK_SECONDS = 0.2
STOPPED = "\nThe agent was stopped while this command ran; the command was stopped too.\n"
EXIT_DEREGISTERED = 3
SHUTDOWN_SEND_SECONDS = 3.0
"""How long shutdown's one try to send results may wait for the server (the spool keeps them)."""


log = logging.getLogger(__name__)


def _acceptance(item: WorkItem) -> InvocationResult:
    return InvocationResult(
        item.command_id, item.lease, ResultStatus.IN_PROGRESS, -1, "", "", None, None
    )


class Agent:
    def __init__(
        self,
        channel: Channel,
        state_dir: Path,
        facts: Callable[[], PlatformFacts],
        wait_seconds: float = 20.0,
        allow_reboot: bool = False,
        reboot: Callable[[], None] | None = None,
    ) -> None:
        """`reboot` reboots the host when a step asks and `allow_reboot` is set."""
        self._channel = channel
        self._state_dir = state_dir
        self._spool = Spool(state_dir / "spool")
        self._facts = facts
        self._wait = wait_seconds
        self._allow_reboot = allow_reboot
        self._reboot = reboot
        self._lock = threading.Lock()
        self._running: dict[str, tuple[threading.Event, threading.Thread]] = {}
        self._accepted: dict[str, InvocationResult] = {}  # acceptances not yet sent
        self._fresh: set[str] = set()  # commands taken by the last poll, to report with the next
        self._sending: set[str] = set()  # final results on their way, in a poll or a flush
        self._polling = False
        self._stopping = False
        self._send_failing = False

    def run(self, stop: threading.Event) -> int:
        """Serve until `stop` is set (0), or until the server no longer knows this node
        (`EXIT_DEREGISTERED`)."""
        for result in self._spool.recover():
            log.warning(
                "a command was interrupted by a restart; reporting it",
                extra={"command_id": result.command_id},
            )
        sent_facts: PlatformFacts | None = None
        failures = 0
        try:
            while not stop.is_set():
                facts = self._facts()
                self.flush(stale=True)
                results = self._outgoing()
                # the first poll, and the first after a failure, is answered at once: that
                # the server is reached is known (and logged) without waiting out a long poll
                wait = self._wait if sent_facts is not None and not failures else 0.0
                try:
                    response = self._channel.poll(
                        PollRequest(
                            wait, None if facts == sent_facts else facts, results, WIRE_VERSION
                        )
                    )
                except ChannelDown as exc:
                    self._sent(results, None)
                    failures += 1
                    if failures == 1:
                        log.warning(
                            "lost the server; retrying",
                            extra={"server": self._channel.server, "error": str(exc)},
                        )
                    stop.wait(min(MAX_BACKOFF, 2.0 ** min(failures, 8)) * random.uniform(0.5, 1))
                    continue
                except AgentError as exc:
                    self._sent(results, None)
                    if exc.code == "InvalidNodeCredentials":
                        log.error("the server refused this node: %s", exc.message)
                        return EXIT_DEREGISTERED
                    failures += 1
                    log.warning("the server said %s: %s", exc.code, exc.message)
                    stop.wait(min(MAX_BACKOFF, 2.0 ** min(failures, 8)))
                    continue
                self._sent(results, response.acknowledged)
                if failures or sent_facts is None:
                    log.info(
                        "connected" if sent_facts is None else "reconnected",
                        extra={"server": self._channel.server},
                    )
                failures = 0
                sent_facts = facts
                started = [thread for item in response.work if (thread := self.take(item))]
                for command_id in response.cancel:
                    self.cancel(command_id)
                deadline = time.monotonic() + QUICK_SECONDS
                for thread in started:
                    thread.join(max(0.0, deadline - time.monotonic()))
        finally:
            self.shutdown()
        return 0

    def _outgoing(self) -> list[InvocationResult]:
        """What the next poll carries: the final results of the commands the last poll gave,
        and the acceptances of commands still running. From now on a finishing command sends
        its own result, since the poll may wait long at the server."""
        with self._lock:
            finals = [
                r
                for r in self._spool.unacknowledged()
                if r.command_id in self._fresh and r.command_id not in self._sending
            ]
            finals = report_batches(finals)[0] if finals else []  # the rest go by `flush`
            self._sending.update(r.command_id for r in finals)
            accepted = [a for c, a in self._accepted.items() if c in self._running]
            self._accepted.clear()
            self._fresh.clear()
            self._polling = True
        return finals + accepted

    def _sent(self, results: list[InvocationResult], acknowledged: list[str] | None) -> None:
        """The poll that carried `results` ended, answered with `acknowledged` or failed (None):
        forget what was acknowledged, keep the rest for the next poll."""
        final = {r.command_id for r in results if r.status != ResultStatus.IN_PROGRESS}
        with self._lock:
            self._polling = False
            self._sending -= final
            if acknowledged is None:
                for result in results:
                    if result.status == ResultStatus.IN_PROGRESS:
                        self._accepted.setdefault(result.command_id, result)
            else:
                self._spool.acknowledge([c for c in acknowledged if c in final])

    def take(self, item: WorkItem) -> threading.Thread | None:
        """Start `item` unless it was taken before or the agent is stopping (its thread, if
        started now); its acceptance goes with the next poll while it runs."""
        with self._lock:
            if self._stopping:
                return None  # not taken: the server hands it out again
            if item.command_id in self._running:
                self._accepted[item.command_id] = _acceptance(item)
                return None
            if self._spool.knows(item.command_id):
                return None  # finished: its final result is sent instead
            self._spool.accept(item)
            cancel = threading.Event()
            thread = threading.Thread(target=self._execute, args=(item, cancel), daemon=True)
            self._running[item.command_id] = (cancel, thread)
            self._accepted[item.command_id] = _acceptance(item)
            self._fresh.add(item.command_id)
            thread.start()
        return thread

    def _execute(self, item: WorkItem, cancel: threading.Event) -> None:
        workdir = self._state_dir / "run" / item.command_id
        platform_type = self._facts().platform_type
        ran = run_item(item, workdir, cancel, platform_type, self._allow_reboot)
        result = ran.result
        if self._stopping and result.status == ResultStatus.CANCELLED:
            result = stopped(result, STOPPED)
        with self._lock:
            self._spool.finish(result)
            self._running.pop(item.command_id, None)
            polling = self._polling
        if ran.reboot and self._reboot is not None:
            log.warning(
                "a step asked for a reboot; rebooting", extra={"command_id": result.command_id}
            )
            self.flush(timeout=SHUTDOWN_SEND_SECONDS)
            self._reboot()
        elif polling:
            self.flush()

    def cancel(self, command_id: str) -> None:
        with self._lock:
            running = self._running.get(command_id)
        if running is not None:
            running[0].set()

    def flush(self, *, stale: bool = False, timeout: float | None = None) -> None:
        """Send the spooled final results not on their way yet (with `stale`, only those
        that would not ride the next poll), each request waiting up to `timeout` seconds
        if given; forget those the server acknowledges."""
        with self._lock:
            pending = [
                r
                for r in self._spool.unacknowledged()
                if r.command_id not in self._sending and not (stale and r.command_id in self._fresh)
            ]
            self._sending.update(r.command_id for r in pending)
        if not pending:
            return
        try:
            for batch in report_batches(pending):
                self._send(batch, timeout)
        finally:
            with self._lock:
                self._sending.difference_update(r.command_id for r in pending)

    def _send(self, results: list[InvocationResult], timeout: float | None) -> None:
        try:
            answer = self._channel.results(ResultsRequest(results), timeout)
        except (ChannelDown, AgentError) as exc:
            # final results stay in the spool
            if not self._send_failing:
                log.warning(
                    "could not send results yet; they are kept until sent",
                    extra={"error": str(exc)},
                )
            self._send_failing = True
            return
        self._send_failing = False
        final = {r.command_id for r in results if r.status != ResultStatus.IN_PROGRESS}
        with self._lock:
            self._spool.acknowledge([c for c in answer.acknowledged if c in final])

    def shutdown(self) -> None:
        """Stop running commands, spool their results and try once to send them; take no
        more work. Safe to call from another thread while `run` waits in a poll."""
        with self._lock:
            self._stopping = True
            running = list(self._running.values())
        for cancel, _ in running:
            cancel.set()
        for _, thread in running:
            thread.join(timeout=10)
        self.flush(timeout=SHUTDOWN_SEND_SECONDS)
