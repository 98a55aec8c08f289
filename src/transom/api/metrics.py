"""Prometheus metrics (`prometheus_client`), in a registry of the app's own.

Two kinds: what this process observed (request latency and errors per operation, agent polls
in flight, how late the window executions it started began, its store connection pool, and
the client library's process figures), and what the database holds, read through
`services.store_counts` at each scrape so that every replica reports the same truth. Names
and labels are listed in the README ("Watching it")."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from transom.services.store_counts import Counts

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which `generate_latest` writes and every Prometheus reads."""
UNKNOWN = "unknown"
"""The operation label of a request that names none this server knows."""
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25)
"""Seconds; an agent's poll waits up to 20 s for work."""
START_DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)


class PoolUse(Protocol):
    """The store's connection pool now."""

    @property
    def checked_out(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def limit(self) -> int: ...


class RequestMetrics:
    """Latency and errors per operation of each HTTP surface (`api`: ssm, events, sns, agent,
    rest), and the agent polls waiting. Recorded on the event loop at the end of each request:
    a cached child per label set keeps it to a few microseconds."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._latency = Histogram(
            "transom_request_duration_seconds",
            "Time from a request's arrival to its answer, by API and operation (an agent poll "
            "includes its wait for work).",
            ["api", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._errors = Counter(
            "transom_request_errors",
            "Requests answered with an error, by API, operation and error code.",
            ["api", "operation", "code"],
            registry=registry,
        )
        self.polls = Gauge(
            "transom_agent_polls_in_flight",
            "Agent long polls this process holds open now.",
            registry=registry,
        )
        self._timers: dict[tuple[str, str], Histogram] = {}
        self._counters: dict[tuple[str, str, str], Counter] = {}

    def observe(self, api: str, operation: str | None, seconds: float, error: str | None) -> None:
        """One request answered after `seconds`, with the error code `error` if it failed."""
        key = (api, operation or UNKNOWN)
        timer = self._timers.get(key)
        if timer is None:
            timer = self._timers[key] = self._latency.labels(*key)
        timer.observe(seconds)
        if error is not None:
            error_key = (*key, error)
            counter = self._counters.get(error_key)
            if counter is None:
                counter = self._counters[error_key] = self._errors.labels(*error_key)
            counter.inc()


class _StoreCollector(Collector):
    """The counts kept in the database, read at each scrape (one query per family)."""

    def __init__(self, read: Callable[[], Counts]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "transom_database_up",
            "1 when this scrape read the counts kept in the database; 0 when the database did "
            "not answer (the counts are missing then).",
        )
        try:
            counts = self._read()
        except Exception as exc:
            first_line = str(exc).strip().partition("\n")[0]
            log.warning("metrics: the database does not answer: %s", first_line)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *_count_families(counts)]


def _count_families(counts: Counts) -> Iterable[Metric]:
    windows = GaugeMetricFamily(
        "transom_windows", "Maintenance windows, by whether enabled.", labels=["enabled"]
    )
    for enabled, n in counts.windows.items():
        windows.add_metric([str(enabled).lower()], n)
    next_runs = GaugeMetricFamily(
        "transom_window_next_run_timestamp_seconds",
        "When each enabled window next runs: the next occurrence not yet started (in the past "
        "while it is overdue).",
        labels=["window_id"],
    )
    for window_id, due in counts.next_runs:
        next_runs.add_metric([window_id], due.timestamp())
    executions = GaugeMetricFamily(
        "transom_window_executions",
        "Window executions kept in the history, by status.",
        labels=["status"],
    )
    for status, n in counts.window_executions.items():
        executions.add_metric([status.value], n)
    invocations = GaugeMetricFamily(
        "transom_invocations", "Command invocations kept, by status.", labels=["status"]
    )
    for command_status, n in counts.invocations.items():
        invocations.add_metric([command_status.value], n)
    nodes = GaugeMetricFamily(
        "transom_nodes", "Registered managed nodes, by ping status.", labels=["ping_status"]
    )
    for ping_status, n in counts.nodes.items():
        nodes.add_metric([ping_status], n)
    backlog = GaugeMetricFamily(
        "transom_delivery_backlog",
        "Deliveries to subscriptions not yet made: waiting (never attempted) and retrying "
        "(after a failed attempt).",
        labels=["state"],
    )
    backlog.add_metric(["waiting"], counts.deliveries_waiting)
    backlog.add_metric(["retrying"], counts.deliveries_retrying)
    unrelayed = GaugeMetricFamily(
        "transom_events_unrelayed",
        "Events not yet routed to their rules' topics.",
        value=counts.unrelayed_events,
    )
    return [windows, next_runs, executions, invocations, nodes, backlog, unrelayed]


class _PoolCollector(Collector):
    def __init__(self, read: Callable[[], PoolUse]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        pool = self._read()
        return [
            GaugeMetricFamily(
                "transom_store_pool_checked_out",
                "Store connections this process has in use now (on SQLite each thread that "
                "reads keeps one).",
                value=pool.checked_out,
            ),
            GaugeMetricFamily(
                "transom_store_pool_size",
                "Store connections the pool keeps open.",
                value=pool.size,
            ),
            GaugeMetricFamily(
                "transom_store_pool_limit",
                "The most store connections the pool opens at once.",
                value=pool.limit,
            ),
        ]


class Metrics:
    """Every metric of one app, in one registry."""

    def __init__(self, pool: Callable[[], PoolUse]) -> None:
        # `_created` samples would double the series for nothing (the function is untyped).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = RequestMetrics(self.registry)
        self._start_delay = Histogram(
            "transom_window_start_delay_seconds",
            "From a scheduled occurrence's time to the start of its execution, for the "
            "executions this process started (missed and skipped occurrences never start).",
            buckets=START_DELAY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_PoolCollector(pool))

    def count_from(self, counts: Callable[[], Counts]) -> None:
        """Report the counts kept in the database, read at each scrape with `counts`."""
        self.registry.register(_StoreCollector(counts))

    def start_delays(self, delays: list[timedelta]) -> None:
        for delay in delays:
            self._start_delay.observe(delay.total_seconds())

    def exposition(self) -> bytes:
        """The text format (`CONTENT_TYPE`); reads the database, so call it off the loop."""
        return generate_latest(self.registry)
