"""The composition root: settings -> store -> services -> endpoint -> app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette

from transom.domain.clock import Clock, SystemClock
from transom.domain.quotas import Quotas
from transom.services.container import Services
from transom.services.keys import KeyService
from transom.services.schedules import ScheduleService
from transom.services.tags import TagService
from transom.services.targets import TargetService
from transom.services.tasks import TaskService
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

    @property
    def url(self) -> str:
        """The database URL: the one given, else the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'transom.db'}"


def open_store(settings: Settings) -> SqlStore:
    """Open (and migrate) the store, creating the data directory for SQLite."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqlStore.open(settings.url)


def build_services(store: Store, clock: Clock, quotas: Quotas) -> Services:
    return Services(
        windows=WindowService(store, clock, quotas),
        targets=TargetService(store, clock, quotas),
        tasks=TaskService(store, clock, quotas),
        tags=TagService(store, quotas),
        keys=KeyService(store, clock),
        schedules=ScheduleService(store, clock),
    )


def build_app(store: SqlStore, settings: Settings, clock: Clock | None = None) -> Starlette:
    from transom.api.app import create_app
    from transom.protocol.awsjson.endpoint import AwsJsonEndpoint

    clock = clock or SystemClock()
    services = build_services(store, clock, settings.quotas)
    inline = store.engine.dialect.name == "sqlite"
    return create_app(AwsJsonEndpoint(services, clock), inline=inline)
