"""The command port: Run Command commands and their per-node invocations."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, command, invocations, node
from transom.domain.commands import (
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
    PluginDetails,
    PluginRun,
)
from transom.store.ports.commands import InvocationMove, InvocationUpdate
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND
A, B, C = (node(n).instance_id for n in (1, 2, 3))


@covers("insert_command", "insert_commands", "get_command", "list_commands")
def test_commands_round_trip_newest_first(store: SqlStore) -> None:
    first, second, third = command(1, (A, B)), command(2, (A,)), command(3)
    with store.write() as tx:
        tx.insert_command(first, invocations(first))
        tx.insert_commands([])
        tx.insert_commands([(second, invocations(second)), (third, [])])
    with store.read() as tx:
        assert tx.get_command(first.command_id) == first
        assert tx.get_command(command(9).command_id) is None
        assert tx.list_commands() == [third, second, first]
        assert tx.list_invocations(first.command_id) == invocations(first)
        assert tx.list_invocations(third.command_id) == []


@covers("commands_of")
def test_commands_are_read_many_at_once(store: SqlStore) -> None:
    first, second, third = command(1, (A, B)), command(2, (A,)), command(3)
    with store.write() as tx:
        tx.insert_commands([(first, invocations(first)), (second, []), (third, [])])
    with store.read() as tx:
        found = tx.commands_of([first.command_id, third.command_id, command(9).command_id])
        assert sorted(found, key=lambda c: c.command_id) == sorted(
            [first, third], key=lambda c: c.command_id
        )
        assert tx.commands_of([]) == []


@covers("command_statuses_of", "set_command_statuses")
def test_the_statuses_of_many_commands_are_read_and_set_at_once(store: SqlStore) -> None:
    first, second, third = command(1), command(2), command(3)
    with store.write() as tx:
        tx.insert_commands([(first, []), (second, []), (third, [])])
        tx.set_command_statuses([])
        tx.set_command_statuses(
            [
                (first.command_id, CommandStatus.SUCCESS, CommandDetails.SUCCESS),
                (third.command_id, CommandStatus.IN_PROGRESS, CommandDetails.CANCELLING),
            ]
        )
    with store.read() as tx:
        assert tx.command_statuses_of([first.command_id, second.command_id, "c-9"]) == {
            first.command_id: ("Success", "Success"),
            second.command_id: ("Pending", "Pending"),
        }
        assert tx.command_statuses_of([third.command_id]) == {
            third.command_id: ("InProgress", "Cancelling")
        }
        assert tx.command_statuses_of([]) == {}


@covers("insert_plugins", "list_plugins")
def test_the_plugins_of_invocations_round_trip_by_node_in_document_order(store: SqlStore) -> None:
    first = command(1, (A, B))
    ran = PluginRun("one", PluginDetails.FAILED, 3, "out", "err", NOW, NOW + timedelta(seconds=1))
    skipped = PluginRun("two", PluginDetails.SKIPPED, 0, "why", "", NOW, NOW, position=1)
    with store.write() as tx:
        tx.insert_commands([(first, invocations(first))])
        tx.insert_plugins([])
        tx.insert_plugins([(first.command_id, B, [skipped, ran]), (first.command_id, A, [ran])])
    with store.read() as tx:
        assert tx.list_plugins(first.command_id) == {A: [ran], B: [ran, skipped]}
        assert tx.list_plugins(first.command_id, B) == {B: [ran, skipped]}
        assert tx.list_plugins(first.command_id, C) == {}
        assert tx.list_plugins(command(9).command_id) == {}


@covers("get_command_status", "set_command_status", "mark_commands_started")
def test_a_command_is_marked_started_only_from_pending(store: SqlStore) -> None:
    started, cancelling = command(1), command(2)
    with store.write() as tx:
        tx.insert_commands([(started, []), (cancelling, [])])
        tx.set_command_status(
            cancelling.command_id, CommandStatus.PENDING, CommandDetails.CANCELLING
        )
        assert tx.mark_commands_started(
            [started.command_id, cancelling.command_id, command(9).command_id]  # 9: none
        ) == {started.command_id}
        assert tx.mark_commands_started([]) == set()
    with store.read() as tx:
        assert tx.get_command_status(started.command_id) == ("InProgress", "In Progress")
        assert tx.get_command_status(cancelling.command_id) == ("Pending", "Cancelling")
        assert tx.get_command_status(command(9).command_id) is None
        found = tx.get_command(started.command_id)
        assert found == dataclasses.replace(
            started, status=CommandStatus.IN_PROGRESS, status_details=CommandDetails.IN_PROGRESS
        )
    with store.write() as tx:
        tx.set_command_status(started.command_id, CommandStatus.SUCCESS, CommandDetails.SUCCESS)
        assert tx.mark_commands_started([started.command_id]) == set()
    with store.read() as tx:
        assert tx.get_command_status(started.command_id) == ("Success", "Success")


@covers(
    "get_invocation",
    "invocations_of",
    "list_invocations",
    "count_invocations",
    "count_invocations_of",
)
def test_invocations_are_found_by_command_and_by_node(store: SqlStore) -> None:
    first, second = command(1, (B, A)), command(2, (A, C))
    with store.write() as tx:
        tx.insert_commands([(first, invocations(first)), (second, invocations(second))])
        tx.transition(
            second.command_id,
            C,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.IN_PROGRESS},
        )
    a1, b1 = (
        Invocation(first.command_id, i, InvocationDetails.PENDING, NOW, instance_name=i)
        for i in (A, B)
    )
    a2, c2 = (
        Invocation(second.command_id, i, InvocationDetails.PENDING, NOW, instance_name=i)
        for i in (A, C)
    )
    c2 = dataclasses.replace(c2, details=InvocationDetails.IN_PROGRESS)
    with store.read() as tx:
        assert tx.get_invocation(first.command_id, A) == a1
        assert tx.get_invocation(first.command_id, C) is None
        found = tx.invocations_of([second.command_id, command(9).command_id])
        assert sorted(found, key=lambda i: i.instance_id) == [a2, c2]
        assert tx.invocations_of([]) == []
        assert tx.list_invocations() == [a1, b1, a2, c2]
        assert tx.list_invocations(instance_id=A) == [a1, a2]
        assert tx.list_invocations(second.command_id, C) == [c2]
        assert tx.count_invocations(second.command_id) == {
            InvocationDetails.PENDING: 1,
            InvocationDetails.IN_PROGRESS: 1,
        }
        assert tx.count_invocations(command(9).command_id) == {}
        assert tx.count_invocations_of([first.command_id, second.command_id, "c-9"]) == {
            first.command_id: {InvocationDetails.PENDING: 2},
            second.command_id: {InvocationDetails.PENDING: 1, InvocationDetails.IN_PROGRESS: 1},
        }
        assert tx.count_invocations_of([]) == {}


@covers("transition")
def test_an_invocation_transitions_by_compare_and_set_on_details_and_lease(
    store: SqlStore,
) -> None:
    cmd = command(1, (A, B))
    with store.write() as tx:
        tx.insert_command(cmd, invocations(cmd))
        handed: InvocationUpdate = {
            "details": InvocationDetails.IN_PROGRESS,
            "lease": "lease-a",
            "dispatched_date": NOW,
        }
        assert tx.transition(cmd.command_id, A, (InvocationDetails.PENDING,), None, handed)
        assert not tx.transition(
            cmd.command_id,
            A,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.CANCELLED},
        )
        assert not tx.transition(
            cmd.command_id,
            C,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.CANCELLED},
        )
        # a stale lease is refused; the right one applies; None ignores the lease
        assert not tx.transition(
            cmd.command_id, A, (InvocationDetails.IN_PROGRESS,), "lease-old", {"started_date": NOW}
        )
        assert tx.transition(
            cmd.command_id,
            A,
            (InvocationDetails.IN_PROGRESS, InvocationDetails.CANCELLING),
            "lease-a",
            {
                "details": InvocationDetails.SUCCESS,
                "response_code": 0,
                "stdout": "out",
                "stderr": "err",
                "started_date": NOW,
                "finished_date": NOW + timedelta(seconds=1),
            },
        )
        assert tx.transition(
            cmd.command_id,
            B,
            (InvocationDetails.PENDING, InvocationDetails.IN_PROGRESS),
            None,
            {"lease": None},
        )
    with store.read() as tx:
        assert tx.get_invocation(cmd.command_id, A) == dataclasses.replace(
            invocations(cmd)[0],
            details=InvocationDetails.SUCCESS,
            lease="lease-a",
            dispatched_date=NOW,
            response_code=0,
            stdout="out",
            stderr="err",
            started_date=NOW,
            finished_date=NOW + timedelta(seconds=1),
        )
        assert tx.get_invocation(cmd.command_id, B) == invocations(cmd)[1]


def _handed(lease: str) -> InvocationUpdate:
    return {"details": InvocationDetails.IN_PROGRESS, "lease": lease, "dispatched_date": NOW}


@covers("transition_many")
def test_transition_many_is_transition_for_each_move_in_order(store: SqlStore) -> None:
    cmd = command(1, (A, B, C))
    i = cmd.command_id
    pending, running = (
        (InvocationDetails.PENDING,),
        (
            InvocationDetails.IN_PROGRESS,
            InvocationDetails.CANCELLING,
        ),
    )
    done: InvocationUpdate = {
        "details": InvocationDetails.SUCCESS,
        "response_code": 0,
        "stdout": "out",
        "stderr": "",
        "finished_date": NOW,
    }
    with store.write() as tx:
        tx.insert_command(cmd, invocations(cmd))
        assert tx.transition_many(pending, []) == []
        moves = [InvocationMove(i, A, None, _handed("a")), InvocationMove(i, B, None, _handed("b"))]
        assert tx.transition_many(pending, moves) == [True, True]
        # a run with a move that does not apply: the others still do, one after the other
        moves = [InvocationMove(i, A, None, _handed("x")), InvocationMove(i, C, None, _handed("c"))]
        assert tx.transition_many(pending, moves) == [False, True]
        moves = [
            InvocationMove(i, A, "a", {"started_date": NOW}),
            InvocationMove(i, B, "stale", {"started_date": NOW}),
            InvocationMove(i, A, "a", done),
            InvocationMove(i, A, "a", done),  # ended by the move before
        ]
        assert tx.transition_many(running, moves) == [True, False, True, False]
    with store.read() as tx:
        a, b, c = (tx.get_invocation(i, n) for n in (A, B, C))
    first, second, third = invocations(cmd)
    assert a == dataclasses.replace(
        first,
        details=InvocationDetails.SUCCESS,
        lease="a",
        dispatched_date=NOW,
        started_date=NOW,
        finished_date=NOW,
        response_code=0,
        stdout="out",
    )
    assert b == dataclasses.replace(
        second, details=InvocationDetails.IN_PROGRESS, lease="b", dispatched_date=NOW
    )
    assert c == dataclasses.replace(
        third, details=InvocationDetails.IN_PROGRESS, lease="c", dispatched_date=NOW
    )


@covers("transition_all")
def test_transition_all_changes_every_invocation_in_the_details_given(store: SqlStore) -> None:
    cmd, other = command(1, (A, B, C)), command(2, (A,))
    with store.write() as tx:
        tx.insert_commands([(cmd, invocations(cmd)), (other, invocations(other))])
        tx.transition(
            cmd.command_id,
            A,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.IN_PROGRESS, "lease": "x"},
        )
        changed = tx.transition_all(
            cmd.command_id,
            (InvocationDetails.PENDING,),
            {"details": InvocationDetails.TERMINATED, "finished_date": NOW},
        )
        assert (
            tx.transition_all(
                cmd.command_id,
                (InvocationDetails.PENDING,),
                {"details": InvocationDetails.CANCELLED},
            )
            == []
        )
        assert tx.transition_all(
            cmd.command_id,
            (InvocationDetails.IN_PROGRESS,),
            {"details": InvocationDetails.CANCELLING},
        ) == [A]
    assert sorted(changed) == sorted([B, C])
    with store.read() as tx:
        assert tx.count_invocations(cmd.command_id) == {
            InvocationDetails.CANCELLING: 1,
            InvocationDetails.TERMINATED: 2,
        }
        assert tx.get_invocation(cmd.command_id, B) == dataclasses.replace(
            invocations(cmd)[1], details=InvocationDetails.TERMINATED, finished_date=NOW
        )
        assert tx.count_invocations(other.command_id) == {InvocationDetails.PENDING: 1}


@covers("node_work", "in_flight")
def test_node_work_is_what_an_agent_must_still_take(store: SqlStore) -> None:
    older = command(1, (A, B), at=NOW - timedelta(minutes=1))
    pending, accepted, handed, cancelling, done = (command(n, (A,)) for n in (2, 3, 4, 5, 6))
    with store.write() as tx:
        tx.insert_commands(
            [(c, invocations(c)) for c in (pending, accepted, handed, cancelling, done, older)]
        )
        for c in (accepted, handed, cancelling, done):
            tx.transition(
                c.command_id,
                A,
                (InvocationDetails.PENDING,),
                None,
                {"details": InvocationDetails.IN_PROGRESS},
            )
        tx.transition(
            accepted.command_id, A, (InvocationDetails.IN_PROGRESS,), None, {"started_date": NOW}
        )
        tx.transition(
            cancelling.command_id,
            A,
            (InvocationDetails.IN_PROGRESS,),
            None,
            {"details": InvocationDetails.CANCELLING},
        )
        tx.transition(
            done.command_id,
            A,
            (InvocationDetails.IN_PROGRESS,),
            None,
            {"details": InvocationDetails.SUCCESS},
        )
    with store.read() as tx:
        work = tx.node_work([A])
        assert work[0].command_id == older.command_id  # oldest first
        assert sorted(i.command_id for i in work) == sorted(
            c.command_id for c in (older, pending, handed, cancelling)
        )
        assert {i.instance_id for i in tx.node_work([A, B])} == {A, B}
        assert tx.node_work([C]) == []
        assert [tx.in_flight(c.command_id) for c in (pending, accepted, cancelling, done)] == [
            0,
            1,
            1,
            0,
        ]


@covers("undelivered")
def test_undelivered_invocations_are_unaccepted_ones_of_expired_commands(
    store: SqlStore,
) -> None:
    expired = command(1, (A, B, C))  # expires at NOW + 1h
    fresh = command(2, (A,), at=NOW + timedelta(hours=1))
    with store.write() as tx:
        tx.insert_commands([(expired, invocations(expired)), (fresh, invocations(fresh))])
        tx.transition(
            expired.command_id,
            B,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.IN_PROGRESS},
        )
        tx.transition(
            expired.command_id,
            C,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.IN_PROGRESS, "started_date": NOW},
        )
    with store.read() as tx:
        assert tx.undelivered(NOW) == []
        found = tx.undelivered(NOW + timedelta(hours=1))
        assert sorted((i.command_id, i.instance_id) for i in found) == [
            (expired.command_id, A),
            (expired.command_id, B),
        ]
    with store.write() as tx:
        tx.transition(
            expired.command_id,
            A,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.CANCELLED},
        )
    with store.read() as tx:
        assert [i.instance_id for i in tx.undelivered(NOW + timedelta(hours=1))] == [B]


@covers("stranded")
def test_stranded_invocations_are_unfinished_ones_of_deregistered_nodes(
    store: SqlStore,
) -> None:
    cmd = command(1, (A, B, C))
    with store.write() as tx:
        for n in (1, 2, 3):
            tx.insert_node(node(n))
        tx.insert_command(cmd, invocations(cmd))
        tx.transition(
            cmd.command_id,
            B,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.SUCCESS},
        )
        tx.transition(
            cmd.command_id,
            C,
            (InvocationDetails.PENDING,),
            None,
            {"details": InvocationDetails.CANCELLING},
        )
        assert tx.stranded() == []
        for instance_id in (A, B, C):
            tx.deregister_node(instance_id, NOW)
    with store.read() as tx:
        assert sorted(i.instance_id for i in tx.stranded()) == [A, C]
