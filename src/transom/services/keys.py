"""Access keys: the credentials API callers sign requests with (SigV4), their secrets sealed
at rest under a master key kept outside the database (`SecretBox`), each with the policy that
limits what it may do (none: everything)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.domain.policies import Policy, parse_policy
from transom.domain.windows import AccessKey, SealedSecret, StoredKey
from transom.store.port import Store

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_SECRET = re.compile(r"^\S{16,128}$")

READ_ONLY_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadOnly",
      "Effect": "Allow",
      "Action": [
        "ssm:Describe*", "ssm:Get*", "ssm:List*",
        "events:Describe*", "events:List*", "events:TestEventPattern", "events:GetEvents",
        "sns:Get*", "sns:List*"
      ],
      "Resource": "*"
    }
  ]
}
"""
"""The policy of `transom keys create --read-only`: every read of every API, no change."""


class SecretBox(Protocol):
    """Seals and opens secrets with the master keys (`transom.crypto.master_keys`)."""

    @property
    def current_id(self) -> str:
        """The id of the master key `seal` uses."""

    def seal(self, access_key_id: str, secret: str) -> SealedSecret:
        """`secret` sealed under the current master key, bound to `access_key_id`."""

    def open(self, access_key_id: str, sealed: SealedSecret) -> str:
        """The secret `sealed` holds; a `ValueError` saying why when it cannot be opened."""


@dataclass(frozen=True)
class _Cached:
    secret: str
    policy: Policy | None
    until: float


class KeyService:
    """Create, import, list and delete keys, set their policies; look secrets and policies up
    for signature and authorization checks.

    Known keys are cached (opened, their policies parsed) for `cache_seconds`, so a deleted
    key stops working, and a changed policy applies, within that time on every replica, and
    verifying a request rarely touches the database or opens a sealed secret; unknown keys
    are not cached, so a key imported by another process works at once.
    """

    def __init__(
        self, store: Store, clock: Clock, box: SecretBox, cache_seconds: float = 5.0
    ) -> None:
        self._store = store
        self._clock = clock
        self._box = box
        self._cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}

    def create(self, description: str | None = None, policy: str | None = None) -> AccessKey:
        """A new key limited by the `policy` document (None: it may do everything)."""
        key_id = "AKIA" + "".join(secrets.choice(_ALPHABET) for _ in range(16))
        return self.import_key(key_id, secrets.token_urlsafe(30), description, policy)

    def import_key(
        self,
        access_key_id: str,
        secret_access_key: str,
        description: str | None = None,
        policy: str | None = None,
    ) -> AccessKey:
        """Adopt an existing pair, so scripts that already carry credentials keep working;
        `MalformedPolicyDocumentError` for a policy that does not parse."""
        if not _ACCESS_KEY_ID.match(access_key_id):
            raise ValidationError(
                "An access key ID is 16 to 128 upper-case letters and digits, like "
                "AKIAIOSFODNN7EXAMPLE."
            )
        if not _SECRET.match(secret_access_key):
            raise ValidationError("A secret access key is 16 to 128 characters without spaces.")
        if policy is not None:
            parse_policy(policy)
        now = self._clock.now()
        sealed = self._box.seal(access_key_id, secret_access_key)
        with self._store.write() as tx:
            if tx.get_access_key(access_key_id) is not None:
                raise ValidationError(f"Access key {access_key_id} exists already.")
            tx.insert_access_key(StoredKey(access_key_id, sealed, description, now, policy))
        self._cache.pop(access_key_id, None)
        return AccessKey(access_key_id, secret_access_key, description, now)

    def list(self) -> list[StoredKey]:
        with self._store.read() as tx:
            return tx.list_access_keys()

    def delete(self, access_key_id: str) -> bool:
        with self._store.write() as tx:
            deleted = tx.delete_access_key(access_key_id)
        self._cache.pop(access_key_id, None)
        return deleted

    def set_policy(self, access_key_id: str, policy: str | None) -> None:
        """Limit the key by the `policy` document (None: it may do everything again);
        `MalformedPolicyDocumentError` or `ValidationError` for an unknown key."""
        if policy is not None:
            parse_policy(policy)
        with self._store.write() as tx:
            if not tx.set_access_key_policy(access_key_id, policy):
                raise ValidationError(f"There is no access key {access_key_id}.")
        self._cache.pop(access_key_id, None)

    def secret_for(self, access_key_id: str) -> str | None:
        """The secret of a known key, else None."""
        cached = self._lookup(access_key_id)
        return None if cached is None else cached.secret

    def policy_for(self, access_key_id: str) -> Policy | None:
        """The policy of a known key; None for a key that may do everything (or is unknown:
        signature checks refuse those first)."""
        cached = self._lookup(access_key_id)
        return None if cached is None else cached.policy

    def _lookup(self, access_key_id: str) -> _Cached | None:
        now = time.monotonic()
        cached = self._cache.get(access_key_id)
        if cached is not None and cached.until > now:
            return cached
        with self._store.read() as tx:
            key = tx.get_access_key(access_key_id)
        if key is None:
            return None
        secret = self._box.open(access_key_id, key.secret)
        policy = None if key.policy is None else parse_policy(key.policy)
        if len(self._cache) > 10_000:
            self._cache.clear()
        cached = self._cache[access_key_id] = _Cached(secret, policy, now + self._cache_seconds)
        return cached

    def sign_out_console_session(self, session_id: str, expires: datetime) -> None:
        """Refuse the console session from now on, on every replica (it would have expired at
        `expires`, after which it need not be remembered)."""
        with self._store.write() as tx:
            tx.sign_out_console_session(session_id, expires, self._clock.now())

    def console_session_signed_out(self, session_id: str) -> bool:
        with self._store.read() as tx:
            return tx.console_session_signed_out(session_id)

    def seal_all(self) -> int:
        """Check that every key's secret opens (else the box's `ValueError`, nothing changed),
        then seal under the current master key, in one transaction, each one that is not:
        those stored in plain text before secrets were sealed (a server does this as it
        starts) and those under an older master key (a rotation); how many it sealed. A key
        sealed meanwhile by another process is left as that process sealed it."""
        current = self._box.current_id
        opened = [(key, self._box.open(key.access_key_id, key.secret)) for key in self.list()]
        stale = [(key, secret) for key, secret in opened if key.secret.master_key_id != current]
        if not stale:
            return 0
        with self._store.write() as tx:
            return sum(
                tx.reseal_access_key(
                    key.access_key_id,
                    key.secret.master_key_id,
                    self._box.seal(key.access_key_id, secret),
                )
                for key, secret in stale
            )
