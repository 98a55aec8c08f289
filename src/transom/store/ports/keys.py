"""Access keys: the SigV4 credentials the server verifies requests against."""

from __future__ import annotations

from typing import Protocol

from transom.domain.windows import AccessKey


class KeyPort(Protocol):
    def insert_access_key(self, key: AccessKey) -> None:
        """Add the key; its id must be new (else the database's integrity error)."""

    def get_access_key(self, access_key_id: str) -> AccessKey | None:
        """The key, or None when there is none with this id."""

    def list_access_keys(self) -> list[AccessKey]:
        """All keys, oldest first."""

    def delete_access_key(self, access_key_id: str) -> bool:
        """Delete the key; False when it did not exist."""
