"""The audit port: records appended, read newest first with filters and pages, pruned."""

from __future__ import annotations

from datetime import timedelta

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from tests.support.clock import FakeClock
from transom.domain.audit import SUCCESS, AuditQuery, AuditRecord
from transom.services.audit import AuditTrail
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _record(
    minutes: int, key: str | None = "AKIAONE", resources: tuple[str, ...] = ("mw-1",)
) -> AuditRecord:
    return AuditRecord(
        at=NOW + timedelta(minutes=minutes),
        access_key_id=key,
        source="192.0.2.7",
        api="ssm",
        operation="UpdateMaintenanceWindow",
        resources=resources,
        outcome=SUCCESS,
        parameters={"WindowId": "mw-1", "Tags": [{"Key": "a", "Value": "b"}]},
    )


def _append(store: SqlStore, *records: AuditRecord) -> list[int]:
    with store.write() as tx:
        return [tx.append_audit_record(record) for record in records]


def _read(store: SqlStore, **query: object) -> tuple[list[int], int | None]:
    with store.read() as tx:
        page = tx.audit_records(AuditQuery(**query))  # type: ignore[arg-type]
    return [r.seq for r in page.items], page.next_after


@covers("append_audit_record", "audit_records")
def test_records_read_back_as_written_newest_first(store: SqlStore) -> None:
    first, second = _append(store, _record(0), _record(1, None, ("i-1", "mw-1", "c-1")))
    assert second > first
    with store.read() as tx:
        page = tx.audit_records(AuditQuery())
    assert [r.seq for r in page.items] == [second, first]
    assert page.next_after is None
    newest = page.items[0]
    assert newest == AuditRecord(
        at=NOW + timedelta(minutes=1),
        access_key_id=None,
        source="192.0.2.7",
        api="ssm",
        operation="UpdateMaintenanceWindow",
        resources=("i-1", "mw-1", "c-1"),
        outcome=SUCCESS,
        parameters={"WindowId": "mw-1", "Tags": [{"Key": "a", "Value": "b"}]},
        seq=second,
    )


@covers("audit_records")
def test_records_are_filtered_by_time_key_and_resource(store: SqlStore) -> None:
    a, b, c = _append(
        store, _record(0), _record(5, "AKIATWO", ("mw-2",)), _record(10, "AKIAONE", ())
    )
    assert _read(store, since=NOW + timedelta(minutes=5)) == ([c, b], None)
    assert _read(store, access_key_id="AKIAONE") == ([c, a], None)
    assert _read(store, resource="mw-2") == ([b], None)
    assert _read(store, resource="mw-1", access_key_id="AKIATWO") == ([], None)


@covers("audit_records")
def test_records_come_in_pages(store: SqlStore) -> None:
    seqs = _append(store, *(_record(i) for i in range(5)))
    assert _read(store, limit=2) == ([seqs[4], seqs[3]], seqs[3])
    assert _read(store, limit=2, before=seqs[3]) == ([seqs[2], seqs[1]], seqs[1])
    assert _read(store, limit=2, before=seqs[1]) == ([seqs[0]], None)


@covers("append_audit_record")
def test_overlong_fields_are_cut_to_fit(store: SqlStore) -> None:
    _append(store, _record(0, "K" * 500, ("r" * 500,)))
    with store.read() as tx:
        (record,) = tx.audit_records(AuditQuery()).items
    assert record.access_key_id == "K" * 128
    assert record.resources == ("r" * 256,)


@covers("prune_audit_records")
def test_pruning_deletes_records_made_before_the_cutoff(store: SqlStore) -> None:
    _old, kept = _append(store, _record(0), _record(10))
    with store.write() as tx:
        assert tx.prune_audit_records(NOW + timedelta(minutes=10)) == 1
    assert _read(store) == ([kept], None)
    assert _read(store, resource="mw-1") == ([kept], None)
    with store.write() as tx:
        assert tx.prune_audit_records(NOW + timedelta(minutes=10)) == 0


def test_the_trail_prunes_records_past_its_retention_when_the_reaper_calls(
    store: SqlStore,
) -> None:
    clock = FakeClock(NOW)
    trail = AuditTrail(store, clock, timedelta(days=90))
    trail.record(_record(0))
    clock.advance(timedelta(days=60))
    recent = trail.record(_record(0))
    assert trail.prune_if_due() == 0  # nothing is 90 days old yet
    clock.advance(timedelta(days=31))
    assert trail.prune_if_due() == 1  # the first record is 91 days old
    assert [r.seq for r in trail.search(AuditQuery()).items] == [recent]
    assert [r.at for r in trail.search(AuditQuery()).items] == [NOW + timedelta(days=60)]
    clock.advance(timedelta(days=60))
    assert trail.prune_if_due() == 1
