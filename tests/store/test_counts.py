"""What a metrics scrape reads from every port: counts by state, the cursors' due times, and
the schema revision."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, command, execution, invocations, node, window
from tests.support.subscriptions import add_subscription, subscription
from transom.domain.commands import InvocationDetails
from transom.domain.events import AWS_SSM, Event
from transom.domain.executions import ExecutionStatus
from transom.domain.topics import Message, MessageKind
from transom.store.migrate import head_revision
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


@covers("count_windows_by_enabled", "cursor_due_times")
def test_windows_count_by_enabled_and_cursors_give_their_due_times(store: SqlStore) -> None:
    with store.read() as tx:
        assert (tx.count_windows_by_enabled(), tx.cursor_due_times()) == ({}, [])
    one, two = window(1).window_id, window(2).window_id
    with store.write() as tx:
        for n in (1, 2):
            tx.insert_window(window(n))
        tx.insert_window(window(3, enabled=False))
        tx.set_cursor(one, NOW, NOW)
        tx.set_cursor(two, None, NOW)  # nothing more is due
    with store.read() as tx:
        assert tx.count_windows_by_enabled() == {True: 2, False: 1}
        assert tx.cursor_due_times() == [(one, NOW)]


@covers("count_window_executions")
def test_window_executions_count_by_status(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_window(window(1))
        tx.insert_window_executions(
            [
                execution(1, ExecutionStatus.SUCCESS),
                execution(2, ExecutionStatus.SUCCESS),
                execution(3, ExecutionStatus.FAILED),
            ]
        )
    with store.read() as tx:
        assert tx.count_window_executions() == {
            ExecutionStatus.SUCCESS: 2,
            ExecutionStatus.FAILED: 1,
        }


@covers("count_all_invocations")
def test_invocations_of_every_command_count_by_details(store: SqlStore) -> None:
    first = command(1, (node(1).instance_id, node(2).instance_id))
    second = command(2, (node(1).instance_id,))
    with store.write() as tx:
        tx.insert_command(first, invocations(first))
        tx.insert_command(second, invocations(second, InvocationDetails.SUCCESS))
    with store.read() as tx:
        assert tx.count_all_invocations() == {
            InvocationDetails.PENDING: 2,
            InvocationDetails.SUCCESS: 1,
        }


@covers("count_nodes")
def test_nodes_count_by_whether_heard_from_since_and_deregistered(store: SqlStore) -> None:
    with store.write() as tx:
        for n in (1, 2, 3, 4):
            tx.insert_node(dataclasses.replace(node(n), last_ping_date=NOW - timedelta(hours=n)))
        tx.deregister_node(node(1).instance_id, NOW)
    with store.read() as tx:
        assert tx.count_nodes(NOW - timedelta(hours=3)) == (2, 1, 1)
        assert tx.count_nodes(NOW) == (0, 3, 1)


@covers("delivery_backlog")
def test_the_backlog_splits_into_never_attempted_and_retrying(store: SqlStore) -> None:
    for sid in ("s-1", "s-2"):
        add_subscription(store, subscription(sid, f"http://127.0.0.1/{sid}"))
    message = Message("m-1", "ops", MessageKind.NOTIFICATION, None, "{}", {}, NOW)
    with store.write() as tx:
        tx.enqueue(message, ["s-1", "s-2"])
    with store.write() as tx:
        first, second = tx.claim_deliveries("a", NOW, NOW + timedelta(seconds=30), 10, 10)
        tx.record_failure(first.seq, "a", "refused", NOW + timedelta(seconds=5))
        tx.record_delivered(second.seq, "a", NOW)
    with store.write() as tx:
        tx.enqueue(dataclasses.replace(message, message_id="m-2"), ["s-1"])
    with store.read() as tx:
        assert tx.delivery_backlog() == (1, 1)


@covers("count_unrelayed")
def test_unrelayed_events_are_counted(store: SqlStore) -> None:
    events = [
        Event(f"e-{n}", NOW, AWS_SSM, "Maintenance Window State-change Notification", (), {})
        for n in (1, 2, 3)
    ]
    with store.write() as tx:
        tx.append_events(events)
    with store.write() as tx:
        [oldest, *_] = tx.unrelayed_events(1)
        tx.mark_relayed([oldest.seq])
    with store.read() as tx:
        assert tx.count_unrelayed() == 2


@covers("schema_revisions")
def test_the_schema_revision_is_the_code_s_until_the_database_says_otherwise(
    store: SqlStore,
) -> None:
    assert store.schema_revisions() == (head_revision(), head_revision())
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    assert store.schema_revisions() == ("9999", head_revision())
