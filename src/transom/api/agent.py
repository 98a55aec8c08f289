"""The agent channel (`/agent/v1/...`, see `transom.wire`): registration, the long poll that
hands out work (and may carry results), and results."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.types import Receive, Scope, Send

from transom.api.coalesce import Coalescer
from transom.api.edge import StoreCalls, read_body, send_reply
from transom.domain.commands import InvocationDetails, Outcome, PluginDetails, PluginRun
from transom.domain.nodes import Node, NodeFacts
from transom.protocol.edge import JsonBodyError, as_api_error, decode_json
from transom.services.container import Services
from transom.services.dispatch import Work
from transom.wire import (
    MAX_REPORT_BYTES,
    MAX_WAIT_SECONDS,
    AgentError,
    InvocationResult,
    PlatformFacts,
    PluginStatus,
    PollRequest,
    PollResponse,
    RegisterRequest,
    RegisterResponse,
    ResultsRequest,
    ResultsResponse,
    ResultStatus,
    StepItem,
    WorkItem,
    parse_node_authorization,
)

if TYPE_CHECKING:  # bootstrap imports this module for `Signals` without the metrics library
    from transom.api.metrics import RequestMetrics

log = logging.getLogger(__name__)
A = TypeVar("A")
B = TypeVar("B")
RECHECK_SECONDS = 5.0
"""Waiting polls look for work this often even unwoken (work sent through another replica
that no change announced: the safety net), unless told otherwise."""
SWEEP_BATCH = 500
"""Waiting nodes looked up per read when they look for work unwoken."""
REGISTER_BYTES = 8 * 1024
"""The largest registration body read (it comes before any authentication): a registration
carries two ids and six short platform facts, well under 1 KiB."""
MAX_DEPTH = 16
"""Arrays and objects a request body may nest (the messages nest 3 deep)."""
_HEADERS = ((b"content-type", b"application/json"),)
Body = Callable[[], Awaitable[Any]]
"""Reads the request body, with the route's size limit, and decodes its JSON."""


MAX_POLLS_PER_NODE = 2
"""Polls of one node waiting at once; a newer one releases the oldest (it answers at once,
with whatever work there is): an agent whose connection broke polls again at once, and the
poll it left behind must not hold the new one back."""


class Listener:
    """A waiting poll: `event` is set when it should look for work again, and `released`
    when a newer poll of its node took its place (it should answer now)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        self.released = False


class Signals:
    """Wakes long polls: `notify(ids)` when those nodes may have work, `stop()` when the
    server shuts down. Both may be called from any thread, but not from a signal handler:
    they take a lock that the event loop's thread holds while it registers a poll."""

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._waiters: dict[str, list[Listener]] = {}

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _set(self, waiters: Collection[Listener]) -> None:
        for waiter in waiters:
            waiter.loop.call_soon_threadsafe(waiter.event.set)

    def notify(self, instance_ids: Collection[str]) -> None:
        with self._lock:
            woken = [w for i in instance_ids for w in self._waiters.get(i, [])]
        self._set(woken)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            woken = [w for waiters in self._waiters.values() for w in waiters]
        self._set(woken)

    def waiting(self) -> list[str]:
        """The nodes with a poll listening now."""
        with self._lock:
            return list(self._waiters)

    @asynccontextmanager
    async def listening(self, instance_id: str) -> AsyncIterator[Listener]:
        """A listener woken by `notify` for this node or by `stop`, registered for the block;
        past `MAX_POLLS_PER_NODE` of this node's, the oldest is released."""
        entry = Listener(asyncio.get_running_loop())
        with self._lock:
            waiters = self._waiters.setdefault(instance_id, [])
            waiters.append(entry)
            released = waiters[:-MAX_POLLS_PER_NODE]
            for oldest in released:
                oldest.released = True
        self._set(released)
        if self.stopped:
            entry.event.set()
        try:
            yield entry
        finally:
            with self._lock:
                waiters = self._waiters[instance_id]
                waiters.remove(entry)
                if not waiters:
                    del self._waiters[instance_id]


def _facts(facts: PlatformFacts) -> NodeFacts:
    return NodeFacts(**dataclasses.asdict(facts))


def _instant(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _item(work: Work) -> WorkItem:
    command = work.command
    first = work.runs[0]
    return WorkItem(
        command_id=command.command_id,
        lease=work.invocation.lease or "",
        document_name=command.document_name,
        plugin_name=first.action,
        commands=first.commands,
        working_directory=first.working_directory,
        execution_timeout=first.timeout_seconds,
        steps=[
            StepItem(
                name=run.name,
                plugin_name=run.action,
                commands=run.commands,
                working_directory=run.working_directory,
                execution_timeout=run.timeout_seconds,
                platform_type=run.platform_type or "",
                on_failure=run.on_failure,
                exit_on_success=run.exit_on_success,
                finally_step=run.finally_step,
            )
            for run in work.runs
        ],
    )


def _beyond_version_1(work: Work) -> InvocationResult | None:
    """The Failed result of `work` when an agent of wire version 1 cannot run it as the
    document says (it runs one step, without a precondition); None when it can."""
    runs = work.runs
    if len(runs) == 1 and runs[0].platform_type is None:
        return None
    now = time.time()
    reason = (
        f"The agent on this node is too old to run {work.command.document_name}, a document of "
        f"{len(runs)} steps or with a precondition; upgrade the agent to one of this server's "
        "version and send the command again. Nothing ran."
    )
    lease = work.invocation.lease or ""
    return InvocationResult(
        work.command.command_id, lease, ResultStatus.FAILED, -1, "", reason, now, now
    )


_DETAILS_OF_RESULT = {
    ResultStatus.IN_PROGRESS: InvocationDetails.IN_PROGRESS,
    ResultStatus.SUCCESS: InvocationDetails.SUCCESS,
    ResultStatus.FAILED: InvocationDetails.FAILED,
    ResultStatus.TIMED_OUT: InvocationDetails.EXECUTION_TIMED_OUT,
    ResultStatus.CANCELLED: InvocationDetails.CANCELLED,
}
"""The details an invocation moves to when its agent reports it in this status."""


_DETAILS_OF_PLUGIN = {
    PluginStatus.SUCCESS: PluginDetails.SUCCESS,
    PluginStatus.FAILED: PluginDetails.FAILED,
    PluginStatus.TIMED_OUT: PluginDetails.EXECUTION_TIMED_OUT,
    PluginStatus.CANCELLED: PluginDetails.CANCELLED,
    PluginStatus.SKIPPED: PluginDetails.SKIPPED,
}


def _outcome(result: InvocationResult) -> Outcome:
    """The outcome `result` reports; with plugins, the invocation's outputs are theirs
    joined (in order)."""
    plugins = tuple(
        PluginRun(
            name=p.name,
            details=_DETAILS_OF_PLUGIN[p.status],
            response_code=p.response_code,
            stdout=p.stdout,
            stderr=p.stderr,
            started_date=_instant(p.started_at),
            finished_date=_instant(p.finished_at),
            position=position,
        )
        for position, p in enumerate(result.plugins)
    )
    return Outcome(
        command_id=result.command_id,
        lease=result.lease,
        details=_DETAILS_OF_RESULT[result.status],
        response_code=result.response_code,
        stdout=result.stdout + "".join(p.stdout for p in result.plugins),
        stderr=result.stderr + "".join(p.stderr for p in result.plugins),
        started_at=_instant(result.started_at),
        finished_at=_instant(result.finished_at),
        plugins=plugins,
    )


AGENT_THREADS = 4
"""Agent-channel store calls running at once (PostgreSQL): a few keep the database busy, and
fewer threads competing for the interpreter leave time for the API and the window engine."""


class AgentChannel:
    """The agent channel as a bare ASGI app for `/agent/v1/...` (the hot path of Run Command:
    no routing or middleware). Concurrent requests' store calls are coalesced (`Coalescer`):
    authentications, result reports, pings and hand-outs each run one batch at a time, one
    transaction per batch. Each request is timed into `metrics` (api `agent`, operation the
    route's last segment)."""

    def __init__(
        self,
        services: Services,
        signals: Signals,
        calls: StoreCalls,
        metrics: RequestMetrics,
        look_now: Callable[[], asyncio.Event] = asyncio.Event,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        """`look_now()`, called in the event loop, gives the event set when work may have
        come through another replica (a change heard, on PostgreSQL): the waiting polls
        look for theirs at once instead of within `recheck_seconds`."""
        self._nodes = services.nodes
        self._signals = signals
        self._metrics = metrics
        self._look_now = look_now
        self._recheck_seconds = recheck_seconds
        self._call = calls.limited(AGENT_THREADS)
        self._authenticate: Coalescer[tuple[str, str], Node] = self._batched(
            self._nodes.authenticate_all
        )
        self._report = self._batched(services.results.report_all)
        self._heartbeat = self._batched(self._heartbeat_all)
        self._work_for = self._batched(services.dispatch.work_for_all)
        self._with_work = services.dispatch.nodes_with_work
        self._sweeping: asyncio.Task[None] | None = None
        # Each route with its operation and the largest body it reads: poll and results carry
        # results.
        self._routes: dict[
            str, tuple[str, Callable[[str, Body], Awaitable[dict[str, Any]]], int]
        ] = {
            "/agent/v1/register": ("register", self._register, REGISTER_BYTES),
            "/agent/v1/poll": ("poll", self._poll, MAX_REPORT_BYTES),
            "/agent/v1/results": ("results", self._results, MAX_REPORT_BYTES),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        route = self._routes.get(scope["path"])
        operation: str | None = None
        error: str | None = None
        try:
            if route is None or scope["method"] != "POST":
                raise AgentError(
                    "InvalidRequest", f"no such call: {scope['method']} {scope['path']}", 404
                )
            operation, handler, limit = route
            authorization = ""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value.decode("latin-1")

            async def body() -> Any:
                return _json(await read_body(scope, receive, limit))

            status, answer = 200, await handler(authorization, body)
        except Exception as exc:
            status, answer = _error_answer(exc)
            error = answer["error"]
        await send_reply(send, status, json.dumps(answer).encode(), _HEADERS)
        self._metrics.observe("agent", operation, time.perf_counter() - started, error)

    def _batched(self, function: Callable[[list[A]], Sequence[B | Exception]]) -> Coalescer[A, B]:
        """Concurrent requests' calls of `function` as one call (one transaction)."""

        async def run(items: list[A]) -> list[B | Exception]:
            return list(await self._call(function, items))

        return Coalescer(run)

    def _heartbeat_all(self, pings: list[tuple[Node, NodeFacts | None]]) -> list[None]:
        self._nodes.heartbeat(pings)
        return [None] * len(pings)

    async def _node(self, authorization: str) -> Node:
        return await self._authenticate.submit(parse_node_authorization(authorization))

    async def _apply(self, instance_id: str, results: list[InvocationResult]) -> list[str]:
        if not results:
            return []
        return await self._report.submit((instance_id, [_outcome(r) for r in results]))

    async def _register(self, _authorization: str, body: Body) -> dict[str, Any]:
        message = RegisterRequest.from_json(await body())
        instance_id, secret = await self._call(
            self._nodes.register,
            message.activation_id,
            message.activation_code,
            _facts(message.facts),
        )
        return RegisterResponse(instance_id, secret).to_json()

    async def _poll(self, authorization: str, body: Body) -> dict[str, Any]:
        node = await self._node(authorization)
        instance_id = node.instance_id
        message = PollRequest.from_json(await body())
        acknowledged = await self._apply(instance_id, message.results)
        facts = None if message.facts is None else _facts(message.facts)
        if self._nodes.ping_due(node, facts):
            await self._heartbeat.submit((node, facts))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(message.wait_seconds, MAX_WAIT_SECONDS))
        if self._sweeping is None:
            self._sweeping = loop.create_task(self._sweep_forever())
        with self._metrics.polls.track_inprogress():
            async with self._signals.listening(instance_id) as listener:
                woken = listener.event
                while True:
                    woken.clear()  # before looking: a wake-up from now on is not lost
                    work, cancel = await self._work_for.submit(instance_id)
                    remaining = deadline - loop.time()
                    if work or cancel or remaining <= 0 or self._signals.stopped:
                        break
                    if listener.released:  # a newer poll of this node waits instead
                        break
                    with suppress(TimeoutError):  # a timeout, not wait_for: no task per wait
                        async with asyncio.timeout(remaining):
                            await woken.wait()
                    if not woken.is_set():
                        break  # the wait is over: nothing came
        if message.wire_version < 2:
            refused = [r for w in work if (r := _beyond_version_1(w)) is not None]
            if refused:
                await self._apply(instance_id, refused)
                gone = {r.command_id for r in refused}
                work = [w for w in work if w.command.command_id not in gone]
        items = [_item(w) for w in work]
        return PollResponse(time.time(), items, cancel, acknowledged).to_json()

    async def _sweep_forever(self) -> None:
        """When work may have come through another replica, and every `recheck_seconds`
        anyway, until the server stops: wake the waiting polls of nodes that have work no
        wake-up of this replica announced, with one read for every `SWEEP_BATCH` of them,
        not one for each (started by the first poll)."""
        look = self._look_now()
        while not self._signals.stopped:
            with suppress(TimeoutError):
                async with asyncio.timeout(self._recheck_seconds):
                    await look.wait()
            look.clear()  # before looking: work that comes meanwhile is looked for again
            waiting = self._signals.waiting()
            for start in range(0, len(waiting), SWEEP_BATCH):
                try:
                    found = await self._call(self._with_work, waiting[start : start + SWEEP_BATCH])
                except Exception:
                    log.exception("looking for work of waiting polls failed; trying again")
                    break
                self._signals.notify(found)

    async def _results(self, authorization: str, body: Body) -> dict[str, Any]:
        instance_id = (await self._node(authorization)).instance_id
        message = ResultsRequest.from_json(await body())
        return ResultsResponse(await self._apply(instance_id, message.results)).to_json()


def _json(body: bytes) -> Any:
    try:
        return decode_json(body, MAX_DEPTH)
    except JsonBodyError as exc:
        raise AgentError("InvalidRequest", f"the body is {exc}") from None


def _error_answer(exc: Exception) -> tuple[int, dict[str, Any]]:
    """The answer to any exception, in the channel's shape `{"error", "message"}`: the one
    mapping of this protocol's errors (anything unexpected is the logged internal error)."""
    if isinstance(exc, AgentError):
        return exc.status, exc.to_json()
    error = as_api_error(exc)
    return error.status, {"error": error.code, "message": error.message}
