"""The key port: access keys, their secrets sealed or (from before sealing) plain."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.windows import CalendarFeed, Role, SealedSecret, StoredKey
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND
SEALED = SealedSecret("mk-0123456789abcdef", b"\x00sealed\xff" * 8)
PLAIN = SealedSecret(None, b"s" * 40)


def _key(n: int, secret: SealedSecret = SEALED) -> StoredKey:
    return StoredKey(f"AKIACONTRACT{n:08d}", secret, f"key {n}", NOW + timedelta(seconds=n))


@covers("insert_access_key", "get_access_key", "list_access_keys", "delete_access_key")
def test_access_keys_round_trip_oldest_first(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_access_key(_key(2, PLAIN))
        tx.insert_access_key(_key(1))
    with store.read() as tx:
        assert tx.get_access_key(_key(1).access_key_id) == _key(1)
        assert tx.get_access_key("AKIANOSUCHKEY0000000") is None
        ours = [k for k in tx.list_access_keys() if k.access_key_id.startswith("AKIACONTRACT")]
        assert ours == [_key(1), _key(2, PLAIN)]
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_access_key(_key(1))
    with store.write() as tx:
        assert tx.delete_access_key(_key(1).access_key_id)
        assert not tx.delete_access_key(_key(1).access_key_id)
    with store.read() as tx:
        assert tx.get_access_key(_key(1).access_key_id) is None
        assert tx.get_access_key(_key(2).access_key_id) == _key(2, PLAIN)


@covers("reseal_access_key")
def test_a_secret_is_resealed_only_from_the_master_key_it_is_under(store: SqlStore) -> None:
    other = SealedSecret("mk-fedcba9876543210", b"resealed" * 5)
    plain, sealed = _key(3, PLAIN), _key(4)
    with store.write() as tx:
        tx.insert_access_key(plain)
        tx.insert_access_key(sealed)
        assert not tx.reseal_access_key(plain.access_key_id, SEALED.master_key_id, other)
        assert not tx.reseal_access_key(sealed.access_key_id, None, other)
        assert not tx.reseal_access_key("AKIANOSUCHKEY0000000", None, other)
        assert tx.reseal_access_key(plain.access_key_id, None, SEALED)
        assert tx.reseal_access_key(sealed.access_key_id, SEALED.master_key_id, other)
    with store.read() as tx:
        assert tx.get_access_key(plain.access_key_id) == _key(3, SEALED)
        assert tx.get_access_key(sealed.access_key_id) == _key(4, other)
    with store.engine.connect() as conn:
        plain_left = conn.execute(
            sa.text("SELECT secret_access_key FROM access_keys WHERE access_key_id = :id"),
            {"id": plain.access_key_id},
        ).scalar()
    assert plain_left is None


@covers("put_calendar_feed", "calendar_feed_of", "calendar_feed_by_hash")
def test_a_key_has_one_calendar_feed_which_goes_with_the_key(store: SqlStore) -> None:
    key = _key(3)
    first = CalendarFeed(key.access_key_id, "a" * 64, NOW)
    second = CalendarFeed(key.access_key_id, "b" * 64, NOW + timedelta(seconds=1))
    with store.write() as tx:
        tx.insert_access_key(key)
        assert tx.calendar_feed_of(key.access_key_id) is None
        tx.put_calendar_feed(first)
    with store.read() as tx:
        assert tx.calendar_feed_of(key.access_key_id) == first
        assert tx.calendar_feed_by_hash("a" * 64) == first
    with store.write() as tx:
        tx.put_calendar_feed(second)
    with store.read() as tx:
        assert tx.calendar_feed_of(key.access_key_id) == second
        assert tx.calendar_feed_by_hash("a" * 64) is None
        assert tx.calendar_feed_by_hash("b" * 64) == second
    with store.write() as tx:
        tx.delete_access_key(key.access_key_id)
    with store.read() as tx:
        assert tx.calendar_feed_of(key.access_key_id) is None
        assert tx.calendar_feed_by_hash("b" * 64) is None


POLICY = '{"Statement": {"Effect": "Allow", "Action": "ssm:Get*", "Resource": "*"}}'


@covers("set_access_key_policy")
def test_a_key_keeps_its_policy_and_none_means_admin(store: SqlStore) -> None:
    limited = StoredKey("AKIACONTRACTPOLICY01", SEALED, None, NOW, POLICY)
    admin = _key(9)
    with store.write() as tx:
        tx.insert_access_key(limited)
        tx.insert_access_key(admin)
    with store.read() as tx:
        assert tx.get_access_key(limited.access_key_id) == limited
        assert tx.get_access_key(admin.access_key_id) == admin
        assert admin.policy is None
    with store.write() as tx:
        assert tx.set_access_key_policy(admin.access_key_id, POLICY)
        assert tx.set_access_key_policy(limited.access_key_id, None)
        assert not tx.set_access_key_policy("AKIANOSUCHKEY0000000", POLICY)
    with store.read() as tx:
        assert tx.get_access_key(admin.access_key_id) == StoredKey(
            admin.access_key_id, SEALED, admin.description, admin.created_date, POLICY
        )
        assert tx.get_access_key(limited.access_key_id) == StoredKey(
            limited.access_key_id, SEALED, None, NOW, None
        )


@covers("insert_role", "get_role", "list_roles", "delete_role")
def test_roles_round_trip_by_name(store: SqlStore) -> None:
    staging = Role("contract-staging", POLICY, "staging only", NOW)
    backups = Role("contract-backups", POLICY, None, NOW)
    with store.write() as tx:
        tx.insert_role(staging)
        tx.insert_role(backups)
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_role(staging)
    with store.read() as tx:
        assert tx.get_role("contract-staging") == staging
        assert tx.get_role("contract-nothing") is None
        ours = [r for r in tx.list_roles() if r.name.startswith("contract-")]
        assert ours == [backups, staging]
    with store.write() as tx:
        assert tx.delete_role("contract-staging")
        assert not tx.delete_role("contract-staging")
    with store.read() as tx:
        assert tx.get_role("contract-staging") is None


@covers("sign_out_console_session", "console_session_signed_out")
def test_signed_out_console_sessions_are_kept_until_they_expire(store: SqlStore) -> None:
    with store.write() as tx:
        tx.sign_out_console_session("early", NOW + timedelta(hours=1), NOW)
        tx.sign_out_console_session("late", NOW + timedelta(hours=3), NOW)
        tx.sign_out_console_session("late", NOW + timedelta(hours=3), NOW)  # twice: no error
    with store.read() as tx:
        assert tx.console_session_signed_out("early")
        assert tx.console_session_signed_out("late")
        assert not tx.console_session_signed_out("other")
    with store.write() as tx:
        tx.sign_out_console_session("other", NOW + timedelta(hours=5), NOW + timedelta(hours=2))
    with store.read() as tx:
        assert not tx.console_session_signed_out("early")  # expired: forgotten
        assert tx.console_session_signed_out("late")
        assert tx.console_session_signed_out("other")
