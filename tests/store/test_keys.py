"""The key port: access keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.windows import AccessKey, CalendarFeed
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _key(n: int) -> AccessKey:
    return AccessKey(f"AKIACONTRACT{n:08d}", "s" * 40, f"key {n}", NOW + timedelta(seconds=n))


@covers("insert_access_key", "get_access_key", "list_access_keys", "delete_access_key")
def test_access_keys_round_trip_oldest_first(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_access_key(_key(2))
        tx.insert_access_key(_key(1))
    with store.read() as tx:
        assert tx.get_access_key(_key(1).access_key_id) == _key(1)
        assert tx.get_access_key("AKIANOSUCHKEY0000000") is None
        ours = [k for k in tx.list_access_keys() if k.access_key_id.startswith("AKIACONTRACT")]
        assert ours == [_key(1), _key(2)]
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_access_key(_key(1))
    with store.write() as tx:
        assert tx.delete_access_key(_key(1).access_key_id)
        assert not tx.delete_access_key(_key(1).access_key_id)
    with store.read() as tx:
        assert tx.get_access_key(_key(1).access_key_id) is None
        assert tx.get_access_key(_key(2).access_key_id) == _key(2)


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
