"""Calendar feeds: a secret URL per access key at which calendar apps read the coming runs.

The token is shown once, when made; only its SHA-256 is kept, so the database does not hold
a working feed URL. Making a new one revokes the old. A feed works only while its key
exists (deleting a key deletes its feed)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from transom.domain.clock import Clock
from transom.domain.windows import CalendarFeed
from transom.store.port import Store

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeeds:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def issue(self, access_key_id: str) -> str:
        """A new feed token for the key, revoking the one it had."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._store.write() as tx:
            tx.put_calendar_feed(CalendarFeed(access_key_id, _hash(token), self._clock.now()))
        return token

    def issued(self, access_key_id: str) -> datetime | None:
        """When the key's current feed token was made; None when it has none."""
        with self._store.read() as tx:
            feed = tx.calendar_feed_of(access_key_id)
        return None if feed is None else feed.created_date

    def key_of(self, token: str) -> str | None:
        """The access key whose current feed token `token` is, else None."""
        if not token or len(token) > 128:
            return None
        with self._store.read() as tx:
            feed = tx.calendar_feed_by_hash(_hash(token))
            if feed is None or tx.get_access_key(feed.access_key_id) is None:
                return None
        return feed.access_key_id
