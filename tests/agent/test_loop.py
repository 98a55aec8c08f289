"""The agent's long-poll loop against a scripted server, without real sleeping."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from transom.agent.channel import Channel
from transom.agent.loop import EXIT_DEREGISTERED, MAX_BACKOFF, Agent
from transom.wire import PlatformFacts

FACTS = PlatformFacts("host", "10.0.0.5", "Linux", "Ubuntu", "22.04", "0.1.0")
COMMAND_ID = "00000000-0000-4000-8000-000000000001"
Step = Callable[[httpx.Request], httpx.Response]


def ok(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"server_time": 1.0, "work": [], "cancel": []})


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def unavailable(_: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"error": "Unavailable", "message": "restarting"})


def deregistered(_: httpx.Request) -> httpx.Response:
    return httpx.Response(
        401, json={"error": "InvalidNodeCredentials", "message": "this node was deregistered"}
    )


class Stop(threading.Event):
    """A stop event whose waits return at once and are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        return self.is_set()


class Server:
    """Answers polls with `steps` in order; once they are used up, stops the agent."""

    def __init__(self, steps: Sequence[Step], stop: Stop) -> None:
        self._steps: Iterator[Step] = iter(steps)
        self._stop = stop
        self.polls: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/agent/v1/poll"
        self.polls.append(json.loads(request.content))
        step = next(self._steps, None)
        if step is None:
            self._stop.set()
            return ok(request)
        return step(request)


def run(
    tmp_path: Path,
    steps: Sequence[Step],
    facts: Callable[[], PlatformFacts] = lambda: FACTS,
    stop: Stop | None = None,
) -> tuple[int, Server, Stop, list[str]]:
    """Run the agent against `steps`; its exit code, the server, the stop, the messages it
    logged."""
    stop = stop or Stop()
    server = Server(steps, stop)
    channel = Channel("http://server", "mi-0123456789abcdef0", "s", httpx.MockTransport(server))
    lines = Lines()
    logger = logging.getLogger("transom.agent.loop")
    level = logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    try:
        code = Agent(channel, tmp_path, facts, wait_seconds=20).run(stop)
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    return code, server, stop, lines.messages


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_each_answer_is_followed_by_the_next_poll_at_once(tmp_path: Path) -> None:
    code, server, stop, log = run(tmp_path, [ok, ok, ok])
    assert code == 0
    assert len(server.polls) == 4
    assert [poll["wait_seconds"] for poll in server.polls] == [0, 20, 20, 20]
    assert stop.waits == []
    assert log == ["connected"]


def test_facts_are_sent_first_and_then_only_when_they_change(tmp_path: Path) -> None:
    other = PlatformFacts("host", "10.0.0.9", "Linux", "Ubuntu", "22.04", "0.1.0")
    answers = iter([FACTS, FACTS, other])
    _, server, _, _ = run(tmp_path, [ok, ok, ok], facts=lambda: next(answers, other))
    sent = [poll["facts"] and poll["facts"]["ip_address"] for poll in server.polls]
    assert sent == ["10.0.0.5", None, "10.0.0.9", None]


def test_an_unreachable_server_is_retried_with_jittered_backoff_capped_at_30_seconds(
    tmp_path: Path,
) -> None:
    code, _, stop, log = run(tmp_path, [*[down] * 10, ok])
    assert code == 0
    assert len(stop.waits) == 10
    for attempt, waited in enumerate(stop.waits, start=1):
        ceiling = min(MAX_BACKOFF, 2.0**attempt)
        assert ceiling / 2 <= waited <= ceiling
    assert max(stop.waits) <= MAX_BACKOFF
    assert len(log) == 2
    assert log[0].startswith("lost the server")
    assert log[1] == "connected"


def test_losing_and_regaining_the_server_is_logged_once_each(tmp_path: Path) -> None:
    _, _, stop, log = run(tmp_path, [ok, unavailable, down, unavailable, ok, ok])
    assert len(stop.waits) == 3
    assert log == ["connected", "lost the server; retrying", "reconnected"]


def test_the_backoff_starts_over_after_a_reconnection(tmp_path: Path) -> None:
    _, _, stop, _ = run(tmp_path, [*[down] * 6, ok, down])
    assert stop.waits[-1] <= 2.0


def test_a_deregistered_node_stops_with_a_clear_message_and_a_non_zero_exit(
    tmp_path: Path,
) -> None:
    code, server, _, log = run(tmp_path, [ok, deregistered, ok])
    assert code == EXIT_DEREGISTERED != 0
    assert len(server.polls) == 2
    assert "this node was deregistered" in log[-1]


def test_a_stop_during_the_backoff_ends_the_loop_with_exit_zero(tmp_path: Path) -> None:
    class StopWhileWaiting(Stop):
        def wait(self, timeout: float | None = None) -> bool:
            self.set()
            return super().wait(timeout)

    code, server, stop, _ = run(tmp_path, [down, ok], stop=StopWhileWaiting())
    assert code == 0
    assert (len(server.polls), len(stop.waits)) == (1, 1)


def test_a_stopped_agent_does_not_poll(tmp_path: Path) -> None:
    stop = Stop()
    stop.set()
    code, server, _, _ = run(tmp_path, [ok], stop=stop)
    assert (code, server.polls) == (0, [])


class Recorder:
    """A server that hands out `script` in its first poll's answer, records every request,
    and stops the agent at its `polls`-th poll. A poll after the first waits (as one parked
    at a real server does) until a results request arrives, or at most `park` seconds."""

    def __init__(self, script: str, stop: Stop, polls: int = 3, park: float = 0) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._script, self._stop, self._polls, self._park = script, stop, polls, park
        self._results = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request.url.path, body))
        if request.url.path == "/agent/v1/results":
            self._results.set()
            return httpx.Response(
                200, json={"acknowledged": [r["command_id"] for r in body["results"]]}
            )
        polls = sum(path == "/agent/v1/poll" for path, _ in self.requests)
        work = []
        if polls == 1:
            work = [
                {
                    "command_id": COMMAND_ID,
                    "lease": "l-1",
                    "document_name": "AWS-RunShellScript",
                    "plugin_name": "aws:runShellScript",
                    "commands": [self._script],
                    "working_directory": "",
                    "execution_timeout": 30,
                }
            ]
        elif self._park:
            self._results.wait(self._park)
        if polls >= self._polls:
            self._stop.set()
        acknowledged = [
            r["command_id"] for r in body.get("results", []) if r["status"] != "InProgress"
        ]
        return httpx.Response(
            200, json={"server_time": 1.0, "work": work, "cancel": [], "acknowledged": acknowledged}
        )

    def results(self) -> list[tuple[str, str, str]]:
        """(path, command id, status) of every result sent, in order."""
        return [
            (p, r["command_id"], r["status"])
            for p, b in self.requests
            for r in b.get("results", [])
        ]


def _serve(tmp_path: Path, server: Recorder, stop: Stop) -> None:
    channel = Channel("http://server", "mi-0123456789abcdef0", "s", httpx.MockTransport(server))
    assert Agent(channel, tmp_path, lambda: FACTS, wait_seconds=20).run(stop) == 0


def test_a_command_that_ends_at_once_reports_with_the_next_poll_alone(tmp_path: Path) -> None:
    stop = Stop()
    server = Recorder("echo hi", stop)
    _serve(tmp_path, server, stop)
    assert server.results() == [("/agent/v1/poll", COMMAND_ID, "Success")]
    assert server.requests[1][1]["results"][0]["plugins"][0]["stdout"] == "hi\n"
    assert not list((tmp_path / "spool" / "results").iterdir())  # acknowledged


def test_a_longer_command_is_accepted_by_the_next_poll_and_reports_on_its_own(
    tmp_path: Path,
) -> None:
    stop = Stop()
    server = Recorder("sleep 1; echo done", stop, polls=2, park=20)
    _serve(tmp_path, server, stop)
    assert server.results() == [
        ("/agent/v1/poll", COMMAND_ID, "InProgress"),
        ("/agent/v1/results", COMMAND_ID, "Success"),
    ]
    assert server.requests[-1][1]["results"][0]["plugins"][0]["stdout"] == "done\n"
    assert not list((tmp_path / "spool" / "results").iterdir())
