"""What the store holds, counted when asked: the figures a metrics scrape reports that live in
the database, so that every replica reports the same truth. One aggregate query per figure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.commands import STATUS_OF_DETAILS, CommandStatus
from transom.domain.executions import ExecutionStatus
from transom.events.transom_events import CONNECTION_LOST, ONLINE
from transom.store.port import Store


@dataclass(frozen=True)
class Counts:
    """Every state of each enum is present, with 0 when nothing is in it."""

    windows: dict[bool, int]
    """Windows by whether they are enabled."""
    next_runs: list[tuple[str, datetime]]
    """(window id, next occurrence not yet started) of enabled windows that have one."""
    window_executions: dict[ExecutionStatus, int]
    """The executions kept in the history (`--history-retention-days`), by status."""
    invocations: dict[CommandStatus, int]
    """The command invocations kept, by status."""
    nodes: dict[str, int]
    """Registered nodes by ping status (Online, ConnectionLost)."""
    deliveries_waiting: int
    """Deliveries pending that were never attempted."""
    deliveries_retrying: int
    """Deliveries pending after a failed attempt."""
    unrelayed_events: int
    """Events not yet routed to their rules' topics."""


class StoreCounts:
    def __init__(self, store: Store, clock: Clock, ping_timeout: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._ping_timeout = ping_timeout

    def read(self) -> Counts:
        """The counts now; raises when the database does not answer."""
        heard_since = self._clock.now() - self._ping_timeout
        with self._store.read() as tx:
            windows = tx.count_windows_by_enabled()
            next_runs = tx.cursor_due_times()
            executions = tx.count_window_executions()
            details = tx.count_all_invocations()
            online, lost, _ = tx.count_nodes(heard_since)
            waiting, retrying = tx.delivery_backlog()
            unrelayed = tx.count_unrelayed()
        invocations: Counter[CommandStatus] = Counter()
        for detail, n in details.items():
            invocations[STATUS_OF_DETAILS[detail]] += n
        return Counts(
            windows={enabled: windows.get(enabled, 0) for enabled in (True, False)},
            next_runs=sorted(next_runs),
            window_executions={s: executions.get(s, 0) for s in ExecutionStatus},
            invocations={s: invocations[s] for s in CommandStatus},
            nodes={ONLINE: online, CONNECTION_LOST: lost},
            deliveries_waiting=waiting,
            deliveries_retrying=retrying,
            unrelayed_events=unrelayed,
        )
