"""The agent channel's batched store calls (one transaction for many nodes' requests) keep
the rules of one-at-a-time calls: MaxConcurrency, the MaxErrors budget, credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from tests.engine.world import World
from tests.support.servers import BACKEND_PARAMS
from transom.domain.commands import InvocationDetails, Outcome
from transom.domain.errors import InvalidNodeCredentialsError
from transom.domain.nodes import Node, NodeFacts
from transom.events.systems_manager import COMMAND, COMMAND_INVOCATION

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def _send(world: World, nodes: list[str], concurrency: str, errors: str = "0") -> str:
    return world.services.commands.send(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["true"]},
        instance_ids=nodes,
        targets=[],
        max_concurrency=concurrency,
        max_errors=errors,
    ).command_id


def test_one_batch_of_polls_hands_out_no_more_than_max_concurrency(world: World) -> None:
    nodes = [world.node(f"n{i}") for i in range(5)]
    _send(world, nodes, "2")
    first = world.services.dispatch.work_for_all(nodes)
    busy = [n for n, (work, _) in zip(nodes, first, strict=True) if work]
    assert len(busy) == 2
    # until accepted, the same leases are offered again, and to no other node
    again = world.services.dispatch.work_for_all(nodes)
    assert [bool(work) for work, _ in again] == [bool(work) for work, _ in first]
    assert [w[0].invocation.lease for w, _ in again if w] == [
        w[0].invocation.lease for w, _ in first if w
    ]


def test_one_batch_of_reports_counts_every_error_once(world: World) -> None:
    nodes = [world.node(f"n{i}") for i in range(4)]
    command_id = _send(world, nodes, "2", errors="0")
    commands = world.services.commands
    handed = world.services.dispatch.work_for_all(nodes)
    now, failed = world.clock.now(), InvocationDetails.FAILED
    reports = [
        (node, [Outcome(command_id, w[0].invocation.lease or "", failed, 1, "", "", now, now)])
        for node, (w, _) in zip(nodes, handed, strict=True)
        if w
    ]
    assert world.services.results.report_all(reports) == [[command_id], [command_id]]
    view = commands.view(command_id)
    assert (view.command.status, view.error_count, view.counts) == (
        "Failed",
        2,
        {"Failed": 2, "Terminated": 2},
    )
    # the same reports again are acknowledged and change nothing
    assert world.services.results.report_all(reports) == [[command_id], [command_id]]
    assert commands.view(command_id).counts == {"Failed": 2, "Terminated": 2}


def test_a_result_wakes_the_nodes_only_of_a_command_max_concurrency_held_back(
    world: World,
) -> None:
    a, b, c, d = (world.node(n) for n in "abcd")
    held, free = _send(world, [a, b], "1"), _send(world, [a, c, d], "100%")
    ((work, _),) = world.services.dispatch.work_for_all([a])
    now, success = world.clock.now(), InvocationDetails.SUCCESS
    outcomes = [
        Outcome(w.command.command_id, w.invocation.lease or "", success, 0, "", "", now, now)
        for w in work
    ]
    assert sorted(o.command_id for o in outcomes) == sorted([held, free])
    world.woken.clear()
    world.services.results.report_all([(a, outcomes)])
    # c and d were told when `free` was sent; b may take `held` only now
    assert world.woken == [b]


def test_one_batch_of_authentications_answers_each_node_alone(world: World) -> None:
    nodes = world.services.nodes
    activation_id, code = nodes.create_activation(iam_role="role", registration_limit=2)
    facts = NodeFacts("h", "127.0.0.1", "Linux", "Ubuntu", "24.04", "test")
    (a, secret_a), (b, secret_b) = (nodes.register(activation_id, code, facts) for _ in "ab")
    nodes.deregister(b)
    found = nodes.authenticate_all(
        [(a, secret_a), (a, secret_b), (b, secret_b), ("mi-00000000000000000", "x"), (a, secret_a)]
    )
    assert [type(f) for f in found] == [
        Node,
        InvalidNodeCredentialsError,
        InvalidNodeCredentialsError,
        InvalidNodeCredentialsError,
        Node,
    ]
    assert isinstance(found[0], Node)
    assert found[0].instance_id == a


def _statements(world: World, call: Callable[[], Any]) -> int:
    """How many statements `call` sends to the database."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(world.store.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(world.store.engine, "before_cursor_execute", count)
    return len(sent)


def test_a_batch_of_polls_or_of_results_costs_as_many_statements_for_five_commands_as_for_one(
    world: World,
) -> None:
    """Commands are read, started and refreshed a batch at a time (on PostgreSQL each
    statement is a round trip), and each command's start follows its first hand-out."""
    nodes = [world.node(f"n{i}") for i in range(6)]
    everywhere = _send(world, nodes, "100%")
    for node in nodes:
        _send(world, [node], "1")
    dispatch = world.services.dispatch
    handed: list[Any] = []
    first, rest = [nodes[0]], nodes[1:]
    assert _statements(world, lambda: handed.extend(dispatch.work_for_all(first))) == (
        _statements(world, lambda: handed.extend(dispatch.work_for_all(rest)))
    )
    now = world.clock.now()
    reports = [
        (
            node,
            [
                Outcome(
                    w.command.command_id,
                    w.invocation.lease or "",
                    InvocationDetails.SUCCESS,
                    0,
                    "",
                    "",
                    now,
                    now,
                )
                for w in work
            ],
        )
        for node, (work, _) in zip(nodes, handed, strict=True)
    ]
    results = world.services.results
    assert _statements(world, lambda: results.report_all(reports[:1])) == _statements(
        world, lambda: results.report_all(reports[1:])
    )
    with world.store.read() as tx:
        events = [(e.event.detail_type, e.event.detail) for e in tx.unrelayed_events(1000)]
    started = [
        i
        for i, (kind, detail) in enumerate(events)
        if detail.get("command-id") == everywhere and detail.get("status") == "InProgress"
    ]
    assert [events[i][0] for i in started[:2]] == [COMMAND_INVOCATION, COMMAND]
    assert world.services.commands.view(everywhere).command.status == "Success"
