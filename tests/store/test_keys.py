"""The key port: access keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.windows import AccessKey
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
