"""A limit on sign-in attempts that fail: at most `limit` in any `period` seconds per source
address and per access key id, so that guessing secrets through the console is slow.

Counted in this process: behind a load balancer each replica counts its own, so the limit a
client meets is at most the replica count times `limit`."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_TRACKED = 10_000
"""Past this many addresses and key ids tracked, those with no recent failure are dropped."""


class FailedAttempts:
    def __init__(
        self, limit: int = 10, period: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, who: str, now: float) -> deque[float]:
        failures = self._failures.get(who, deque())
        while failures and failures[0] <= now - self.period:
            failures.popleft()
        return failures

    def refused(self, *who: str) -> bool:
        """Whether any of `who` (a source address, a key id) failed `limit` times lately."""
        now = self._clock()
        return any(len(self._recent(w, now)) >= self.limit for w in who)

    def failed(self, *who: str) -> None:
        now = self._clock()
        if len(self._failures) >= MAX_TRACKED:
            self._failures = {w: f for w, f in self._failures.items() if self._recent(w, now)}
        for w in who:
            self._failures[w] = self._recent(w, now)
            self._failures[w].append(now)
