"""Access keys: the credentials API callers sign requests with (SigV4)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.domain.windows import AccessKey
from transom.store.port import Store

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_SECRET = re.compile(r"^\S{16,128}$")


@dataclass(frozen=True)
class _Cached:
    secret: str
    until: float


class KeyService:
    """Create, import, list and delete keys; look secrets up for signature checks.

    Known keys are cached for `cache_seconds`, so a deleted key stops working within that time
    on every replica and verifying a request rarely touches the database; unknown keys are
    not cached, so a key imported by another process works at once.
    """

    def __init__(self, store: Store, clock: Clock, cache_seconds: float = 5.0) -> None:
        self._store = store
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}

    def create(self, description: str | None = None) -> AccessKey:
        key_id = "AKIA" + "".join(secrets.choice(_ALPHABET) for _ in range(16))
        return self.import_key(key_id, secrets.token_urlsafe(30), description)

    def import_key(
        self, access_key_id: str, secret_access_key: str, description: str | None = None
    ) -> AccessKey:
        """Adopt an existing pair, so scripts that already carry credentials keep working."""
        if not _ACCESS_KEY_ID.match(access_key_id):
            raise ValidationError(
                "An access key ID is 16 to 128 upper-case letters and digits, like "
                "AKIAIOSFODNN7EXAMPLE."
            )
        if not _SECRET.match(secret_access_key):
            raise ValidationError("A secret access key is 16 to 128 characters without spaces.")
        key = AccessKey(access_key_id, secret_access_key, description, self._clock.now())
        with self._store.write() as tx:
            if tx.get_access_key(access_key_id) is not None:
                raise ValidationError(f"Access key {access_key_id} exists already.")
            tx.insert_access_key(key)
        self._cache.pop(access_key_id, None)
        return key

    def list(self) -> list[AccessKey]:
        with self._store.read() as tx:
            return tx.list_access_keys()

    def delete(self, access_key_id: str) -> bool:
        with self._store.write() as tx:
            deleted = tx.delete_access_key(access_key_id)
        self._cache.pop(access_key_id, None)
        return deleted

    def secret_for(self, access_key_id: str) -> str | None:
        """The secret of a known key, else None."""
        now = time.monotonic()
        cached = self._cache.get(access_key_id)
        if cached is not None and cached.until > now:
            return cached.secret
        with self._store.read() as tx:
            key = tx.get_access_key(access_key_id)
        if key is None:
            return None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[access_key_id] = _Cached(key.secret_access_key, now + self._cache_seconds)
        return key.secret_access_key
