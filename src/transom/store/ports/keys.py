"""Access keys: the SigV4 credentials the server verifies requests against, their secrets
sealed (`SealedSecret`), their policies, the calendar feed each may have, and the console
sessions signed out before they expired; and the roles window tasks run as."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from transom.domain.windows import CalendarFeed, Role, SealedSecret, StoredKey


class KeyPort(Protocol):
    def insert_access_key(self, key: StoredKey) -> None:
        """Add the key; its id must be new (else the database's integrity error)."""

    def get_access_key(self, access_key_id: str) -> StoredKey | None:
        """The key, or None when there is none with this id."""

    def list_access_keys(self) -> list[StoredKey]:
        """All keys, oldest first."""

    def delete_access_key(self, access_key_id: str) -> bool:
        """Delete the key and its calendar feed; False when the key did not exist."""

    def reseal_access_key(self, access_key_id: str, was: str | None, secret: SealedSecret) -> bool:
        """Replace the key's secret with `secret` if it is still sealed under master key `was`
        (None: still plain text), leaving no plain text in the row; False when it is not
        (or the key is gone)."""

    def set_access_key_policy(self, access_key_id: str, policy: str | None) -> bool:
        """Give the key this policy document (None: none, it may do everything); False when
        there is no such key."""

    def insert_role(self, role: Role) -> None:
        """Add the role; its name must be new (else the database's integrity error)."""

    def get_role(self, name: str) -> Role | None:
        """The role, or None when there is none of this name."""

    def list_roles(self) -> list[Role]:
        """All roles, by name."""

    def delete_role(self, name: str) -> bool:
        """Delete the role; False when there was none of this name."""

    def put_calendar_feed(self, feed: CalendarFeed) -> None:
        """Make `feed` its key's calendar feed, replacing the one it had."""

    def calendar_feed_of(self, access_key_id: str) -> CalendarFeed | None:
        """The key's calendar feed, or None when it has none."""

    def calendar_feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        """The calendar feed whose token has this hash, or None."""

    def sign_out_console_session(self, session_id: str, expires: datetime, now: datetime) -> None:
        """Record that the session was signed out (it would have expired at `expires`), and
        forget the sign-outs of sessions expired by `now`."""

    def console_session_signed_out(self, session_id: str) -> bool:
        """Whether the session was signed out (and has not expired since)."""
