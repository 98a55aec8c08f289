"""Access keys, roles, calendar feeds and console sign-outs on SQLAlchemy Core
(`transom.store.ports.keys.KeyPort`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.windows import (
    CalendarFeed,
    Role,
    SealedSecret,
    StoredKey,
)
from transom.store import schema as t


def _secret_columns(secret: SealedSecret) -> dict[str, Any]:
    if secret.master_key_id is None:
        plain = secret.ciphertext.decode()
        return {"secret_access_key": plain, "master_key_id": None, "sealed_secret": None}
    return {
        "secret_access_key": None,
        "master_key_id": secret.master_key_id,
        "sealed_secret": secret.ciphertext,
    }


def _stored_key(row: sa.Row[Any]) -> StoredKey:
    m = row._mapping
    if m["master_key_id"] is None:
        secret = SealedSecret(None, m["secret_access_key"].encode())
    else:
        secret = SealedSecret(m["master_key_id"], bytes(m["sealed_secret"]))
    return StoredKey(m["access_key_id"], secret, m["description"], m["created_date"], m["policy"])


# Hot lookups, built once: constructing a statement costs more than running it on SQLite.
_GET_ACCESS_KEY = sa.select(t.access_keys).where(
    t.access_keys.c.access_key_id == sa.bindparam("id")
)


class KeyQueries:
    _conn: Connection

    # access keys
    def insert_access_key(self, key: StoredKey) -> None:
        self._conn.execute(
            t.access_keys.insert().values(
                access_key_id=key.access_key_id,
                description=key.description,
                created_date=key.created_date,
                policy=key.policy,
                **_secret_columns(key.secret),
            )
        )

    def get_access_key(self, access_key_id: str) -> StoredKey | None:
        row = self._conn.execute(_GET_ACCESS_KEY, {"id": access_key_id}).first()
        return None if row is None else _stored_key(row)

    def list_access_keys(self) -> list[StoredKey]:
        rows = self._conn.execute(sa.select(t.access_keys).order_by(t.access_keys.c.created_date))
        return [_stored_key(r) for r in rows]

    def delete_access_key(self, access_key_id: str) -> bool:
        result = self._conn.execute(
            t.access_keys.delete().where(t.access_keys.c.access_key_id == access_key_id)
        )
        self._conn.execute(
            t.calendar_feeds.delete().where(t.calendar_feeds.c.access_key_id == access_key_id)
        )
        return result.rowcount > 0

    def reseal_access_key(self, access_key_id: str, was: str | None, secret: SealedSecret) -> bool:
        column = t.access_keys.c.master_key_id
        result = self._conn.execute(
            t.access_keys.update()
            .where(
                t.access_keys.c.access_key_id == access_key_id,
                column.is_(None) if was is None else column == was,
            )
            .values(**_secret_columns(secret))
        )
        return result.rowcount > 0

    def set_access_key_policy(self, access_key_id: str, policy: str | None) -> bool:
        keys = t.access_keys
        result = self._conn.execute(
            keys.update().where(keys.c.access_key_id == access_key_id).values(policy=policy)
        )
        return result.rowcount > 0

    def insert_role(self, role: Role) -> None:
        self._conn.execute(t.roles.insert().values(vars(role)))

    def get_role(self, name: str) -> Role | None:
        row = self._conn.execute(sa.select(t.roles).where(t.roles.c.name == name)).first()
        return None if row is None else Role(**row._mapping)

    def list_roles(self) -> list[Role]:
        rows = self._conn.execute(sa.select(t.roles).order_by(t.roles.c.name))
        return [Role(**r._mapping) for r in rows]

    def delete_role(self, name: str) -> bool:
        return self._conn.execute(t.roles.delete().where(t.roles.c.name == name)).rowcount > 0

    def put_calendar_feed(self, feed: CalendarFeed) -> None:
        feeds = t.calendar_feeds
        self._conn.execute(feeds.delete().where(feeds.c.access_key_id == feed.access_key_id))
        self._conn.execute(feeds.insert().values(vars(feed)))

    def calendar_feed_of(self, access_key_id: str) -> CalendarFeed | None:
        feeds = t.calendar_feeds
        row = self._conn.execute(
            sa.select(feeds).where(feeds.c.access_key_id == access_key_id)
        ).first()
        return None if row is None else CalendarFeed(**row._mapping)

    def calendar_feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        feeds = t.calendar_feeds
        row = self._conn.execute(sa.select(feeds).where(feeds.c.token_hash == token_hash)).first()
        return None if row is None else CalendarFeed(**row._mapping)

    def sign_out_console_session(self, session_id: str, expires: datetime, now: datetime) -> None:
        ended = t.console_sign_outs
        self._conn.execute(ended.delete().where(ended.c.expires_date <= now))
        self._conn.execute(ended.delete().where(ended.c.session_id == session_id))
        self._conn.execute(ended.insert().values(session_id=session_id, expires_date=expires))

    def console_session_signed_out(self, session_id: str) -> bool:
        ended = t.console_sign_outs
        query = sa.select(ended.c.session_id).where(ended.c.session_id == session_id)
        return self._conn.execute(query).first() is not None
