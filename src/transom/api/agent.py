"""The agent channel (`/agent/v1/...`, see `transom.wire`): registration, the long poll that
hands out work, and results."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from transom.domain.commands import Outcome
from transom.domain.errors import ApiError
from transom.domain.nodes import Node, NodeFacts
from transom.services.container import Services
from transom.wire import (
    MAX_WAIT_SECONDS,
    AgentError,
    PlatformFacts,
    PollRequest,
    PollResponse,
    RegisterRequest,
    RegisterResponse,
    ResultsRequest,
    ResultsResponse,
    WorkItem,
    parse_node_authorization,
)

T = TypeVar("T")
RECHECK_SECONDS = 5.0
"""A waiting poll looks for work this often even unwoken (work sent through another replica)."""


class Signals:
    """Wakes long polls: `notify(ids)` when those nodes may have work, `stop()` when the
    server shuts down. Both may be called from any thread (a signal handler included)."""

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _set(self, waiters: Collection[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def notify(self, instance_ids: Collection[str]) -> None:
        with self._lock:
            woken = [w for i in instance_ids for w in self._waiters.get(i, [])]
        self._set(woken)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            woken = [w for waiters in self._waiters.values() for w in waiters]
        self._set(woken)

    @asynccontextmanager
    async def listening(self, instance_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set by `notify` for this node or by `stop`, registered for the block."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(instance_id, []).append(entry)
        if self.stopped:
            entry[1].set()
        try:
            yield entry[1]
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


AGENT_THREADS = 4
"""Agent-channel store calls running at once (PostgreSQL): a few keep the database busy, and
fewer threads competing for the interpreter leave time for the API and the window engine."""


def agent_routes(services: Services, signals: Signals, *, inline: bool) -> list[Route]:
    nodes, commands = services.nodes, services.commands
    threads = anyio.CapacityLimiter(AGENT_THREADS)

    async def call(function: Callable[..., T], *args: Any) -> T:
        if inline:
            return function(*args)
        return await anyio.to_thread.run_sync(functools.partial(function, *args), limiter=threads)

    async def body(request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except ValueError as exc:
            raise AgentError("InvalidRequest", f"the body is not JSON: {exc}") from exc

    async def node_of(request: Request) -> Node:
        instance_id, secret = parse_node_authorization(request.headers.get("authorization"))
        return await call(nodes.authenticate, instance_id, secret)

    async def register(request: Request) -> Response:
        message = RegisterRequest.from_json(await body(request))
        instance_id, secret = await call(
            nodes.register, message.activation_id, message.activation_code, _facts(message.facts)
        )
        return JSONResponse(RegisterResponse(instance_id, secret).to_json())

    async def poll(request: Request) -> Response:
        node = await node_of(request)
        instance_id = node.instance_id
        message = PollRequest.from_json(await body(request))
        facts = None if message.facts is None else _facts(message.facts)
        await call(nodes.heartbeat, node, facts)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(message.wait_seconds, MAX_WAIT_SECONDS))
        while True:
            async with signals.listening(instance_id) as woken:
                work, cancel = await call(commands.work_for, instance_id)
                remaining = deadline - loop.time()
                if work or cancel or remaining <= 0 or signals.stopped:
                    break
                with suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(remaining, RECHECK_SECONDS))
        items = [
            WorkItem(
                command_id=w.command.command_id,
                lease=w.invocation.lease or "",
                document_name=w.command.document_name,
                plugin_name=w.plugin_name,
                commands=w.command.parameters["commands"],
                working_directory=w.command.parameters.get("workingDirectory", [""])[0],
                execution_timeout=w.execution_timeout,
            )
            for w in work
        ]
        return JSONResponse(PollResponse(time.time(), items, cancel).to_json())

    async def results(request: Request) -> Response:
        instance_id = (await node_of(request)).instance_id
        message = ResultsRequest.from_json(await body(request))
        outcomes = [
            Outcome(
                command_id=r.command_id,
                lease=r.lease,
                status=r.status,
                response_code=r.response_code,
                stdout=r.stdout,
                stderr=r.stderr,
                started_at=_instant(r.started_at),
                finished_at=_instant(r.finished_at),
            )
            for r in message.results
        ]
        acknowledged = await call(commands.report, instance_id, outcomes)
        return JSONResponse(ResultsResponse(acknowledged).to_json())

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                response: Response = await handler(request)
            except AgentError as error:
                return JSONResponse(error.to_json(), error.status)
            except ApiError as error:
                return JSONResponse({"error": error.code, "message": error.message}, error.status)
            return response

        return endpoint

    return [
        Route("/agent/v1/register", guarded(register), methods=["POST"]),
        Route("/agent/v1/poll", guarded(poll), methods=["POST"]),
        Route("/agent/v1/results", guarded(results), methods=["POST"]),
    ]
