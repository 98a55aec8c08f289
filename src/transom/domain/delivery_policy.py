"""When a failed delivery is tried again and when it is given up.

SNS's HTTP delivery policy is the model. It retries in phases: immediately, then at
`minDelayTarget`, then backing off from `minDelayTarget` to `maxDelayTarget` (linear,
arithmetic, geometric or exponential), then at `maxDelayTarget`, for `numRetries` retries in
all. Its default (3 retries, 20 s apart, linear) gives up within a minute, too soon for an
endpoint that is down for a deploy. Here the back-off is exponential from 1 s, capped at 5
minutes (the effective policy the topics API reports), with jitter so that deliveries failed
together do not come back together, and it goes on until an hour has passed since the
delivery was first due: about 20 attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    min_delay: timedelta = timedelta(seconds=1)
    """The wait after the first failure."""
    max_delay: timedelta = timedelta(minutes=5)
    """No wait is longer."""
    give_up_after: timedelta = timedelta(hours=1)
    """A delivery failing this long after it was first due is given up."""
    jitter: float = 0.5
    """Each wait is shortened by up to this share of itself, at random."""

    def delay(self, failures: int, draw: float) -> timedelta:
        """The wait after the `failures`-th failed attempt (1 for the first): `min_delay`
        doubled for each earlier failure, capped at `max_delay`, then shortened by
        `jitter * draw` of itself; `draw` is uniform in [0, 1)."""
        doubled = self.min_delay.total_seconds() * 2.0 ** min(max(failures - 1, 0), 64)
        base = min(self.max_delay.total_seconds(), doubled)
        return timedelta(seconds=base * (1 - self.jitter * draw))

    def next_attempt(
        self, first_due: datetime, failures: int, now: datetime, draw: float
    ) -> datetime | None:
        """When to try again after the `failures`-th failure, at `now`, of a delivery first
        due at `first_due`; None to give up, which happens only once `give_up_after` has
        passed since `first_due`, so the attempts span at least that long."""
        if now - first_due >= self.give_up_after:
            return None
        return now + self.delay(failures, draw)
