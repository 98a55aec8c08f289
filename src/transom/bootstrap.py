"""The composition root: settings -> store -> services -> endpoint -> app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.types import ASGIApp

from transom.api.agent import Signals
from transom.domain.clock import Clock, SystemClock
from transom.domain.events import Realm
from transom.domain.quotas import Quotas
from transom.services.command_cache import CommandCache
from transom.services.command_expiry import CommandExpiry
from transom.services.command_progress import CommandProgress
from transom.services.commands import CommandService, Wake
from transom.services.container import Services
from transom.services.dispatch import Dispatcher
from transom.services.event_feed import EventFeed
from transom.services.event_relay import EventRelay
from transom.services.history import HistoryService
from transom.services.keys import KeyService
from transom.services.nodes import NodeService
from transom.services.result_intake import ResultIntake
from transom.services.rules import RuleService
from transom.services.scheduler import Scheduler
from transom.services.schedules import ScheduleService
from transom.services.tags import TagService
from transom.services.tasks import TaskService
from transom.services.topics import TopicService
from transom.services.window_runner import WindowRunner
from transom.services.window_targets import TargetService
from transom.services.windows import WindowService
from transom.store.port import Store
from transom.store.sql import SqlStore


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8770
    quotas: Quotas = field(default_factory=Quotas)
    node_ping_timeout: timedelta = timedelta(minutes=5)
    history_retention: timedelta = timedelta(days=30)
    realm: Realm = field(default_factory=Realm)

    @property
    def url(self) -> str:
        """The database URL: the one given, else the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'transom.db'}"


def open_store(settings: Settings) -> SqlStore:
    """Open (and migrate) the store, creating the data directory for SQLite."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqlStore.open(settings.url)


def build_services(
    store: Store, clock: Clock, settings: Settings, wake: Wake = lambda _ids: None
) -> Services:
    """The use cases; `wake` is told which nodes may have new work (their long polls)."""
    realm = settings.realm
    cache = CommandCache()
    progress = CommandProgress(clock, cache, realm)
    commands = CommandService(store, clock, wake, progress)
    return Services(
        windows=WindowService(store, clock, settings.quotas, realm),
        targets=TargetService(store, clock, settings.quotas, realm),
        tasks=TaskService(store, clock, settings.quotas, realm),
        tags=TagService(store, settings.quotas),
        keys=KeyService(store, clock),
        schedules=ScheduleService(store, clock),
        nodes=NodeService(store, clock, settings.node_ping_timeout, realm),
        commands=commands,
        dispatch=Dispatcher(store, clock, cache, progress),
        results=ResultIntake(store, clock, progress, wake),
        expiry=CommandExpiry(store, clock, progress),
        scheduler=Scheduler(store, clock, realm),
        runner=WindowRunner(store, clock, commands, realm),
        history=HistoryService(store, clock, settings.history_retention, realm),
        event_feed=EventFeed(store, realm),
        topics=TopicService(store, clock, realm),
        rules=RuleService(store, clock, settings.quotas, realm),
    )


def build_app(
    store: SqlStore, settings: Settings, signals: Signals, clock: Clock | None = None
) -> ASGIApp:
    """The application with its engine loops; `signals.stop()` when shutdown begins."""
    from transom.api.agent import AgentChannel
    from transom.api.app import create_app
    from transom.api.edge import StoreCalls
    from transom.api.rest import rest_routes
    from transom.engine.reaper import reap_forever
    from transom.engine.relay import relay_forever
    from transom.engine.windows import WindowEngine
    from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
    from transom.protocol.query.endpoint import QueryEndpoint

    clock = clock or SystemClock()
    services = build_services(store, clock, settings, signals.notify)
    calls = StoreCalls(inline=store.engine.dialect.name == "sqlite")
    relay = EventRelay(store, settings.realm, services.rules)

    async def reap() -> int:
        """Expire undeliverable invocations, and report nodes that have gone quiet."""
        return await calls(services.expiry.expire) + await calls(services.nodes.report_lost)

    async def pending() -> bool:
        return await calls(relay.pending)

    async def relay_batch() -> int:
        return await calls(relay.relay)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = WindowEngine(services.scheduler, services.runner, services.history, clock)
        loops = [
            asyncio.create_task(reap_forever(reap)),
            asyncio.create_task(engine.run_forever()),
            asyncio.create_task(relay_forever(pending, relay_batch)),
        ]
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()

    return create_app(
        AwsJsonEndpoint(services, clock),
        calls=calls,
        query=QueryEndpoint(services, clock),
        agent=AgentChannel(services, signals, calls),
        extra_routes=rest_routes(services, clock, calls, lambda: signals.stopped),
        lifespan=lifespan,
    )
