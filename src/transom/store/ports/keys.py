"""Access keys: the SigV4 credentials the server verifies requests against, their secrets
sealed (`SealedSecret`)."""

from __future__ import annotations

from typing import Protocol

from transom.domain.windows import SealedSecret, StoredKey


class KeyPort(Protocol):
    def insert_access_key(self, key: StoredKey) -> None:
        """Add the key; its id must be new (else the database's integrity error)."""

    def get_access_key(self, access_key_id: str) -> StoredKey | None:
        """The key, or None when there is none with this id."""

    def list_access_keys(self) -> list[StoredKey]:
        """All keys, oldest first."""

    def delete_access_key(self, access_key_id: str) -> bool:
        """Delete the key; False when it did not exist."""

    def reseal_access_key(self, access_key_id: str, was: str | None, secret: SealedSecret) -> bool:
        """Replace the key's secret with `secret` if it is still sealed under master key `was`
        (None: still plain text), leaving no plain text in the row; False when it is not
        (or the key is gone)."""
