"""The composition root: settings -> store -> services -> endpoint -> app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from starlette.applications import Starlette
from starlette.types import ASGIApp

from transom.api.agent import Signals
from transom.crypto.master_keys import MasterKeys
from transom.domain.clock import Clock, SystemClock
from transom.domain.delivery_policy import RetryPolicy
from transom.domain.events import Realm
from transom.domain.quotas import Quotas
from transom.services.audit import AuditTrail
from transom.services.authorization import Authorizer
from transom.services.calendar import CalendarService
from transom.services.calendar_feeds import CalendarFeeds
from transom.services.command_cache import CommandCache
from transom.services.command_expiry import CommandExpiry
from transom.services.command_progress import CommandProgress
from transom.services.commands import CommandService, Wake
from transom.services.container import Services
from transom.services.delivery import DeliveryService
from transom.services.dispatch import Dispatcher
from transom.services.documents import DocumentService
from transom.services.event_feed import EventFeed
from transom.services.event_relay import EventRelay
from transom.services.history import HistoryService
from transom.services.keys import KeyService
from transom.services.nodes import NodeService
from transom.services.output_links import LABEL, OutputLinks
from transom.services.overview import OverviewService
from transom.services.readiness import Readiness
from transom.services.result_intake import ResultIntake
from transom.services.roles import RoleService
from transom.services.rules import RuleService
from transom.services.scheduler import Scheduler
from transom.services.schedules import ScheduleService
from transom.services.store_counts import StoreCounts
from transom.services.tags import TagService
from transom.services.tasks import TaskService
from transom.services.topics import TopicService
from transom.services.window_runner import StartDelays, WindowRunner
from transom.services.window_targets import TargetService
from transom.services.windows import WindowService
from transom.store.port import Store
from transom.store.ports.changes import Change
from transom.store.sql import SqlStore

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from transom.api.metrics import Metrics
    from transom.events.senders import Senders


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8770
    quotas: Quotas = field(default_factory=Quotas)
    node_ping_timeout: timedelta = timedelta(minutes=5)
    history_retention: timedelta = timedelta(days=30)
    audit_retention: timedelta = timedelta(days=90)
    """How long the audit trail keeps its records."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of the reverse proxies whose `X-Forwarded-For` names the client (in the
    audit trail); none: the client is the socket's peer."""
    realm: Realm = field(default_factory=Realm)
    public_url: str | None = None
    """The server's base URL as clients reach it (in SNS's SubscribeURL, UnsubscribeURL and
    SigningCertURL, and in the links to commands' output); default `SCHEME://HOST:PORT`."""
    signing_key: Path | None = None
    """The PEM file with the key (and certificate) that signs SNS messages; default
    `sns-signing-key.pem` in the data directory, made on first start. Replicas share one."""
    smtp_url: str | None = None
    """The SMTP server of email deliveries (see `events.smtp`); none: they fail."""
    ca_bundle: Path | None = None
    """CA certificates (PEM) trusted for HTTPS deliveries besides the system's."""
    delivery_policy: RetryPolicy = field(default_factory=RetryPolicy)
    metrics: Literal["open", "key", "off"] = "key"
    """Who may read `/metrics` (see `api.metrics_access`)."""
    metrics_token_file: Path | None = None
    """The bearer token of `/metrics` under `key`; default `metrics-token` in the data
    directory, made on first start. Replicas share one."""
    tls_cert: Path | None = None
    """The server's certificate chain (PEM) to serve https with; None: plain http."""
    tls_key: Path | None = None
    """The private key (PEM) of `tls_cert`."""
    master_key_file: Path | None = None
    """The master key file that seals access-key secrets at rest (`crypto.master_keys`);
    default `master-key` in the data directory, made on first start. Replicas share one."""
    delivery_timeout: float = 10.0
    """Seconds one delivery attempt may take; a replica that dies mid-attempt holds the
    delivery three times as long (a clean stop hands it back)."""
    console_idle_timeout: timedelta = timedelta(minutes=30)
    """How long a console session lasts without a request."""
    recheck_seconds: float = 5.0
    """How often waiting polls look for work nobody told this replica of: the safety net
    under the changes replicas announce to each other (PostgreSQL)."""

    @property
    def scheme(self) -> str:
        return "http" if self.tls_cert is None else "https"

    @property
    def base_url(self) -> str:
        """`public_url` without a trailing slash, or `SCHEME://HOST:PORT`."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def signing_key_file(self) -> Path:
        return self.signing_key or self.data_dir / "sns-signing-key.pem"

    @property
    def metrics_token_path(self) -> Path:
        return self.metrics_token_file or self.data_dir / "metrics-token"

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master-key"

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
    store: Store,
    clock: Clock,
    settings: Settings,
    wake: Wake = lambda _ids: None,
    deliveries_due: Callable[[], None] = lambda: None,
    start_delays: StartDelays = lambda _delays: None,
) -> Services:
    """The use cases; `wake` is told which nodes may have new work (their long polls),
    `deliveries_due` that a delivery may be due now (the delivery worker), `start_delays`
    how late scheduled window executions started (the metrics)."""
    realm = settings.realm
    cache = CommandCache()
    progress = CommandProgress(clock, cache, realm)
    commands = CommandService(store, clock, wake, progress)
    master_keys = MasterKeys(settings.master_key_path)
    windows = WindowService(store, clock, settings.quotas, realm)
    schedules = ScheduleService(store, clock)
    keys = KeyService(store, clock, master_keys)
    authorizer = Authorizer(store, keys, realm)
    return Services(
        windows=windows,
        targets=TargetService(store, clock, settings.quotas, realm),
        tasks=TaskService(store, clock, settings.quotas, realm),
        tags=TagService(store, settings.quotas),
        documents=DocumentService(store, clock, settings.quotas, realm),
        keys=keys,
        schedules=schedules,
        nodes=NodeService(store, clock, settings.node_ping_timeout, realm),
        commands=commands,
        output_links=OutputLinks(
            commands, lambda: master_keys.derived(LABEL), settings.base_url, clock
        ),
        dispatch=Dispatcher(store, clock, cache, progress),
        results=ResultIntake(store, clock, progress, wake),
        expiry=CommandExpiry(store, clock, progress),
        scheduler=Scheduler(store, clock, realm),
        runner=WindowRunner(store, clock, commands, realm, start_delays),
        history=HistoryService(store, clock, settings.history_retention, realm),
        event_feed=EventFeed(store, realm),
        topics=TopicService(store, clock, realm, deliveries_due),
        rules=RuleService(store, clock, settings.quotas, realm),
        deliveries=DeliveryService(
            store,
            clock,
            realm,
            settings.delivery_policy,
            attempt_timeout=settings.delivery_timeout,
            wake=deliveries_due,
        ),
        counts=StoreCounts(store, clock, settings.node_ping_timeout),
        readiness=Readiness(store),
        overview=OverviewService(store, clock, windows, settings.node_ping_timeout),
        calendar=CalendarService(store, clock, windows),
        calendar_feeds=CalendarFeeds(store, clock),
        audit=AuditTrail(store, clock, settings.audit_retention),
        authorizer=authorizer,
        roles=RoleService(store, clock, realm),
    )


def build_senders(settings: Settings) -> Senders:
    """The senders of deliveries, with the signing key (made on first start); `ValueError`
    saying what is wrong with the SMTP URL or the key file."""
    from transom.events.senders import Senders, tls_context
    from transom.events.signing import SigningKey
    from transom.events.smtp import SmtpServer
    from transom.events.sns_messages import SnsMessages

    settings.signing_key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        key = SigningKey.load_or_create(settings.signing_key_file)
    except ValueError as exc:
        raise ValueError(f"cannot use the signing key {settings.signing_key_file}: {exc}") from exc
    smtp = None if settings.smtp_url is None else SmtpServer.parse(settings.smtp_url)
    messages = SnsMessages(settings.realm, settings.base_url, key)
    return Senders(messages, smtp, tls_context(settings.ca_bundle), settings.delivery_timeout)


def build_app(
    store: SqlStore, settings: Settings, signals: Signals, clock: Clock | None = None
) -> ASGIApp:
    """The application with its engine loops; `signals.stop()` when shutdown begins.
    `ValueError` saying what is wrong with a file it needs (the signing key, the metrics
    token, the master key, which must open every access key's secret)."""
    from transom.api.agent import AgentChannel
    from transom.api.app import create_app
    from transom.api.console.routes import console_routes
    from transom.api.edge import StoreCalls
    from transom.api.metrics import Metrics
    from transom.api.rest import rest_routes
    from transom.api.sns_certificate import certificate_route
    from transom.engine.delivery import DeliveryWorker
    from transom.engine.doorbell import Doorbell
    from transom.engine.reaper import reap_forever
    from transom.engine.relay import relay_forever
    from transom.engine.windows import WindowEngine
    from transom.events.sns_messages import CERTIFICATE_PATH
    from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
    from transom.protocol.query.endpoint import QueryEndpoint

    clock = clock or SystemClock()
    doorbell = Doorbell()
    sweep, windows = Doorbell(), Doorbell()  # what other replicas' changes wake
    listener = store.listener({Change.COMMANDS: sweep.ring, Change.WINDOWS: windows.ring})
    metrics = Metrics(store.pool_use)
    services = build_services(
        store, clock, settings, signals.notify, doorbell.ring, metrics.start_delays
    )
    services.keys.seal_all()  # keys stored before secrets were sealed, a rotation cut short
    metrics.count_from(services.counts.read)
    watch = _watch_routes(settings, services, metrics, clock)
    senders = build_senders(settings)
    calls = StoreCalls(inline=store.engine.dialect.name == "sqlite")
    relay = EventRelay(store, settings.realm, services.rules, doorbell.ring)

    async def reap() -> int:
        """Expire undeliverable invocations, report nodes that have gone quiet, and prune
        the audit trail past its retention."""
        return (
            await calls(services.expiry.expire)
            + await calls(services.nodes.report_lost)
            + await calls(services.audit.prune_if_due)
        )

    async def pending() -> bool:
        return await calls(relay.pending)

    async def relay_batch() -> int:
        return await calls(relay.relay)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engine = WindowEngine(
            services.scheduler, services.runner, services.history, clock, doorbell=windows
        )
        worker = DeliveryWorker(services.deliveries, senders.send, clock, doorbell, calls=calls)
        if listener is not None:
            listener.start()
        loops = [
            asyncio.create_task(reap_forever(reap)),
            asyncio.create_task(engine.run_forever()),
            asyncio.create_task(relay_forever(pending, relay_batch)),
            asyncio.create_task(worker.run_forever()),
        ]
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            await senders.aclose()

    return create_app(
        AwsJsonEndpoint(services, clock),
        calls=calls,
        metrics=metrics.requests,
        query=QueryEndpoint(services, clock),
        agent=AgentChannel(
            services, signals, calls, metrics.requests, sweep.attach, settings.recheck_seconds
        ),
        extra_routes=[
            *rest_routes(services, clock, calls, metrics.requests, lambda: signals.stopped),
            certificate_route(CERTIFICATE_PATH, senders.messages.key.certificate_pem()),
            *watch,
            *console_routes(services, clock, calls, settings.console_idle_timeout.total_seconds()),
        ],
        lifespan=lifespan,
    )


def _watch_routes(
    settings: Settings, services: Services, metrics: Metrics, clock: Clock
) -> list[BaseRoute]:
    """`/ready`, and `/metrics` unless turned off (with its token, made on first start)."""
    from transom.api.metrics_access import MetricsAccess, MetricsGuard, load_or_create_token
    from transom.api.watch_routes import metrics_route, ready_route

    access = MetricsAccess(settings.metrics)
    token = None
    if access is MetricsAccess.KEY:
        token = load_or_create_token(settings.metrics_token_path)
    routes: list[BaseRoute] = [ready_route(services.readiness)]
    if access is not MetricsAccess.OFF:
        routes.append(metrics_route(metrics, MetricsGuard(token, services.keys.secret_for, clock)))
    return routes
