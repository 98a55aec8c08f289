"""Results fit the server's body limit: one result at the largest an agent sends fits one
request, and more results than fit one request go in several."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from transom.agent.channel import Channel
from transom.agent.loop import Agent
from transom.agent.script import OUTPUT_LIMIT, run_item
from transom.agent.spool import Spool
from transom.wire import (
    MAX_OUTPUT_CHARS,
    MAX_PLUGINS,
    MAX_REPORT_BYTES,
    InvocationResult,
    PlatformFacts,
    PluginResult,
    PluginStatus,
    ResultsRequest,
    ResultStatus,
    StepItem,
    WorkItem,
    report_batches,
)

FACTS = PlatformFacts("host", "10.0.0.5", "Linux", "Ubuntu", "22.04", "0.1.0")
WORST = '\x00\x1f"\\\u00e9\u20ac\ufffd\U0001f600'  # escapes and multi-byte characters


def result(command_id: str, output: str) -> InvocationResult:
    return InvocationResult(command_id, "lease", ResultStatus.SUCCESS, 0, output, output, 1.0, 2.0)


def encoded(results: list[InvocationResult]) -> int:
    """Bytes of the body as the agent's HTTP client sends it."""
    return len(
        httpx.Request("POST", "http://server", json=ResultsRequest(results).to_json()).content
    )


def test_the_agent_cuts_output_at_the_limit_the_wire_allows_for(tmp_path: Path) -> None:
    assert OUTPUT_LIMIT == MAX_OUTPUT_CHARS
    command = f"head -c {OUTPUT_LIMIT + 1} /dev/zero | tr '\\0' x"
    cut = run_item(_item(command), tmp_path, threading.Event()).result.plugins[0].stdout
    assert cut.startswith("x" * OUTPUT_LIMIT)
    assert len(cut) < MAX_OUTPUT_CHARS + 1024


def test_the_limit_holds_over_all_the_steps_of_an_item(tmp_path: Path) -> None:
    command = f"head -c {OUTPUT_LIMIT // 3} /dev/zero | tr '\\0' x"
    plugins = run_item(_item(*[command] * 5), tmp_path, threading.Event()).result.plugins
    kept = [p.stdout for p in plugins]
    assert [len(k) for k in kept[:3]] == [OUTPUT_LIMIT // 3] * 3
    assert "output cut" in kept[3]
    assert kept[4] == ""
    assert sum(len(k) for k in kept) < MAX_OUTPUT_CHARS + 1024


def _item(*commands: str) -> WorkItem:
    """Work of one step per command, each printing to stdout."""
    steps = [StepItem(f"s{n}", "aws:runShellScript", [c], "", 60) for n, c in enumerate(commands)]
    return WorkItem(
        "00000000-0000-4000-8000-000000000001",
        "lease",
        "Runbook",
        "aws:runShellScript",
        [commands[0]],
        "",
        60,
        steps,
    )


def test_a_result_of_the_most_plugins_at_the_largest_fits_one_request() -> None:
    name = "n" * 100
    plugins = [PluginResult(name, PluginStatus.SKIPPED, 0, "", "", 1.0, 2.0)] * MAX_PLUGINS
    largest = "x" * (MAX_OUTPUT_CHARS + 1023)
    plugins[0] = PluginResult(name, PluginStatus.SUCCESS, 0, largest, largest, 1.0, 2.0)
    sample = InvocationResult("c-1", "lease", ResultStatus.SUCCESS, 0, "", "", 1.0, 2.0, plugins)
    assert sample.size_bound() <= MAX_REPORT_BYTES - 4096
    for char in WORST:
        small = [PluginResult(name, PluginStatus.FAILED, -1, char * 500, char, 1.0, 2.0)] * 3
        each = InvocationResult("c-1", "lease", ResultStatus.FAILED, 1, "", "", 1.0, 2.0, small)
        assert encoded([each]) <= each.size_bound()


def test_a_result_takes_no_more_bytes_than_its_bound() -> None:
    for char in WORST:
        sample = result("c-1", char * 1000)
        assert encoded([sample]) <= sample.size_bound()


def test_one_result_at_the_largest_fits_one_request() -> None:
    largest = result("c-1", "x" * (MAX_OUTPUT_CHARS + 1023))
    assert largest.size_bound() <= MAX_REPORT_BYTES - 4096
    assert report_batches([largest, largest]) == [[largest], [largest]]


def test_results_are_batched_in_order_within_the_limit() -> None:
    half = "x" * (MAX_OUTPUT_CHARS // 2)
    results = [result(f"c-{n}", half) for n in range(5)]
    batches = report_batches(results)
    assert batches == [results[0:2], results[2:4], results[4:]]
    assert all(sum(r.size_bound() for r in batch) < MAX_REPORT_BYTES for batch in batches)
    assert report_batches([]) == []


def test_a_flush_sends_more_than_one_request_holds_as_several(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    half = "x" * (MAX_OUTPUT_CHARS // 2)
    for n in range(3):
        spool.finish(result(f"c-{n}", half))
    sent: list[tuple[int, list[str]]] = []

    def server(request: httpx.Request) -> httpx.Response:
        ids = [r["command_id"] for r in json.loads(request.content)["results"]]
        sent.append((len(request.content), ids))
        return httpx.Response(200, json={"acknowledged": ids})

    channel = Channel("http://server", "mi-0123456789abcdef0", "s", httpx.MockTransport(server))
    Agent(channel, tmp_path, lambda: FACTS, wait_seconds=20).flush()
    assert [len(ids) for _, ids in sent] == [2, 1]
    assert sorted(i for _, ids in sent for i in ids) == ["c-0", "c-1", "c-2"]
    assert all(size <= MAX_REPORT_BYTES for size, _ in sent)
    assert not spool.unacknowledged()
