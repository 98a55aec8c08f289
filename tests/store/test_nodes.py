"""The node port: activations, managed nodes and their tags as targets."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW, activation, facts, node
from transom.domain.windows import Tag
from transom.store.ports.nodes import NodeChoice
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


@covers("insert_activation", "get_activation", "list_activations", "delete_activation")
def test_activations_round_trip_oldest_first(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_activation(activation(2))
        tx.insert_activation(activation(1))
        tx.insert_node(node(1))  # registered with activation 1
    with store.read() as tx:
        assert tx.get_activation(activation(1).activation_id) == activation(1)
        assert tx.get_activation(activation(9).activation_id) is None
        assert tx.list_activations() == [activation(1), activation(2)]
    with store.write() as tx:
        assert tx.delete_activation(activation(1).activation_id)
        assert not tx.delete_activation(activation(1).activation_id)
    with store.read() as tx:
        assert tx.list_activations() == [activation(2)]
        assert tx.get_node(node(1).instance_id) == node(1)


@covers("claim_registration")
def test_registrations_are_claimed_up_to_the_limit(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_activation(activation(1, limit=2))
    with store.write() as tx:
        claims = [tx.claim_registration(activation(1).activation_id) for _ in range(3)]
        assert not tx.claim_registration(activation(9).activation_id)
    assert claims == [True, True, False]
    with store.read() as tx:
        assert tx.get_activation(activation(1).activation_id) == dataclasses.replace(
            activation(1), registrations_count=2
        )


@covers("insert_node", "get_node", "nodes_of", "list_nodes", "deregister_node")
def test_deregistered_nodes_stay_readable_but_leave_listings(store: SqlStore) -> None:
    later = NOW + timedelta(hours=1)
    with store.write() as tx:
        for n in (3, 1, 2):
            tx.insert_node(node(n))
        assert tx.deregister_node(node(1).instance_id, later)
        assert not tx.deregister_node(node(1).instance_id, later)
        assert not tx.deregister_node(node(9).instance_id, later)
    gone = dataclasses.replace(node(1), deregistered_date=later)
    with store.read() as tx:
        assert tx.list_nodes() == [node(3), node(2)]
        assert tx.get_node(node(1).instance_id) == gone
        assert tx.get_node(node(9).instance_id) is None
        ids = [node(n).instance_id for n in (1, 2, 9)]
        assert sorted(tx.nodes_of(ids), key=lambda n: n.instance_id) == [gone, node(2)]
        assert tx.nodes_of([]) == []


@covers("list_nodes", "node_choices")
def test_registered_nodes_are_listed_a_page_at_a_time_and_as_choices(store: SqlStore) -> None:
    unnamed = dataclasses.replace(node(4), name=None)
    blank = dataclasses.replace(node(5), name="")
    with store.write() as tx:
        for n in (3, 1, 2):
            tx.insert_node(node(n))
        tx.insert_node(unnamed)
        tx.insert_node(blank)
        tx.deregister_node(node(1).instance_id, NOW)
        tx.record_ping(node(2).instance_id, NOW + timedelta(minutes=5), None)
    pinged = dataclasses.replace(node(2), last_ping_date=NOW + timedelta(minutes=5))
    with store.read() as tx:
        assert tx.list_nodes(0, 2) == [node(3), pinged]
        assert tx.list_nodes(2, 2) == [unnamed, blank]
        assert tx.list_nodes(3) == [blank]
        assert tx.list_nodes(4, 2) == []
        assert tx.node_choices() == [
            NodeChoice(node(3).instance_id, "node 3", NOW),
            NodeChoice(node(2).instance_id, "node 2", NOW + timedelta(minutes=5)),
            NodeChoice(unnamed.instance_id, unnamed.facts.computer_name, NOW),
            NodeChoice(blank.instance_id, blank.facts.computer_name, NOW),
        ]


@covers("set_node_role")
def test_a_registered_node_takes_a_new_role(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_node(node(1))
        tx.insert_node(node(2))
        assert tx.set_node_role(node(1).instance_id, "ops-role")
        assert not tx.set_node_role(node(9).instance_id, "ops-role")
        tx.deregister_node(node(2).instance_id, NOW)
        assert not tx.set_node_role(node(2).instance_id, "ops-role")
    with store.read() as tx:
        assert tx.get_node(node(1).instance_id) == dataclasses.replace(node(1), iam_role="ops-role")
        assert tx.get_node(node(2).instance_id) == dataclasses.replace(
            node(2), deregistered_date=NOW
        )


@covers("record_ping")
def test_a_ping_moves_the_last_ping_and_replaces_facts_only_when_given(store: SqlStore) -> None:
    first, second = NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)
    with store.write() as tx:
        tx.insert_node(node(1))
        tx.insert_node(node(2))
        tx.record_ping(node(1).instance_id, first, None)
    with store.read() as tx:
        assert tx.get_node(node(1).instance_id) == dataclasses.replace(
            node(1), last_ping_date=first
        )
    with store.write() as tx:
        tx.record_ping(node(1).instance_id, second, facts(7))
    with store.read() as tx:
        assert tx.get_node(node(1).instance_id) == dataclasses.replace(
            node(1), last_ping_date=second, facts=facts(7)
        )
        assert tx.get_node(node(2).instance_id) == node(2)


@covers("record_pings")
def test_pings_move_the_last_ping_of_the_nodes_named_only(store: SqlStore) -> None:
    later = NOW + timedelta(minutes=1)
    with store.write() as tx:
        for n in (1, 2, 3):
            tx.insert_node(node(n))
        tx.record_pings([], later)
        tx.record_pings([node(1).instance_id, node(3).instance_id, node(9).instance_id], later)
    with store.read() as tx:
        assert [tx.get_node(node(n).instance_id) for n in (1, 2, 3)] == [
            dataclasses.replace(node(1), last_ping_date=later),
            node(2),
            dataclasses.replace(node(3), last_ping_date=later),
        ]


@covers("node_tags")
def test_node_tags_map_registered_nodes_in_order_to_their_tags(store: SqlStore) -> None:
    with store.write() as tx:
        for n in (3, 1, 2):
            tx.insert_node(node(n))
        tx.put_tags("ManagedInstance", node(1).instance_id, [Tag("env", "prod"), Tag("a", "b")])
        tx.put_tags("ManagedInstance", node(2).instance_id, [Tag("env", "dev")])
        tx.put_tags("MaintenanceWindow", node(3).instance_id, [Tag("not", "a node tag")])
        tx.deregister_node(node(2).instance_id, NOW)
    with store.read() as tx:
        tags = tx.node_tags()
    assert list(tags) == [node(3).instance_id, node(1).instance_id]
    assert tags == {node(3).instance_id: {}, node(1).instance_id: {"env": "prod", "a": "b"}}


@covers("node_names")
def test_node_names_are_the_registered_nodes_computer_names(store: SqlStore) -> None:
    with store.write() as tx:
        for n in (3, 1, 2):
            tx.insert_node(node(n))
        tx.deregister_node(node(2).instance_id, NOW)
    with store.read() as tx:
        names = tx.node_names()
    assert names == {n.instance_id: n.facts.computer_name for n in (node(3), node(1))}


@covers("quiet_nodes", "report_ping_status")
def test_a_ping_status_is_reported_once_per_change(store: SqlStore) -> None:
    later = NOW + timedelta(minutes=10)
    with store.write() as tx:
        for n in (3, 1, 2, 4):
            tx.insert_node(node(n))
        tx.record_ping(node(2).instance_id, later, None)  # heard from since
        tx.deregister_node(node(4).instance_id, NOW)
    a, b, c = (node(n).instance_id for n in (1, 2, 3))
    with store.read() as tx:
        assert tx.quiet_nodes(later) == [c, a]  # registration order; not 2, not deregistered 4
        assert tx.quiet_nodes(NOW) == []
    with store.write() as tx:
        assert tx.report_ping_status(a, "ConnectionLost", later)
        assert not tx.report_ping_status(a, "ConnectionLost", later)  # reported already
        assert not tx.report_ping_status(b, "ConnectionLost", later)  # heard from since
        assert not tx.report_ping_status(node(4).instance_id, "ConnectionLost", later)
        assert not tx.report_ping_status(node(9).instance_id, "ConnectionLost", None)
    with store.read() as tx:
        assert tx.quiet_nodes(later) == [c]
        assert tx.get_node(a) == dataclasses.replace(node(1), reported_ping_status="ConnectionLost")
    with store.write() as tx:
        assert tx.report_ping_status(a, "Online", None)
        assert not tx.report_ping_status(a, "Online", None)
    with store.read() as tx:
        assert tx.get_node(a) == node(1)
